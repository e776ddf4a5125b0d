"""Escalation tiers as assignments read them, pure: the tenant's tiers, their default, and which tier an
overdue item has reached (the one home of "escalation_tier").

Tenant policy in `tenant.settings["escalation"]`: `[{"after_days": N, "to": recipient, "flag": bool}, …]`.
`policy/escalation.py` (above assignments) validates what an admin saves and re-exports these readers;
lists, filters and the scheduler read the tiers with `escalation_tiers`, which skips what is malformed so
a bad row stored by other means never stops them. `selectors.escalation_tier_expression` and
`selectors.escalation_tier_filter` are the SQL forms of `escalation_tier`, held to it by a truth-table test.
"""

import datetime as dt
import logging

from duecourse.assignments.domain import RECIPIENTS

logger = logging.getLogger(__name__)

DEFAULT_ESCALATION: list[dict] = [
    {"after_days": 0, "to": "manager", "flag": False},
    {"after_days": 8, "to": "hr", "flag": False},
    {"after_days": 15, "to": None, "flag": True},
]
ESCALATION_RECIPIENTS = RECIPIENTS  # the same people a reminder rule can name
MAX_ESCALATION_TIERS = 10
MAX_ESCALATION_DAYS = 365
NO_TIER = 0


def is_days_overdue(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_ESCALATION_DAYS


def escalation_tiers(settings: dict | None) -> list[dict]:
    """The tenant's escalation tiers, clean and sorted by `after_days`; malformed tiers are skipped (logged)."""
    raw = (settings or {}).get("escalation")
    if not isinstance(raw, list):
        return DEFAULT_ESCALATION
    tiers = []
    for tier in raw:
        after = tier.get("after_days") if isinstance(tier, dict) else None
        to = tier.get("to") if isinstance(tier, dict) else None
        if not is_days_overdue(after) or to not in (None, *ESCALATION_RECIPIENTS):
            logger.warning("Skipping malformed escalation tier %r", tier)
            continue
        tiers.append({"after_days": after, "to": to, "flag": tier.get("flag") is True})
    return sorted(tiers, key=lambda t: t["after_days"])


def escalation_tier(*, overdue_for: dt.timedelta | None, tiers: list[dict]) -> int:
    """The 1-based tier (of the clean, sorted `tiers`) an item overdue for `overdue_for` has reached: the
    last tier whose `after_days` have passed since its due moment; 0 when it is not overdue (None: not in
    the overdue status) or has not reached the first tier yet. Tiers starting the same day are all reached
    together, so the tier is the last of them."""
    if overdue_for is None or overdue_for < dt.timedelta(0):
        return NO_TIER
    return sum(1 for tier in tiers if dt.timedelta(days=tier["after_days"]) <= overdue_for)


def reachable_tiers(tiers: list[dict]) -> list[int]:
    """The tiers an item can be in (a tier sharing its day with a later one is passed at once), 0 first."""
    return [NO_TIER] + [
        index
        for index, tier in enumerate(tiers, start=1)
        if index == len(tiers) or tiers[index]["after_days"] > tier["after_days"]
    ]
