"""Web forms for assigning: one person, the bulk wizard's steps, and an assignment's edit.

They only shape browser input into the inputs `assignments.services` takes; the services check every rule.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from duecourse.assignments.domain import RECIPIENT_LABELS, RECIPIENTS
from duecourse.assignments.email_lists import split_email_list
from duecourse.assignments.inputs import (
    AssignmentChange,
    AssignmentInput,
    BulkAssignInput,
    BulkAudience,
    ExemptionInput,
    RuleInput,
    TargetRef,
)
from duecourse.assignments.limits import (
    MAX_ASSIGNEE_EMAILS,
    MAX_DUE_DAYS,
    MAX_NOTE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_RECERT_WINDOW_DAYS,
    MAX_RECURRENCE_WEEKS,
    MAX_REMINDER_DAYS,
    MAX_RULE_NAME_LENGTH,
    MAX_VALIDITY_MONTHS,
)
from duecourse.assignments.models import Assignment
from duecourse.assignments.priorities import DEFAULT_PRIORITY, Priority
from duecourse.assignments.reminder_plans import describe_plan
from duecourse.groups.domain import archived_notice, group_is_archived

DUE_MODES = [
    ("none", gettext_lazy("No due date")),
    ("date", gettext_lazy("On a date")),
    ("days", gettext_lazy("Days after assignment")),
]
REMINDER_MODES = [
    ("default", gettext_lazy("Standard: the learner, 3 days before the due date")),
    ("custom", gettext_lazy("Custom reminders")),
    ("none", gettext_lazy("No reminders")),
]
REMINDER_ROWS = 3
TARGET_VALUE = re.compile(r"^(course|path|skill):(\d{1,18})$")


def parse_target(value: str) -> TargetRef | None:
    match = TARGET_VALUE.match(value or "")
    return TargetRef.model_validate({"type": match.group(1), "id": int(match.group(2))}) if match else None


def target_choices(*, courses, paths, skills) -> list:
    """Grouped <select> choices `type:id` for the active catalog."""
    groups = [
        (_("Courses"), [(f"course:{c.pk}", f"{c.title} ({c.code})") for c in courses]),
        (_("Learning paths"), [(f"path:{p.pk}", p.title) for p in paths]),
        (_("Skills"), [(f"skill:{s.pk}", s.name) for s in skills]),
    ]
    return [(label, options) for label, options in groups if options]


class IdListField(forms.Field):
    """Repeated hidden inputs carrying ids (people picked in the wizard)."""

    widget = forms.MultipleHiddenInput
    hidden_widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        ids = []
        for raw in value if isinstance(value, list | tuple) else [value]:
            raw = str(raw)
            if not raw.isdigit() or len(raw) > 18:
                raise forms.ValidationError(_("contains something that is not a person"))
            ids.append(int(raw))
        return list(dict.fromkeys(ids))


class TimingMixin(forms.Form):
    """Due date and the fields every assignment carries, shared by the single form and wizard step 1."""

    due_mode = forms.ChoiceField(
        choices=DUE_MODES, initial="days", label=pgettext_lazy("due date", "Due"), widget=forms.RadioSelect
    )
    due_date = forms.DateField(
        required=False, label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_in_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_DUE_DAYS,
        label=gettext_lazy("Days after assignment"),
        initial=30,
        widget=forms.NumberInput(attrs={"min": 0}),
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=DEFAULT_PRIORITY, label=gettext_lazy("Priority"))
    note = forms.CharField(
        required=False,
        max_length=MAX_NOTE_LENGTH,
        label=gettext_lazy("Note to the learner"),
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": gettext_lazy("Why this matters, or how to get started (shown to the learner)"),
            }
        ),
    )
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        label=gettext_lazy("Reason (audit only)"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Annual compliance refresh")}),
        help_text=gettext_lazy("Kept in the audit log; learners do not see it."),
    )
    retake = forms.BooleanField(
        required=False,
        label=gettext_lazy("Retake: re-open completed or expired training as a new cycle"),
        help_text=gettext_lazy(
            "Without it, whoever has completed the training keeps the completion and is left as is."
        ),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mode = data.get("due_mode")
        if mode == "date" and not data.get("due_date") and "due_date" not in self.errors:
            self.add_error("due_date", _("Choose the due date."))
        if mode in ("days", "hire") and data.get("due_in_days") is None and "due_in_days" not in self.errors:
            self.add_error("due_in_days", _("Give the number of days."))
        return data

    def timing_data(self) -> dict[str, Any]:
        """The valid form's timing and fields, as `AssignmentTerms` names them (only the due mode chosen)."""
        data = self.cleaned_data
        timing: dict[str, Any] = {"priority": data["priority"], "note": data["note"], "reason": data["reason"]}
        if data.get("retake"):
            timing["retake"] = True
        if data["due_mode"] == "date":
            timing["due_date"] = data["due_date"]
        elif data["due_mode"] == "days":
            timing["due_in_days"] = data["due_in_days"]
        return timing

    def due_text(self) -> str:
        """The valid form's due date in words."""
        data = self.cleaned_data
        if data["due_mode"] == "date":
            return _("On %(day)s") % {"day": date_format(data["due_date"], "j M Y")}
        if data["due_mode"] in ("days", "hire"):
            days = data["due_in_days"]
            if data["due_mode"] == "hire":
                return ngettext("%(n)s day after the hire date", "%(n)s days after the hire date", days) % {"n": days}
            return ngettext("%(n)s day after assignment", "%(n)s days after assignment", days) % {"n": days}
        return _("No due date")


REMINDER_ROW_KEY = re.compile(r"^reminder-(\d{1,6})-days$")
REMINDER_WHEN = [("before", gettext_lazy("before the due date")), ("after", gettext_lazy("after the due date"))]
PLAN_ERROR = re.compile(r"^\[(\d+)\]\.?(\w+)?\s*:?\s*")


@dataclass
class ReminderRow:
    """One reminder of a plan as it is edited: `days` as typed, `when` before or after the due date."""

    key: int
    days: str = ""
    when: str = "before"
    recipients: list[str] = field(default_factory=lambda: ["learner"])
    errors: list[str] = field(default_factory=list)

    def recipient_choices(self) -> list[tuple[str, str, bool]]:
        return [(r, str(RECIPIENT_LABELS[r]), r in self.recipients) for r in RECIPIENTS]


def reminder_rows_from_post(post) -> list[ReminderRow]:
    """The plan editor's rows (`reminder-<n>-days`, `-when`, `-recipients`), in the order they were added."""
    keys = sorted(int(m.group(1)) for name in post if (m := REMINDER_ROW_KEY.match(name)))
    return [
        ReminderRow(
            key,
            (post.get(f"reminder-{key}-days") or "").strip(),
            post.get(f"reminder-{key}-when") or "before",
            post.getlist(f"reminder-{key}-recipients"),
        )
        for key in keys
    ]


def reminder_plan_from_rows(rows: list[ReminderRow]) -> list[dict[str, Any]] | None:
    """The rows as a reminder plan (rows left without days are skipped); None when a row cannot be read,
    its errors saying why. The plan's rules (bounds, how many) are `domain.validate_reminder_plan`'s."""
    plan = []
    for row in rows:
        if not row.days:
            continue
        if not row.days.isdigit() or int(row.days) > MAX_REMINDER_DAYS:
            row.errors.append(_("Give a whole number of days from 0 to %(max)s.") % {"max": MAX_REMINDER_DAYS})
        if row.when not in dict(REMINDER_WHEN):
            row.errors.append(_("Choose before or after the due date."))
        if not row.recipients or any(r not in RECIPIENTS for r in row.recipients):
            row.errors.append(_("Choose who receives this reminder."))
        if not row.errors:
            days = int(row.days)
            plan.append({"days": -days if row.when == "after" else days, "recipients": row.recipients})
    return None if any(r.errors for r in rows) else plan


def plan_errors_to_rows(message: str, rows: list[ReminderRow]) -> str | None:
    """Put a plan error naming a rule (`[i].days …`) on its row; returns it when it names none."""
    used = [r for r in rows if r.days]
    match = PLAN_ERROR.match(message)
    if match and int(match.group(1)) < len(used):
        rest = message[match.end() :]
        used[int(match.group(1))].errors.append(f"{(match.group(2) or '').capitalize()} {rest}".strip() + ".")
        return None
    return message


def recurrence_weeks_field() -> forms.IntegerField:
    """The "repeat every N weeks" field of the assign form and the training configuration form."""
    return forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_RECURRENCE_WEEKS,
        label=gettext_lazy("Repeat every (weeks)"),
        help_text=gettext_lazy(
            "Leave empty for training done once; otherwise it re-opens that many weeks after each due date."
        ),
        widget=forms.NumberInput(attrs={"min": 1}),
    )


class AssignForm(TimingMixin):
    """Assign training to one person from their page: several items, their timing, recurrence, validity and
    reminder plan. The reminder rows come beside it (`ReminderRow`s, any number); each item goes through
    `services.assignment_create`, all of them as one change (`services.assignment_create_each`)."""

    targets = forms.MultipleChoiceField(
        label=gettext_lazy("Training"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Pick at least one course, path or skill.")},
    )
    recurrence_weeks = recurrence_weeks_field()
    validity_months = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VALIDITY_MONTHS,
        label=gettext_lazy("Valid for (months)"),
        help_text=gettext_lazy("Leave empty when a completion never expires."),
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    reminder_mode = forms.ChoiceField(
        required=False,  # none chosen is the standard plan
        choices=REMINDER_MODES,
        initial="default",
        label=gettext_lazy("Reminders"),
        widget=forms.RadioSelect,
    )
    field_order = [
        "targets",
        "due_mode",
        "due_date",
        "due_in_days",
        "priority",
        "recurrence_weeks",
        "validity_months",
        "note",
        "reason",
        "retake",
        "reminder_mode",
    ]

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.target_choices = list(targets)
        cast(forms.ChoiceField, self.fields["targets"]).choices = self.target_choices
        post = args[0] if args else None
        rows = reminder_rows_from_post(post) if post is not None else []
        self.reminder_rows = rows or [ReminderRow(1, "7")]
        self.plan: list[dict[str, Any]] | None = None

    def target_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The catalog as grouped checkboxes, the chosen ones ticked."""
        chosen = set(self["targets"].value() or [])
        return [
            (label, [(value, text, value in chosen) for value, text in options])
            for label, options in self.target_choices
        ]

    @property
    def blank_row(self) -> ReminderRow:
        return ReminderRow(0)

    def next_row_key(self) -> int:
        return max(row.key for row in self.reminder_rows) + 1

    def clean(self) -> dict[str, Any]:
        super().clean()
        mode = self.cleaned_data.get("reminder_mode")
        if mode == "custom":
            self.plan = reminder_plan_from_rows(self.reminder_rows)
            if self.plan is None:
                self.add_error("reminder_mode", _("A reminder cannot be read: see its row."))
            elif not self.plan:
                self.add_error("reminder_mode", _("Add at least one reminder, or choose “No reminders”."))
        elif mode == "none":
            self.plan = []
        return self.cleaned_data

    def place_errors(self, exc_errors) -> list:
        """Put a service's reminder-plan errors on their rows; returns the rest."""
        rest = []
        for error in exc_errors:
            if error.field == "reminders" and self.cleaned_data.get("reminder_mode") == "custom":
                left = plan_errors_to_rows(error.message, self.reminder_rows)
                self.add_error("reminder_mode", left or _("A reminder cannot be saved: see its row."))
            else:
                rest.append(error)
        return rest

    def to_inputs(self, person_id: int) -> list[AssignmentInput]:
        data = self.cleaned_data
        terms = self.timing_data()
        terms.update({k: data[k] for k in ("recurrence_weeks", "validity_months") if data[k] is not None})
        if self.plan is not None:
            terms["reminders"] = self.plan
        return [
            AssignmentInput.model_validate({"person_id": person_id, "target": parse_target(value), **terms})
            for value in data["targets"]
        ]


class AssignmentEditForm(forms.Form):
    due_date = forms.DateField(
        required=False,
        label=gettext_lazy("Due date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for no due date. Reminders follow the new date."),
    )
    priority = forms.ChoiceField(choices=Priority.choices, label=gettext_lazy("Priority"))
    note = forms.CharField(
        required=False,
        max_length=MAX_NOTE_LENGTH,
        label=gettext_lazy("Note to the learner"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        label=gettext_lazy("Reason for the change"),
        help_text=gettext_lazy("Kept in the audit log."),
        widget=forms.TextInput(),
    )

    @classmethod
    def initial_for(cls, assignment) -> dict:
        return {"due_date": assignment.due_date, "priority": assignment.priority, "note": assignment.note}

    def to_input(self, assignment: Assignment) -> AssignmentChange:
        """Only what changed: re-sending an unchanged due date would mark it as set by hand."""
        data = self.cleaned_data
        changes = {k: data[k] for k in ("priority", "note", "due_date") if data[k] != getattr(assignment, k)}
        if changes and data["reason"]:
            changes["reason"] = data["reason"]
        return AssignmentChange.model_validate(changes)


class ExemptionForm(forms.Form):
    """Exempt the person from this assignment (admins, instructors): a reason and an optional last day."""

    prefix = "exempt"  # beside the edit form on the same page, which has a reason field too

    reason = forms.CharField(
        max_length=MAX_REASON_LENGTH,
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Why they are exempt; kept in the audit log."),
        widget=forms.TextInput(),
    )
    until = forms.DateField(
        required=False,
        label=gettext_lazy("Exempt until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The last exempt day; afterwards the due date applies again. Leave empty until ended."),
    )

    def to_input(self) -> ExemptionInput:
        return ExemptionInput(reason=self.cleaned_data["reason"], until=self.cleaned_data["until"])


class DueDateForm(forms.Form):
    """The quick 'change due date' of a row on the person page."""

    due_date = forms.DateField(
        required=False, label=gettext_lazy("New due date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def to_input(self, assignment: Assignment) -> AssignmentChange:
        """The new due date, if it is new (an unchanged one would mark it as set by hand)."""
        new = self.cleaned_data["due_date"]
        return AssignmentChange(due_date=new) if new != assignment.due_date else AssignmentChange()


# --- the bulk wizard -----------------------------------------------------------------------------
class BulkTargetsForm(TimingMixin):
    """Step 1: what, by when, how important."""

    targets = forms.MultipleChoiceField(
        label=gettext_lazy("Training to assign"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Pick at least one course, path or skill.")},
    )
    field_order = ["targets", "due_mode", "due_date", "due_in_days", "priority", "note", "reason", "retake"]

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["targets"]).choices = targets

    def targets_data(self) -> dict[str, Any]:
        return {"targets": [parse_target(v) for v in self.cleaned_data["targets"]], **self.timing_data()}


class AudienceFields(forms.Form):
    """Whom: any mix of people, groups, org units (by name) or everyone. The wizard's people step and a
    training configuration's audience."""

    person_ids = IdListField(required=False, label=gettext_lazy("People"))
    group_ids = forms.TypedMultipleChoiceField(
        required=False, coerce=int, label=gettext_lazy("Groups"), widget=forms.CheckboxSelectMultiple
    )
    departments = forms.MultipleChoiceField(
        required=False, label=gettext_lazy("Departments"), widget=forms.CheckboxSelectMultiple
    )
    sites = forms.MultipleChoiceField(required=False, label=gettext_lazy("Sites"), widget=forms.CheckboxSelectMultiple)
    regions = forms.MultipleChoiceField(
        required=False, label=gettext_lazy("Regions"), widget=forms.CheckboxSelectMultiple
    )
    everyone = forms.BooleanField(required=False, label=gettext_lazy("Everyone in the organisation"))

    def __init__(self, *args, groups=(), org_units=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["group_ids"]).choices = [
            (g.pk, f"{g.name} ({archived_notice(g)})" if group_is_archived(g) else g.name) for g in groups
        ]
        for key, names in (org_units or {}).items():
            cast(forms.ChoiceField, self.fields[key]).choices = [(n, n) for n in names]

    def audience_data(self, person_ids: Iterable[int] = ()) -> dict[str, Any]:
        """The valid form's audience as `Audience` names it (only what was chosen)."""
        data = self.cleaned_data
        audience: dict[str, Any] = {
            "person_ids": list(dict.fromkeys([*data["person_ids"], *person_ids])),
            **{key: data[key] for key in ("group_ids", "departments", "sites", "regions")},
        }
        audience = {k: v for k, v in audience.items() if v}
        if data.get("everyone"):
            audience["everyone"] = True
        return audience


# The wizard's choice for an audience that changes over time (groups, org units, everyone).
KEEP_CURRENT, ONE_OFF = "rule", "once"
WIZARD_MODES = [
    (
        KEEP_CURRENT,
        gettext_lazy(
            "Keep it current: create a training configuration (people who join later get it, "
            "leavers lose what only it gave them)"
        ),
    ),
    (ONE_OFF, gettext_lazy("One-off: assign to today's members only")),
]


class EmailListField(forms.CharField):
    """A pasted list of email addresses (`email_lists.split_email_list`): one a line, or separated by
    commas or semicolons. Each address is checked, and looked up, by the bulk service."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        emails = split_email_list(super().to_python(value) or "")
        if len(emails) > MAX_ASSIGNEE_EMAILS:
            raise forms.ValidationError(_("Paste at most %(max)s addresses at a time.") % {"max": MAX_ASSIGNEE_EMAILS})
        return emails

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value


PASTED_EMAILS_ARE_ONE_OFF = gettext_lazy(
    "Pasted addresses are assigned once, so they cannot be part of a training configuration: "
    "choose “One-off”, or pick those people one by one."
)


class BulkPeopleForm(AudienceFields):
    """Step 2: who. Any mix of people (picked, or pasted as email addresses), groups, org units or everyone;
    for those who may configure training, whether an audience that changes is kept current (a training
    configuration) or assigned once."""

    my_reports = forms.BooleanField(required=False, label=gettext_lazy("All my direct reports"))
    emails = EmailListField(
        required=False,
        label=gettext_lazy("Paste email addresses"),
        help_text=gettext_lazy(
            "One a line, or separated by commas or semicolons. Unknown or deactivated addresses are "
            "listed on the review step, and the others are assigned."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "ana@example.com\nbo@example.com"}),
    )
    mode = forms.ChoiceField(
        required=False,  # none chosen is the default: kept current
        choices=WIZARD_MODES,
        initial=KEEP_CURRENT,
        label=gettext_lazy("When people join or leave"),
        widget=forms.RadioSelect,
    )
    config_name = forms.CharField(
        required=False,
        max_length=MAX_RULE_NAME_LENGTH,
        label=gettext_lazy("Name of the training configuration"),
        help_text=gettext_lazy("Leave empty to name it after the training and the people."),
    )

    def __init__(self, *args, tenant_wide=True, configures=False, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant_wide:
            del self.fields["my_reports"]
        else:
            del self.fields["everyone"]
        if not configures:
            del self.fields["mode"], self.fields["config_name"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        whom = [k for k in self.fields if k not in ("mode", "config_name")]
        if not self.errors and not any(data.get(k) for k in whom):
            raise forms.ValidationError(
                _(
                    "Choose who to assign to: people, pasted email addresses, groups, departments, sites, regions "
                    "or everyone."
                )
            )
        if not self.errors and data.get("emails") and self.keeps_current():
            self.add_error("emails", PASTED_EMAILS_ARE_ONE_OFF)
        return data

    def changes_over_time(self) -> bool:
        """Whether the valid form names an audience whose members change: groups, org units or everyone."""
        data = self.cleaned_data
        return any(data.get(k) for k in ("group_ids", "departments", "sites", "regions", "everyone"))

    def keeps_current(self) -> bool:
        """A training configuration is made: chosen (the default) for an audience that changes over time."""
        return "mode" in self.fields and self.changes_over_time() and self.cleaned_data["mode"] != ONE_OFF

    def assignees(self, report_ids: Iterable[int] = ()) -> BulkAudience:
        audience = self.audience_data(report_ids if self.cleaned_data.get("my_reports") else ())
        if self.cleaned_data.get("emails"):
            audience["emails"] = self.cleaned_data["emails"]
        return BulkAudience.model_validate(audience)


class BulkRemindersForm(forms.Form):
    """Step 3: the reminder plan (days before the due date; 'after' sends dunning notices)."""

    reminder_mode = forms.ChoiceField(
        choices=REMINDER_MODES, initial="default", label=gettext_lazy("Reminders"), widget=forms.RadioSelect
    )

    def __init__(self, *args, plan: list[dict[str, Any]] | None = None, **kwargs):
        """`plan`, when given, fills an unbound form: custom rows for its reminders ([] is "No reminders")."""
        super().__init__(*args, **kwargs)
        for n in range(1, REMINDER_ROWS + 1):
            self.fields[f"r{n}_days"] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=MAX_REMINDER_DAYS,
                label=_("Days"),
                widget=forms.NumberInput(attrs={"min": 0}),
            )
            self.fields[f"r{n}_when"] = forms.ChoiceField(
                required=False,
                choices=REMINDER_WHEN,
                initial="before",
                label=_("When"),
            )
            self.fields[f"r{n}_recipients"] = forms.MultipleChoiceField(
                required=False,
                choices=[(r, RECIPIENT_LABELS[r]) for r in RECIPIENTS],
                initial=["learner"],
                label=_("Send to"),
                widget=forms.CheckboxSelectMultiple,
            )
        if not self.is_bound:
            self.initial.setdefault("r1_days", 7)
            self.initial.setdefault("r2_days", 1)
            self.initial.setdefault("r3_days", 3)
            self.initial.setdefault("r3_when", "after")
            self.initial.setdefault("r3_recipients", ["learner", "manager"])
        if not self.is_bound and plan is not None:
            self.initial["reminder_mode"] = "custom" if plan else "none"
            for n in range(1, REMINDER_ROWS + 1):
                for suffix in ("days", "when", "recipients"):
                    self.initial.pop(f"r{n}_{suffix}", None)
            for n, rule in enumerate(plan[:REMINDER_ROWS], start=1):
                self.initial[f"r{n}_days"] = abs(rule["days"])
                self.initial[f"r{n}_when"] = "after" if rule["days"] < 0 else "before"
                self.initial[f"r{n}_recipients"] = rule["recipients"]

    def rows(self):
        return [(self[f"r{n}_days"], self[f"r{n}_when"], self[f"r{n}_recipients"]) for n in range(1, REMINDER_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("reminder_mode") == "custom":
            used = [n for n in range(1, REMINDER_ROWS + 1) if data.get(f"r{n}_days") is not None]
            if not used and not self.errors:
                raise forms.ValidationError(_("Add at least one reminder, or choose “No reminders”."))
            for n in used:
                if not data.get(f"r{n}_recipients"):
                    self.add_error(f"r{n}_recipients", _("Choose who receives this reminder."))
        return data

    def plan(self) -> list[dict[str, Any]] | None:
        """None keeps the standard plan; [] sends no reminders."""
        data = self.cleaned_data
        if data["reminder_mode"] == "default":
            return None
        if data["reminder_mode"] == "none":
            return []
        plan = []
        for n in range(1, REMINDER_ROWS + 1):
            days = data.get(f"r{n}_days")
            if days is not None:
                signed = -days if data[f"r{n}_when"] == "after" else days
                plan.append({"days": signed, "recipients": data[f"r{n}_recipients"]})
        return plan


def bulk_input(
    *,
    targets: BulkTargetsForm,
    people: BulkPeopleForm,
    reminders: BulkRemindersForm | None,
    report_ids: Iterable[int],
    dry_run: bool,
) -> BulkAssignInput:
    """The wizard's valid steps as one bulk call; without the reminders step the standard plan applies."""
    plan = reminders.plan() if reminders is not None else None
    return BulkAssignInput.model_validate(
        {
            **targets.targets_data(),
            "assignees": people.assignees(report_ids),
            **({"reminders": plan} if plan is not None else {}),
            "dry_run": dry_run,
        }
    )


# --- training configurations (assignment rules) --------------------------------------------------
RULE_DUE_MODES = [
    ("none", gettext_lazy("No due date")),
    ("date", gettext_lazy("On a date")),
    ("days", gettext_lazy("Days after assignment")),
    ("hire", gettext_lazy("Days after the hire date")),
]
VALIDITY_CHOICES = [
    ("", gettext_lazy("No expiry")),
    ("3", gettext_lazy("3 months")),
    ("6", gettext_lazy("6 months")),
    ("12", gettext_lazy("12 months")),
    ("custom", gettext_lazy("Custom")),
]
VISIBILITY_CHOICES = [
    ("required", gettext_lazy("Required")),
    ("optional", gettext_lazy("Optional")),
    ("hidden", gettext_lazy("Hidden (prepared, nobody is told)")),
]
TIMING_POLICIES = [
    ("keep", gettext_lazy("Keep the due dates people already have")),
    ("extend", gettext_lazy("Move them only where the new timing is later")),
    ("recompute", gettext_lazy("Recompute every open one from the new timing")),
]
ITEM_ERROR = re.compile(r"^items\[(\d+)\]")


@dataclass
class RuleItemRow:
    """One item of the configuration form as it is edited: `target` is `type:id`, `validity` a
    VALIDITY_CHOICES value, `months` the custom number as typed."""

    target: str
    visibility: str = "required"
    validity: str = ""
    months: str = ""
    title: str = ""
    type_label: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, target: str, visibility: str, validity_months: int | None) -> "RuleItemRow":
        shown = str(validity_months) if validity_months is not None else ""
        preset = shown in dict(VALIDITY_CHOICES)
        return cls(target, visibility, shown if preset else "custom", "" if preset else shown)

    def validity_months(self) -> int | None:
        """The months asked for; ValueError when the custom number is missing or not a number."""
        if self.validity == "custom":
            if not self.months.strip().isdigit() or len(self.months.strip()) > 6:
                raise ValueError(_("give the number of months (a whole number)"))
            return int(self.months.strip())
        return int(self.validity) if self.validity else None


def rule_items_from_post(post) -> list[RuleItemRow]:
    """The form's item rows: `item_target`, `item_visibility`, `item_validity`, `item_months`, one each a row."""
    columns = [post.getlist(name) for name in ("item_target", "item_visibility", "item_validity", "item_months")]
    rows = []
    for index, target in enumerate(columns[0]):
        visibility, validity, months = (column[index] if index < len(column) else "" for column in columns[1:])
        rows.append(RuleItemRow(target, visibility or "required", validity, months))
    return rows


def apply_item_op(rows: list[RuleItemRow], op: str, add: str) -> list[RuleItemRow]:
    """The item editor's buttons: `add` (the chosen `add_target`) or `remove:<type:id>`; else nothing changes."""
    if op == "add" and parse_target(add) and add not in {r.target for r in rows}:
        return [*rows, RuleItemRow(add)]
    if op.startswith("remove:"):
        return [r for r in rows if r.target != op.removeprefix("remove:")]
    return rows


class RuleForm(TimingMixin, AudienceFields):
    """A training configuration: certificates, name, audience, timing and the fields its assignments carry.
    Its items (`RuleItemRow`s) and reminders (`RuleRemindersForm`) come beside it; `clean_rule_input` checks it all."""

    certificate = forms.BooleanField(
        required=False,
        label=gettext_lazy("Issue certificates of completion"),
        help_text=gettext_lazy("Each person gets a certificate once every required item is completed and valid."),
    )
    name = forms.CharField(max_length=MAX_RULE_NAME_LENGTH, label=gettext_lazy("Name"))
    new_starters = forms.BooleanField(required=False, label=gettext_lazy("New starters (people hired from today on)"))
    recurrence_weeks = recurrence_weeks_field()
    recert_window_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_RECERT_WINDOW_DAYS,
        label=gettext_lazy("Recertification window (days)"),
        help_text=gettext_lazy(
            "How long before a completion expires it re-opens: at most half the shortest validity "
            "(14 days a month). Leave empty for the organisation's default."
        ),
        widget=forms.NumberInput(attrs={"min": 0}),
    )
    timing_policy = forms.ChoiceField(
        required=False,  # "keep" when none is chosen
        choices=TIMING_POLICIES,
        initial="keep",
        label=gettext_lazy("When the timing changes"),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["reason"], self.fields["retake"]
        due_mode = cast(forms.ChoiceField, self.fields["due_mode"])
        due_mode.choices, due_mode.initial = RULE_DUE_MODES, "none"
        self.fields["due_in_days"].label = _("Days")
        if not editing:
            del self.fields["timing_policy"]

    @classmethod
    def initial_for(cls, rule) -> dict[str, Any]:
        audience = rule.audience
        due_mode = "date" if rule.due_date else "none"
        if rule.due_in_days is not None:
            due_mode = "hire" if rule.due_from == "hire_date" else "days"
        return {
            "certificate": rule.certificate,
            "name": rule.name,
            "person_ids": audience.get("person_ids") or [],
            **{key: audience.get(key) or [] for key in ("group_ids", "departments", "sites", "regions")},
            "everyone": bool(audience.get("everyone")),
            "new_starters": bool(audience.get("new_starters")),
            "due_mode": due_mode,
            "due_date": rule.due_date,
            "due_in_days": rule.due_in_days,
            "recurrence_weeks": rule.recurrence_weeks,
            "priority": rule.priority,
            "note": rule.note,
            "recert_window_days": rule.recert_window_days,
        }

    def to_input(self, items: list[dict[str, Any]], reminders: "RuleRemindersForm") -> RuleInput:
        """The valid form (with its items and valid reminders) as every field of the rule."""
        data = self.cleaned_data
        audience = self.audience_data()
        if data["new_starters"]:
            audience["new_starters"] = True
        mode = data["due_mode"]
        fields: dict[str, Any] = {
            "name": data["name"],
            "certificate": data["certificate"],
            "audience": audience,
            "items": items,
            "due_date": data["due_date"] if mode == "date" else None,
            "due_in_days": data["due_in_days"] if mode in ("days", "hire") else None,
            "due_from": "hire_date" if mode == "hire" else "assignment",
            "recurrence_weeks": data["recurrence_weeks"],
            "priority": data["priority"],
            "note": data["note"],
            "recert_window_days": data["recert_window_days"],
        }
        if not reminders.keeps():
            fields["reminders"] = reminders.plan()
        return RuleInput.model_validate(fields)


def rule_item_inputs(rows: list[RuleItemRow]) -> list[dict[str, Any]] | None:
    """The rows as rule items; None when a row cannot be read (its errors say why). Bounds are the service's."""
    items = []
    for row in rows:
        ref = parse_target(row.target)
        if ref is None or row.visibility not in dict(VISIBILITY_CHOICES) or row.validity not in dict(VALIDITY_CHOICES):
            row.errors.append(_("This item cannot be read; remove it and add it again."))
            continue
        try:
            months = row.validity_months()
        except ValueError as exc:
            row.errors.append(str(exc)[:1].upper() + str(exc)[1:] + ".")
            continue
        items.append({"target": ref, "visibility": row.visibility, "validity_months": months})
    return None if any(r.errors for r in rows) else items


class RuleRemindersForm(BulkRemindersForm):
    """A configuration's reminder plan; one the three rows cannot show (set through the API: more rules,
    message templates) may be kept as it is."""

    KEEP = "keep"

    def __init__(self, *args, plan: list[dict[str, Any]] | None = None, **kwargs):
        shown = plan is None or (len(plan) <= REMINDER_ROWS and not any(r.get("template") for r in plan))
        super().__init__(*args, plan=plan if shown else None, **kwargs)
        if not shown:
            mode = cast(forms.ChoiceField, self.fields["reminder_mode"])
            kept = _("Keep the current reminders: %(plan)s") % {"plan": "; ".join(describe_plan(plan))}
            mode.choices = [(self.KEEP, kept), *REMINDER_MODES]
            self.initial["reminder_mode"] = self.KEEP

    def keeps(self) -> bool:
        return self.cleaned_data["reminder_mode"] == self.KEEP


class ReasonForm(forms.Form):
    """Why a configuration is paused, resumed or deleted (kept in its history)."""

    reason = forms.CharField(
        max_length=MAX_REASON_LENGTH,
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Kept in the configuration's history."),
        error_messages={"required": gettext_lazy("Say why: the reason is kept in the history.")},
        widget=forms.TextInput(),
    )


def item_errors_from(exc_errors, rows: list[RuleItemRow]) -> list:
    """Put `items[i]…` errors on their rows; returns the other errors."""
    rest = []
    for error in exc_errors:
        match = ITEM_ERROR.match(error.field)
        index = int(match.group(1)) if match else -1
        if 0 <= index < len(rows):
            rows[index].errors.append(error.message[:1].upper() + error.message[1:] + ".")
        else:
            rest.append(error)
    return rest
