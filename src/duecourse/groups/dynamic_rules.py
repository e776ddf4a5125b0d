"""Dynamic group rules: validated once, then compiled to one ORM filter over people."""

import datetime as dt
from typing import NoReturn, TypedDict

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duecourse.core.errors import FieldError, ValidationFailed
from duecourse.groups.limits import MAX_RULE_CONDITIONS, MAX_RULE_TEXT_LENGTH, MAX_RULE_VALUES
from duecourse.people.models import OrgUnit

FIELDS = ("department", "site", "region", "job_title", "hire_date", "manager_id")
OPS = ("eq", "in", "before", "after")
ORG_LOOKUPS = {"department": "department__name", "site": "site__name", "region": "region__name"}

Scalar = int | str  # a person id, or text (an org unit's name, a job title, an ISO date)


class Condition(TypedDict):
    field: str
    op: str
    value: Scalar | list[Scalar]  # a list for "in"


class Rule(TypedDict):
    """A validated rule, as stored in `Group.rule`: every condition must hold."""

    all: list[Condition]


def _scalar(field: str, value: object, where: str) -> dt.date | int | str:
    if field == "hire_date":
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else _reject()
        except (ValueError, TypeError):
            raise ValidationFailed.on(
                where, _("%(value)s is not a date (YYYY-MM-DD)") % {"value": repr(value)}
            ) from None
    if field == "manager_id":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**62:
            raise ValidationFailed.on(where, _("%(value)s is not a person id") % {"value": repr(value)})
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_RULE_TEXT_LENGTH:
        raise ValidationFailed.on(where, _("%(value)s must be non-empty text") % {"value": repr(value)})
    return value.strip()


def _reject() -> NoReturn:
    raise TypeError


def validate_rule(rule: object) -> Rule:
    """The rule in canonical form, or ValidationFailed naming the condition (`rule.all[2].op`)."""
    if not isinstance(rule, dict) or set(rule) != {"all"} or not isinstance(rule["all"], list):
        raise ValidationFailed.on("rule", _('must be {"all": [conditions]}'))
    conditions = rule["all"]
    if not conditions:
        raise ValidationFailed.on("rule.all", _("needs at least one condition"))
    if len(conditions) > MAX_RULE_CONDITIONS:
        raise ValidationFailed.on("rule.all", _("has more than %(max)s conditions") % {"max": MAX_RULE_CONDITIONS})
    clean = []
    errors: list[FieldError] = []
    for index, condition in enumerate(conditions):
        where = f"rule.all[{index}]"
        try:
            clean.append(_validate_condition(condition, where))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(detail=_("Invalid group rule"), errors=errors)
    return {"all": clean}


def _validate_condition(condition: object, where: str) -> Condition:
    if not isinstance(condition, dict) or set(condition) - {"field", "op", "value"}:
        raise ValidationFailed.on(where, _("must be {field, op, value}"))
    field, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    if field not in FIELDS:
        raise ValidationFailed.on(
            f"{where}.field",
            _("%(value)s is not one of %(choices)s") % {"value": repr(field), "choices": ", ".join(FIELDS)},
        )
    if op not in OPS:
        raise ValidationFailed.on(
            f"{where}.op", _("%(value)s is not one of %(choices)s") % {"value": repr(op), "choices": ", ".join(OPS)}
        )
    if op in ("before", "after") and field != "hire_date":
        raise ValidationFailed.on(f"{where}.op", _("%(op)s applies to hire_date only") % {"op": op})
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > MAX_RULE_VALUES:
            raise ValidationFailed.on(f"{where}.value", _("must be a non-empty list for op 'in'"))
        values = [_scalar(field, v, f"{where}.value") for v in value]
        return {"field": field, "op": op, "value": [v.isoformat() if isinstance(v, dt.date) else v for v in values]}
    scalar = _scalar(field, value, f"{where}.value")
    return {"field": field, "op": op, "value": scalar.isoformat() if isinstance(scalar, dt.date) else scalar}


def rule_filter(rule: Rule) -> Q:
    """The people a (validated) rule selects; only active people are members of dynamic groups."""
    q = Q(active=True)
    for condition in rule["all"]:
        q &= _condition_filter(condition)
    return q


def _condition_filter(condition: Condition) -> Q:
    field, op, value = condition["field"], condition["op"], condition["value"]
    lookup = ORG_LOOKUPS.get(field, field)
    if op == "eq":
        return Q(**{lookup: value})
    if op == "in":
        return Q(**{f"{lookup}__in": value})
    if op == "before":
        return Q(hire_date__lt=value)
    return Q(hire_date__gt=value)


def tenant_rule_filter(rule: Rule | None, tenant_id: int) -> Q | None:
    """`rule_filter` for one tenant's people with org-unit names turned into ids first (one small query).

    The refresh then filters `person.department_id IN (…)` instead of joining org units, a plan that
    stays right on statistics taken before a big import. None when the rule names an org unit the
    tenant does not have, so it matches nobody (as does a group without a rule).
    """
    if rule is None:
        return None
    named = [c for c in rule["all"] if c["field"] in ORG_LOOKUPS]
    wanted = {(c["field"], v) for c in named for v in _values(c)}
    ids: dict[tuple[str, Scalar], int] = {}
    if wanted:
        for kind, name, pk in OrgUnit.objects.filter(
            tenant_id=tenant_id, kind__in={k for k, _ in wanted}, name__in={n for _, n in wanted}
        ).values_list("kind", "name", "id"):
            ids[(kind, name)] = pk
    q = Q(active=True, tenant_id=tenant_id)
    for condition in rule["all"]:
        field = condition["field"]
        if field not in ORG_LOOKUPS:
            q &= _condition_filter(condition)
            continue
        found = sorted({ids[(field, n)] for n in _values(condition) if (field, n) in ids})
        if not found:
            return None
        q &= Q(**{f"{field}_id__in": found})
    return q


def _values(condition: Condition) -> list[Scalar]:
    value = condition["value"]
    return value if isinstance(value, list) else [value]


# How `describe_rule` names a rule's fields and comparisons, in the page's language.
RULE_FIELD_WORDS = {
    "department": gettext_lazy("department"),
    "site": gettext_lazy("site"),
    "region": gettext_lazy("region"),
    "job_title": gettext_lazy("job title"),
    "hire_date": gettext_lazy("hire date"),
    "manager_id": gettext_lazy("manager id"),
}
RULE_OP_WORDS = {
    "eq": gettext_lazy("is"),
    "in": gettext_lazy("is one of"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
}


def describe_rule(rule: Rule | None) -> str:
    """The rule in words, in the active language: "department is Logistics and site is Leeds"."""
    if not rule:
        return ""
    parts = []
    for c in rule.get("all", []):
        value = ", ".join(map(str, c["value"])) if isinstance(c["value"], list) else c["value"]
        field = RULE_FIELD_WORDS.get(c["field"], c["field"].replace("_", " "))
        op = RULE_OP_WORDS.get(c["op"], c["op"])
        parts.append(_("%(field)s %(op)s %(value)s") % {"field": field, "op": op, "value": value})
    conjunction = _("and")
    return f" {conjunction} ".join(parts)
