"""Web forms for assigning: one person, the bulk wizard's steps, and an assignment's edit.

They only shape browser input into the inputs `assignments.services` takes; the services check every rule.
"""

import re
from collections.abc import Iterable
from typing import Any, cast

from django import forms

from duecourse.assignments.domain import RECIPIENT_LABELS, RECIPIENTS
from duecourse.assignments.inputs import (
    AssignmentChange,
    AssignmentInput,
    Audience,
    BulkAssignInput,
    ExemptionInput,
    TargetRef,
)
from duecourse.assignments.limits import MAX_DUE_DAYS, MAX_NOTE_LENGTH, MAX_REASON_LENGTH, MAX_REMINDER_DAYS
from duecourse.assignments.models import Assignment
from duecourse.assignments.priorities import DEFAULT_PRIORITY, Priority

DUE_MODES = [("none", "No due date"), ("date", "On a date"), ("days", "Days after assignment")]
REMINDER_MODES = [
    ("default", "Standard: the learner, 3 days before the due date"),
    ("custom", "Custom reminders"),
    ("none", "No reminders"),
]
REMINDER_ROWS = 3
TARGET_VALUE = re.compile(r"^(course|path|skill):(\d{1,18})$")


def parse_target(value: str) -> TargetRef | None:
    match = TARGET_VALUE.match(value or "")
    return TargetRef.model_validate({"type": match.group(1), "id": int(match.group(2))}) if match else None


def target_choices(*, courses, paths, skills) -> list:
    """Grouped <select> choices `type:id` for the active catalog."""
    groups = [
        ("Courses", [(f"course:{c.pk}", f"{c.title} ({c.code})") for c in courses]),
        ("Learning paths", [(f"path:{p.pk}", p.title) for p in paths]),
        ("Skills", [(f"skill:{s.pk}", s.name) for s in skills]),
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
                raise forms.ValidationError("contains something that is not a person")
            ids.append(int(raw))
        return list(dict.fromkeys(ids))


class TimingMixin(forms.Form):
    """Due date and the fields every assignment carries, shared by the single form and wizard step 1."""

    due_mode = forms.ChoiceField(choices=DUE_MODES, initial="days", label="Due", widget=forms.RadioSelect)
    due_date = forms.DateField(required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    due_in_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_DUE_DAYS,
        label="Days after assignment",
        initial=30,
        widget=forms.NumberInput(attrs={"min": 0}),
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=DEFAULT_PRIORITY, label="Priority")
    note = forms.CharField(
        required=False,
        max_length=MAX_NOTE_LENGTH,
        label="Note to the learner",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Why this matters, or how to get started (shown to the learner)"}
        ),
    )
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        label="Reason (audit only)",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Annual compliance refresh"}),
        help_text="Kept in the audit log; learners do not see it.",
    )
    retake = forms.BooleanField(
        required=False,
        label="Retake: re-open completed or expired training as a new cycle",
        help_text="Without it, whoever has completed the training keeps the completion and is left as is.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mode = data.get("due_mode")
        if mode == "date" and not data.get("due_date") and "due_date" not in self.errors:
            self.add_error("due_date", "Choose the due date.")
        if mode == "days" and data.get("due_in_days") is None and "due_in_days" not in self.errors:
            self.add_error("due_in_days", "Give the number of days.")
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


class AssignForm(TimingMixin):
    """Assign one target to one person (the person page and the team view)."""

    target = forms.ChoiceField(label="Training")
    field_order = ["target", "due_mode", "due_date", "due_in_days", "priority", "note", "reason", "retake"]

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = [("", "Choose a course, path or skill…"), *targets]

    def to_input(self, person_id: int) -> AssignmentInput:
        return AssignmentInput.model_validate(
            {"person_id": person_id, "target": parse_target(self.cleaned_data["target"]), **self.timing_data()}
        )


class AssignmentEditForm(forms.Form):
    due_date = forms.DateField(
        required=False,
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for no due date. Reminders follow the new date.",
    )
    priority = forms.ChoiceField(choices=Priority.choices, label="Priority")
    note = forms.CharField(
        required=False,
        max_length=MAX_NOTE_LENGTH,
        label="Note to the learner",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        label="Reason for the change",
        help_text="Kept in the audit log.",
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
        label="Reason",
        help_text="Why they are exempt; kept in the audit log.",
        widget=forms.TextInput(),
    )
    until = forms.DateField(
        required=False,
        label="Exempt until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last exempt day; afterwards the due date applies again. Leave empty until ended.",
    )

    def to_input(self) -> ExemptionInput:
        return ExemptionInput(reason=self.cleaned_data["reason"], until=self.cleaned_data["until"])


class DueDateForm(forms.Form):
    """The quick 'change due date' of a row on the person page."""

    due_date = forms.DateField(required=False, label="New due date", widget=forms.DateInput(attrs={"type": "date"}))

    def to_input(self, assignment: Assignment) -> AssignmentChange:
        """The new due date, if it is new (an unchanged one would mark it as set by hand)."""
        new = self.cleaned_data["due_date"]
        return AssignmentChange(due_date=new) if new != assignment.due_date else AssignmentChange()


# --- the bulk wizard -----------------------------------------------------------------------------
class BulkTargetsForm(TimingMixin):
    """Step 1: what, by when, how important."""

    targets = forms.MultipleChoiceField(
        label="Training to assign",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one course, path or skill."},
    )
    field_order = ["targets", "due_mode", "due_date", "due_in_days", "priority", "note", "reason", "retake"]

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["targets"]).choices = targets

    def targets_data(self) -> dict[str, Any]:
        return {"targets": [parse_target(v) for v in self.cleaned_data["targets"]], **self.timing_data()}


class BulkPeopleForm(forms.Form):
    """Step 2: who. Any mix of people, groups, org units or everyone."""

    person_ids = IdListField(required=False, label="People")
    my_reports = forms.BooleanField(required=False, label="All my direct reports")
    group_ids = forms.TypedMultipleChoiceField(
        required=False, coerce=int, label="Groups", widget=forms.CheckboxSelectMultiple
    )
    departments = forms.MultipleChoiceField(required=False, label="Departments", widget=forms.CheckboxSelectMultiple)
    sites = forms.MultipleChoiceField(required=False, label="Sites", widget=forms.CheckboxSelectMultiple)
    regions = forms.MultipleChoiceField(required=False, label="Regions", widget=forms.CheckboxSelectMultiple)
    everyone = forms.BooleanField(required=False, label="Everyone in the organisation")

    def __init__(self, *args, groups=(), org_units=None, tenant_wide=True, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["group_ids"]).choices = [(g.pk, g.name) for g in groups]
        for key, names in (org_units or {}).items():
            cast(forms.ChoiceField, self.fields[key]).choices = [(n, n) for n in names]
        if tenant_wide:
            del self.fields["my_reports"]
        else:
            del self.fields["everyone"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not any(data.get(k) for k in self.fields):
            raise forms.ValidationError(
                "Choose who to assign to: people, groups, departments, sites, regions or everyone."
            )
        return data

    def assignees(self, report_ids: Iterable[int] = ()) -> Audience:
        data = self.cleaned_data
        person_ids = list(data["person_ids"])
        if data.get("my_reports"):
            person_ids = list(dict.fromkeys([*person_ids, *report_ids]))
        assignees = {
            "person_ids": person_ids,
            "group_ids": data["group_ids"],
            "departments": data["departments"],
            "sites": data["sites"],
            "regions": data["regions"],
        }
        assignees = {k: v for k, v in assignees.items() if v}
        if data.get("everyone"):
            assignees["everyone"] = True
        return Audience.model_validate(assignees)


class BulkRemindersForm(forms.Form):
    """Step 3: the reminder plan (days before the due date; 'after' sends dunning notices)."""

    reminder_mode = forms.ChoiceField(
        choices=REMINDER_MODES, initial="default", label="Reminders", widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, REMINDER_ROWS + 1):
            self.fields[f"r{n}_days"] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=MAX_REMINDER_DAYS,
                label="Days",
                widget=forms.NumberInput(attrs={"min": 0}),
            )
            self.fields[f"r{n}_when"] = forms.ChoiceField(
                required=False,
                choices=[("before", "before the due date"), ("after", "after the due date")],
                initial="before",
                label="When",
            )
            self.fields[f"r{n}_recipients"] = forms.MultipleChoiceField(
                required=False,
                choices=[(r, RECIPIENT_LABELS[r]) for r in RECIPIENTS],
                initial=["learner"],
                label="Send to",
                widget=forms.CheckboxSelectMultiple,
            )
        if not self.is_bound:
            self.initial.setdefault("r1_days", 7)
            self.initial.setdefault("r2_days", 1)
            self.initial.setdefault("r3_days", 3)
            self.initial.setdefault("r3_when", "after")
            self.initial.setdefault("r3_recipients", ["learner", "manager"])

    def rows(self):
        return [(self[f"r{n}_days"], self[f"r{n}_when"], self[f"r{n}_recipients"]) for n in range(1, REMINDER_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("reminder_mode") == "custom":
            used = [n for n in range(1, REMINDER_ROWS + 1) if data.get(f"r{n}_days") is not None]
            if not used and not self.errors:
                raise forms.ValidationError("Add at least one reminder, or choose “No reminders”.")
            for n in used:
                if not data.get(f"r{n}_recipients"):
                    self.add_error(f"r{n}_recipients", "Choose who receives this reminder.")
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


def describe_plan(plan: list[dict[str, Any]] | None) -> list[str]:
    if plan is None:
        return ["Learner, 3 days before the due date"]
    if not plan:
        return []
    lines = []
    for rule in plan:
        days = rule["days"]
        when = (
            "on the due date"
            if days == 0
            else f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'before' if days > 0 else 'after'} the due date"
        )
        lines.append(f"{', '.join(RECIPIENT_LABELS[r] for r in rule['recipients'])}, {when}")
    return lines
