"""The Mandatory tasks filters (a GET form whose query string is the page's state) and the bulk action
form. Filters become the list's one `AssignmentQuery` through `AssignmentFilterIn`, as the API's do."""

import dataclasses
import datetime as dt
import typing
from typing import cast

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from duecourse.assignments.forms import parse_target
from duecourse.assignments.schemas import AssignmentFilterIn, SourceKind
from duecourse.assignments.selectors import AssignmentQuery
from duecourse.assignments.status import UNFINISHED_STATUSES, AssignmentStatus
from duecourse.core.errors import ValidationFailed
from duecourse.core.web import add_field_errors
from duecourse.people import selectors as people_selectors
from duecourse.people.models import Person
from duecourse.workspace.domain import DEFAULT_SORT, SORTS, STATUS_ANY, STATUS_TODO

STATUS_CHOICES = [
    (STATUS_TODO, gettext_lazy("To do (assigned, in progress, overdue)")),
    (STATUS_ANY, gettext_lazy("Any status")),
    *[(status.value, status.label) for status in AssignmentStatus],
]
SOURCE_KIND_LABELS = {
    "individual": gettext_lazy("Assigned to the person"),
    "group": gettext_lazy("A group"),
    "org_unit": gettext_lazy("A department, site or region"),
    "everyone": gettext_lazy("Everyone"),
    "new_starter": gettext_lazy("New starters"),
    "rule": gettext_lazy("A training configuration"),
}
assert set(SOURCE_KIND_LABELS) == set(typing.get_args(SourceKind))  # one list of kinds: the API's
ANY = gettext_lazy("Any")
YES_NO = [("", ANY), ("yes", gettext_lazy("Flagged")), ("no", gettext_lazy("Not flagged"))]
AT_RISK_CHOICES = [("", ANY), ("yes", gettext_lazy("At risk")), ("no", gettext_lazy("Not at risk"))]


class SearchInput(forms.TextInput):
    input_type = "search"


class PlainSelect(forms.Select):
    """A <select> written directly rather than through a template per option: the filter bar has a dozen
    selects with a few hundred options, rendered on every page of the list (a tenth of its time)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        attrs = self.build_attrs(self.attrs, attrs)

        def options(choices) -> SafeString:
            return format_html_join(
                "",
                "{}",
                (
                    (
                        format_html('<optgroup label="{}">{}</optgroup>', key, options(label))
                        if isinstance(label, list | tuple)
                        else format_html(
                            '<option value="{}"{}>{}</option>', key, " selected" if str(key) == chosen else "", label
                        ),
                    )
                    for key, label in choices
                ),
            )

        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options(self.choices))


class TaskFilterForm(forms.Form):
    """Every field is optional; the choices come from the tenant (`choices` from `selectors.filter_choices`)."""

    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Person"), widget=SearchInput)
    status = forms.ChoiceField(widget=PlainSelect, required=False, choices=STATUS_CHOICES, label=gettext_lazy("Status"))
    escalation_tier = forms.ChoiceField(widget=PlainSelect, required=False, label=gettext_lazy("Escalation"))
    compliance_flag = forms.ChoiceField(
        widget=PlainSelect, required=False, choices=YES_NO, label=gettext_lazy("Compliance flag")
    )
    at_risk = forms.ChoiceField(
        widget=PlainSelect, required=False, choices=AT_RISK_CHOICES, label=gettext_lazy("At risk")
    )
    department = forms.ChoiceField(widget=PlainSelect, required=False, label=gettext_lazy("Department"))
    site = forms.ChoiceField(widget=PlainSelect, required=False, label=gettext_lazy("Site"))
    region = forms.ChoiceField(widget=PlainSelect, required=False, label=gettext_lazy("Region"))
    group_id = forms.TypedChoiceField(
        widget=PlainSelect, required=False, coerce=int, empty_value=None, label=gettext_lazy("Group")
    )
    manager = forms.EmailField(required=False, max_length=254, label=gettext_lazy("Manager's email"))
    scope = forms.BooleanField(required=False, label=gettext_lazy("Indirect reports too"))
    target = forms.ChoiceField(widget=PlainSelect, required=False, label=gettext_lazy("Training"))
    source_kind = forms.ChoiceField(
        widget=PlainSelect,
        required=False,
        choices=[("", ANY), *SOURCE_KIND_LABELS.items()],
        label=gettext_lazy("Assigned through"),
    )
    rule_id = forms.TypedChoiceField(
        widget=PlainSelect, required=False, coerce=int, empty_value=None, label=gettext_lazy("Training configuration")
    )
    due_after = forms.DateField(
        required=False, label=gettext_lazy("Due after"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_before = forms.DateField(
        required=False, label=gettext_lazy("Due before"), widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned_by = forms.EmailField(required=False, max_length=254, label=gettext_lazy("Assigned by (email)"))
    sort = forms.ChoiceField(
        widget=PlainSelect, required=False, choices=[(k, s.label) for k, s in SORTS.items()], label=gettext_lazy("Sort")
    )

    def __init__(self, data, *, actor: Person, choices: dict):
        super().__init__(data)
        self.actor = actor
        self._built: AssignmentQuery | None = None
        any_ = [("", _("Any"))]
        cast(forms.ChoiceField, self.fields["escalation_tier"]).choices = [
            *any_,
            ("0", _("Not escalated")),
            *[
                (str(i), _("Tier %(tier)s: %(days)s+ days overdue") % {"tier": i, "days": tier["after_days"]})
                for i, tier in enumerate(choices["tiers"], 1)
            ],
        ]
        for unit in ("department", "site", "region"):
            cast(forms.ChoiceField, self.fields[unit]).choices = any_ + [(name, name) for name in choices[unit]]
        cast(forms.ChoiceField, self.fields["group_id"]).choices = any_ + list(choices["groups"])
        cast(forms.ChoiceField, self.fields["target"]).choices = [("", _("Any training")), *choices["targets"]]
        cast(forms.ChoiceField, self.fields["rule_id"]).choices = any_ + list(choices["rules"])
        self.fields["q"].widget.attrs["placeholder"] = _("Search by name or email")

    def clean_target(self):
        value = self.cleaned_data.get("target") or ""
        if value and parse_target(value) is None:
            raise forms.ValidationError(_("Pick a course, learning path or skill from the list."))
        return value

    def _person_id(self, field: str) -> int | None:
        email = self.cleaned_data.get(field)
        if not email:
            return None
        found = people_selectors.people_by_email(actor=self.actor, emails=[email]).get(email.strip().lower())
        if found is None:
            self.add_error(field, _("Nobody in your organisation has this email."))
            return None
        return found.pk

    def clean(self):
        cleaned = super().clean() or {}
        cleaned["manager_id"] = self._person_id("manager")
        cleaned["assigned_by_id"] = self._person_id("assigned_by")
        if cleaned.get("scope") and not cleaned.get("manager"):
            self.add_error("scope", _("Give a manager's email to include their indirect reports."))
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if isinstance(after, dt.date) and isinstance(before, dt.date) and after >= before:
            self.add_error("due_before", _("Must be after the “due after” date."))
        self._built = None if self.errors else self._query(cleaned)
        return cleaned

    @property
    def search(self) -> str:
        return (self.cleaned_data.get("q") or "").strip()

    @property
    def chosen_sort(self) -> str:
        return self.cleaned_data.get("sort") or DEFAULT_SORT

    def _query(self, data: dict) -> AssignmentQuery | None:
        """The list's query from the cleaned fields, checked by the API's filter schema as for the API; what
        the schema refuses becomes an error on the field it names (None then)."""
        status = data.get("status") or STATUS_TODO
        statuses = (
            [AssignmentStatus(s) for s in UNFINISHED_STATUSES]
            if status == STATUS_TODO
            else None
            if status == STATUS_ANY
            else [AssignmentStatus(status)]
        )
        target = parse_target(data.get("target") or "")
        flag = {"yes": True, "no": False}.get(data.get("compliance_flag") or "")
        at_risk = {"yes": True, "no": False}.get(data.get("at_risk") or "")
        tier = data.get("escalation_tier")
        try:
            query = AssignmentFilterIn(
                status=statuses,
                target_type=target.type if target else None,
                target_id=target.id if target else None,
                department=data.get("department") or None,
                site=data.get("site") or None,
                region=data.get("region") or None,
                group_id=data.get("group_id"),
                manager_id=data.get("manager_id"),
                scope="subtree" if data.get("scope") and data.get("manager_id") else "direct",
                due_after=data.get("due_after"),
                due_before=data.get("due_before"),
                escalation_tier=int(tier) if tier not in (None, "") else None,
                compliance_flag=flag,
                at_risk=at_risk,
                source_kind=data.get("source_kind") or None,
                rule_id=data.get("rule_id"),
                assigned_by_id=data.get("assigned_by_id"),
            ).to_query()
        except ValidationError as exc:  # the form's choices keep to the schema; this is a safety net
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else None
                self.add_error(field if field in self.fields else None, error["msg"])
            return None
        except ValidationFailed as exc:
            add_field_errors(self, exc)
            return None
        return dataclasses.replace(query, person_search=self.search)

    def to_query(self) -> AssignmentQuery:
        """The list's query; only after `is_valid()` said yes."""
        assert self._built is not None, "to_query() before a successful is_valid()"
        return self._built


ACTION_CHOICES = [
    ("remind", gettext_lazy("Send a reminder now")),
    ("extend", gettext_lazy("Extend the due date")),
    ("withdraw", gettext_lazy("Withdraw")),
]


class TaskActionForm(forms.Form):
    """One action on the ticked items, or on everything the filter matches (`everything`)."""

    action = forms.ChoiceField(choices=ACTION_CHOICES)
    ids = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    everything = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("New due date")
    )
    reason = forms.CharField(required=False, max_length=500, label=gettext_lazy("Reason"))

    def clean_ids(self):
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        ids = []
        for value in raw:
            if not str(value).isdigit() or len(str(value)) > 18:
                raise forms.ValidationError(_("contains something that is not an assignment"))
            ids.append(int(value))
        return list(dict.fromkeys(ids))

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("everything") and not cleaned.get("ids"):
            raise forms.ValidationError(_("Tick at least one item, or choose everything the filter matches."))
        return cleaned
