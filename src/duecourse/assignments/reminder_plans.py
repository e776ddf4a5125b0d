"""A reminder plan as it is saved: the pure checks of `domain.validate_reminder_plan`, plus that each
named template exists for the tenant (so a typo is a 422 when the plan is saved, not an email held
at send time). The names come from notifications through the `reminder_template_names` hook, because
notifications sits above assignments and owns the templates."""

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from duecourse.assignments.domain import RECIPIENT_LABELS, validate_reminder_plan
from duecourse.assignments.signals import reminder_template_names


def template_names(tenant_id: int) -> set[str]:
    """The message template names a reminder rule of this tenant may give."""
    answers = reminder_template_names.send(sender=None, tenant_id=tenant_id)
    return {name for _receiver, names in answers for name in names or ()}


def _names_a_template(plan: object) -> bool:
    return isinstance(plan, list) and any(isinstance(rule, dict) and rule.get("template") for rule in plan)


def clean_reminder_plan(plan: object, *, tenant_id: int) -> list[dict] | None:
    """A clean plan whose templates exist, or ValueError saying what is wrong (the caller names the field).

    The tenant's templates are looked up only when the plan names one."""
    templates: Collection[str] | None = template_names(tenant_id) if _names_a_template(plan) else None
    return validate_reminder_plan(plan, templates=templates)


def describe_plan(plan: list[dict[str, Any]] | None) -> list[str]:
    """A plan in words, a line a reminder (None is the standard plan; [] none at all)."""
    if plan is None:
        return [_("Learner, 3 days before the due date")]
    if not plan:
        return []
    lines = []
    for rule in plan:
        days = rule["days"]
        if days == 0:
            when = _("on the due date")
        elif days > 0:
            when = ngettext("%(n)s day before the due date", "%(n)s days before the due date", days) % {"n": days}
        else:
            when = ngettext("%(n)s day after the due date", "%(n)s days after the due date", -days) % {"n": -days}
        template = " " + _("(message “%(name)s”)") % {"name": rule["template"]} if rule.get("template") else ""
        lines.append(f"{', '.join(str(RECIPIENT_LABELS[r]) for r in rule['recipients'])}, {when}{template}")
    return lines
