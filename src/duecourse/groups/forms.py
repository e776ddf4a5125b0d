"""Web forms for groups, and the rule editor's rows turned into a rule. Services validate everything."""

import re
import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duecourse.core.errors import ValidationFailed
from duecourse.groups.domain import PROVISIONED_NOTICE, group_is_provisioned
from duecourse.groups.dynamic_rules import FIELDS
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group
from duecourse.people.forms import PersonFilterForm

FIELD_LABELS = {
    "department": gettext_lazy("Department"),
    "site": gettext_lazy("Site"),
    "region": gettext_lazy("Region"),
    "job_title": gettext_lazy("Job title"),
    "hire_date": gettext_lazy("Hire date"),
    "manager_id": gettext_lazy("Manager"),
}
OP_LABELS = {
    "eq": gettext_lazy("is"),
    "in": gettext_lazy("is one of"),
    "before": gettext_lazy("is before"),
    "after": gettext_lazy("is after"),
}
OPS_FOR_FIELD = {field: ("eq", "in", "before", "after") if field == "hire_date" else ("eq", "in") for field in FIELDS}
ROW_ERROR = re.compile(r"^rule\.all\[(\d+)\](?:\.(field|op|value))?$")


class GroupForm(forms.Form):
    name = forms.CharField(
        required=False, label=gettext_lazy("Name"), widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    description = forms.CharField(
        required=False,
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": gettext_lazy("Who is this group for? (optional)")}),
    )

    def __init__(self, *args, group: Group | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["required"] = True
        if group is not None and group_is_provisioned(group):
            # The identity provider names it; the form keeps the name it has (a posted one is ignored).
            name = self.fields["name"]
            name.disabled, name.initial = True, group.name
            name.help_text = PROVISIONED_NOTICE

    def to_input(self, **editor: Any) -> GroupInput:
        """The group services' input: this form's fields plus what the editor adds (kind, rule or members)."""
        return GroupInput.model_validate(
            {"name": self.cleaned_data["name"], "description": self.cleaned_data["description"], **editor}
        )


class OrgUnitPeopleFilterForm(forms.Form):
    """The search and status filter of a department's, site's or region's people; names match GET
    /api/v1/people, so its CSV export reuses them. Active people unless asked otherwise."""

    q = PersonFilterForm.base_fields["q"]  # the directory's search box, with its placeholder and bound
    active = PersonFilterForm.base_fields["active"]

    def __init__(self, data):
        data = data.copy()
        data.setdefault("active", "true")
        super().__init__(data)

    def filters(self) -> dict:
        """`org_unit_people` keywords; an invalid value is ignored, not an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active = data.get("active")
        return {"q": (data.get("q") or "").strip() or None, "active": None if not active else active == "true"}

    def api_params(self, kind: str, name: str) -> dict:
        """The same people as query parameters of GET /api/v1/people (which names the unit)."""
        filters = self.filters()
        params = {kind: name, **({"q": filters["q"]} if filters["q"] else {})}
        if filters["active"] is not None:
            params["active"] = "true" if filters["active"] else "false"
        return params


class RuleRow:
    """One condition as the editor shows it: raw strings, an id for labels, and its errors."""

    def __init__(self, field: str = "department", op: str = "eq", values: list[str] | None = None, key: str = ""):
        self.field = field if field in FIELDS else "department"
        self.op = op if op in OPS_FOR_FIELD[self.field] else "eq"
        self.values = [v for v in (values or []) if v is not None]
        self.key = key if re.fullmatch(r"[a-z0-9]{1,16}", key or "") else secrets.token_hex(4)
        self.errors: list[str] = []

    @property
    def ops(self):
        return [(op, OP_LABELS[op]) for op in OPS_FOR_FIELD[self.field]]

    @property
    def text_value(self) -> str:
        return ", ".join(self.values)

    @property
    def multi_manager(self) -> bool:
        return self.field == "manager_id" and self.op == "in"

    def rule_value(self):
        """The value as the rule stores it: a list for `in`, a person id for the manager."""
        if self.op == "in":
            items = self.values if self.field == "manager_id" else [p for v in self.values for p in v.split(",")]
            return [self._typed(v.strip()) for v in items if v.strip()]
        return self._typed(self.values[0].strip() if self.values else "")

    def _typed(self, value: str):
        if self.field == "manager_id" and value.isdigit():
            return int(value)
        return value

    def as_condition(self) -> dict:
        return {"field": self.field, "op": self.op, "value": self.rule_value()}


def rule_rows_from_post(data) -> list[RuleRow]:
    return [
        RuleRow(
            data.get(f"cond-{key}-field", ""),
            data.get(f"cond-{key}-op", ""),
            data.getlist(f"cond-{key}-value"),
            key,
        )
        for key in data.getlist("cond")
    ]


def rule_rows_from_rule(rule: dict | None) -> list[RuleRow]:
    rows = []
    for condition in (rule or {}).get("all", []):
        value = condition["value"]
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if condition["op"] == "in" and condition["field"] != "manager_id":
            values = [", ".join(values)]
        rows.append(RuleRow(condition["field"], condition["op"], values))
    return rows


def rule_from_rows(rows: list[RuleRow]) -> dict:
    return {"all": [row.as_condition() for row in rows]}


def attach_rule_errors(rows: list[RuleRow], errors) -> list[str]:
    """Put each `rule.all[i].…` error on its row; return the errors about the rule as a whole."""
    general = []
    for error in errors:
        match = ROW_ERROR.match(error.field)
        if match and int(match.group(1)) < len(rows):
            rows[int(match.group(1))].errors.append(error.message)
        elif error.field.startswith("rule"):
            general.append(error.message)
    return general


def member_ids_from_post(data) -> list[int]:
    """Person ids from the picker; the service names the unknown ones, this the ones that are no number."""
    values = data.getlist("member_ids")
    if not all(v.isdigit() for v in values):
        raise ValidationFailed.on("member_ids", _("must be a list of person ids"))
    return [int(v) for v in values]
