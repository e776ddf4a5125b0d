"""Escalation policy, pure: the overdue tiers a tenant sets, their default, and their validation.

Tenant policy in `tenant.settings["escalation"]`: `[{"after_days": N, "to": recipient, "flag": bool}, …]`.
The settings service, form and API validate with `validated_escalation`; the scheduler, lists and filters
read with `escalation_tiers` (from `assignments/escalation.py`, where "which tier an item reached" lives),
which skips what is malformed so a bad row stored by other means never stops them.
"""

from django.utils.translation import gettext as _

from duecourse.assignments.escalation import (
    DEFAULT_ESCALATION,
    ESCALATION_RECIPIENTS,
    MAX_ESCALATION_DAYS,
    MAX_ESCALATION_TIERS,
    escalation_tiers,
    is_days_overdue,
)
from duecourse.core.errors import ValidationFailed

# The readers live with assignments (lists and filters show the tier an item reached); this module validates.
__all__ = [
    "DEFAULT_ESCALATION",
    "ESCALATION_RECIPIENTS",
    "MAX_ESCALATION_DAYS",
    "MAX_ESCALATION_TIERS",
    "escalation_tiers",
    "flag_after_days",
    "validated_escalation",
]


def flag_after_days(tiers: list[dict]) -> int | None:
    """Days overdue at which the compliance flag goes up (the earliest flagging tier), or None."""
    return min((t["after_days"] for t in tiers if t["flag"]), default=None)


def validated_escalation(tiers) -> list[dict]:
    """The tiers an admin sends, checked and sorted; `ValidationFailed` names the first bad field."""
    if not isinstance(tiers, list):
        raise ValidationFailed.on("escalation", _("must be a list of {after_days, to, flag}"))
    if len(tiers) > MAX_ESCALATION_TIERS:
        raise ValidationFailed.on("escalation", _("at most %(max)s tiers") % {"max": MAX_ESCALATION_TIERS})
    clean = []
    for index, tier in enumerate(tiers):
        name = f"escalation.{index}"
        if not isinstance(tier, dict) or set(tier) - {"after_days", "to", "flag"}:
            raise ValidationFailed.on(name, _("must be an object with after_days, to and flag"))
        after, to, flag = tier.get("after_days"), tier.get("to"), tier.get("flag", False)
        if not is_days_overdue(after):
            raise ValidationFailed.on(
                f"{name}.after_days",
                _("must be a whole number of days overdue from 0 to %(max)s") % {"max": MAX_ESCALATION_DAYS},
            )
        if to is not None and to not in ESCALATION_RECIPIENTS:
            raise ValidationFailed.on(
                f"{name}.to", _("must be one of %(values)s, or null") % {"values": ", ".join(ESCALATION_RECIPIENTS)}
            )
        if not isinstance(flag, bool):
            raise ValidationFailed.on(f"{name}.flag", _("must be true or false"))
        if to is None and not flag:
            raise ValidationFailed.on(name, _("must notify someone (to) or set the compliance flag (flag), or both"))
        clean.append({"after_days": after, "to": to, "flag": flag})
    keys = [(t["after_days"], t["to"]) for t in clean]
    if len(set(keys)) != len(keys):
        raise ValidationFailed.on("escalation", _("two tiers notify the same recipient on the same day"))
    return sorted(clean, key=lambda t: t["after_days"])
