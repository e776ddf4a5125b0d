"""The compliance dashboard's and the home overview's figures beside `selectors.compliance`: overdue by
department, the escalation ladder, the flagged people, and the counts an admin acts on.

Each is one set-based statement over the tenant's assignments (or outbox), read through the status and
escalation rules' SQL forms (`assignments.selectors`), so every number equals what the Mandatory tasks
list shows behind its link: the same filter, counted. On PostgreSQL the overdue figures come from the
trigger-kept `overdue_tally` (the same rule, applied to a few thousand rows instead of the overdue items).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, F
from django.urls import reverse
from django.utils.translation import gettext as _

from duecourse.assignments.domain import RECIPIENT_LABELS
from duecourse.assignments.escalation import NO_TIER, reachable_tiers
from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import (
    escalation_tier_expression,
    status_filter,
    statuses_filter,
    tenant_escalation_tiers,
)
from duecourse.assignments.status import UNFINISHED_STATUSES, AssignmentStatus
from duecourse.core import clock
from duecourse.core.errors import forbidden
from duecourse.notifications import permissions as notification_permissions
from duecourse.notifications.models import OutboxMessage
from duecourse.people.models import Person
from duecourse.reports import at_risk, overdue_tally, permissions, selectors

FLAGGED_PEOPLE = 10  # the dashboard names this many flagged people; the link lists them all
FLAGGED_SCAN = 20  # flagged items read per person named (someone with many flagged items fills several rows)
NO_KEY = "(none)"  # compliance's key for people without that org unit (the list cannot filter on it)


def tasks_url(**filters) -> str:
    """The Mandatory tasks list filtered (its filter names: `workspace.domain.FILTER_NAMES`)."""
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    return reverse("workspace:tasks") + (f"?{query}" if query else "")


def require_dashboard(actor: Person) -> None:
    if not permissions.can_view_tenant_reports(actor):
        raise forbidden("see compliance reports")


def dimensions() -> list[str]:
    """The compliance report's dimensions, in its own order (new ones appear on the dashboard by themselves)."""
    return list(selectors.DIMENSIONS)


def drill_down_url(by: str, item: dict) -> str:
    """The people behind one compliance row: the list of that key's items, any status. Empty when the list
    has no filter for it (the "(none)" key, or a dimension without one)."""
    key = item.get("key")
    if by in ("department", "site", "region"):
        return tasks_url(**{by: key}, status="any") if key and key != NO_KEY else ""
    if by == "course" and item.get("target_id") is not None:
        return tasks_url(target=f"course:{item['target_id']}", status="any")
    if by == "group" and item.get("key_id") is not None:
        return tasks_url(group_id=item["key_id"], status="any")
    if by == "rule" and item.get("key_id") is not None:
        return tasks_url(rule_id=item["key_id"], status="any")
    return ""


def compliance_rows(*, actor: Person, by: str) -> list[dict]:
    """`selectors.compliance` worst rate first (no figure yet last), each row with its drill-down link."""
    items = selectors.compliance(actor=actor, by=by)
    items.sort(key=lambda i: (i["rate"] is None, i["rate"] or 0.0, str(i["key"])))
    return [{**item, "url": drill_down_url(by, item)} for item in items]


def at_risk_figure(*, actor: Person) -> at_risk.AtRisk:
    """How many items the forecast says will not be done in time (what `/tasks/?at_risk=yes` lists), as the
    worker last counted them (`reports.at_risk`), or live when that count is not fresh."""
    require_dashboard(actor)
    return at_risk.at_risk(tenant_id=actor.tenant_id, now=clock.now())


@dataclass(frozen=True)
class Rung:
    tier: int  # 0: overdue but not yet at the first tier
    label: str
    count: int
    url: str
    flag: bool = False
    short_label: str = ""  # for the chart, where the whole label does not fit


@dataclass(frozen=True)
class Overdue:
    """The overdue items three ways, from one statement: per department (most first), per escalation tier
    (the ladder), and in all."""

    by_department: list[dict]
    ladder: list[Rung]
    total: int


def overdue_counts(*, tenant_id: int, tiers: list[dict], now) -> dict[tuple[str | None, int], int]:
    """{(department name or None, escalation tier): overdue items}: on PostgreSQL from `overdue_tally`, elsewhere
    one GROUP BY over the overdue items with the tier rule's CASE."""
    if connection.vendor == "postgresql":
        return overdue_tally.overdue_by_department_and_tier(tenant_id=tenant_id, tiers=tiers, now=now)
    return overdue_counts_live(tenant_id=tenant_id, tiers=tiers, now=now)


def overdue_counts_live(*, tenant_id: int, tiers: list[dict], now) -> dict[tuple[str | None, int], int]:
    """`overdue_counts` computed afresh from the assignments (SQLite's answer; the tally's test compares)."""
    rows = (
        Assignment.objects.filter(tenant_id=tenant_id)
        .filter(status_filter(AssignmentStatus.OVERDUE, now))
        .order_by()
        .annotate(key=F("person__department__name"), tier=escalation_tier_expression(tiers, now))
        .values("key", "tier")
        .annotate(n=Count("id"))
        .values_list("key", "tier", "n")
    )
    return {(key, tier): n for key, tier, n in rows}


def overdue_breakdown(*, actor: Person) -> Overdue:
    """The overdue items per department and per escalation tier, from one read (`overdue_counts`)."""
    require_dashboard(actor)
    tiers = tenant_escalation_tiers(actor.tenant_id)
    counts = overdue_counts(tenant_id=actor.tenant_id, tiers=tiers, now=clock.now())
    per_department: dict[str | None, int] = {}
    per_tier: dict[int, int] = {}
    for (key, tier), n in counts.items():
        per_department[key] = per_department.get(key, 0) + n
        per_tier[tier] = per_tier.get(tier, 0) + n
    most_first = sorted(per_department.items(), key=lambda kv: (-kv[1], kv[0] or NO_KEY))
    by_department = [
        {"key": key or NO_KEY, "overdue": n, "url": tasks_url(status="overdue", department=key) if key else ""}
        for key, n in most_first
    ]
    return Overdue(by_department, _ladder(tiers, per_tier), sum(per_department.values()))


def _ladder(tiers: list[dict], counts: dict[int, int]) -> list[Rung]:
    """A rung per tier an item can stand at (`reachable_tiers`: a tier passed on the same day as a later
    one never holds anything), "not escalated yet" first when the first tier waits some days."""
    rungs = []
    for index in reachable_tiers(tiers):
        if index == NO_TIER:
            if not tiers or tiers[0]["after_days"] > 0:
                rungs.append(
                    Rung(
                        NO_TIER,
                        _("Overdue, not escalated yet"),
                        counts.get(NO_TIER, 0),
                        tasks_url(status="overdue", escalation_tier=0),
                        short_label=_("Not escalated yet"),
                    )
                )
            continue
        tier = tiers[index - 1]
        told = _("to %(whom)s") % {"whom": RECIPIENT_LABELS[tier["to"]]} if tier["to"] else _("nobody told")
        words = {"tier": index, "days": tier["after_days"], "told": told}
        if tier["flag"]:
            label = _("Tier %(tier)s: %(days)s+ days overdue (%(told)s, flagged)") % words
        else:
            label = _("Tier %(tier)s: %(days)s+ days overdue (%(told)s)") % words
        url = tasks_url(status="overdue", escalation_tier=index)
        short = _("Tier %(tier)s: %(days)s+ days") % words
        rungs.append(Rung(index, label, counts.get(index, 0), url, flag=tier["flag"], short_label=short))
    return rungs


def _flagged_to_do(actor: Person, now):
    """What `/tasks/?compliance_flag=yes` lists: flagged items still to do (the list's default status)."""
    return Assignment.objects.filter(tenant_id=actor.tenant_id, compliance_flag=True).filter(
        statuses_filter(UNFINISHED_STATUSES, now)
    )


def flagged_people(*, actor: Person, limit: int = FLAGGED_PEOPLE) -> dict:
    """The flagged items still to do: their count, and the `limit` people overdue longest among them, each
    with how many flagged items they have and a link to those. The people are found along the flagged
    items' index by due date (a few hundred rows at most), never by grouping every flagged item."""
    require_dashboard(actor)
    flagged = _flagged_to_do(actor, clock.now())
    earliest = flagged.order_by("due_at", "id").values_list("person_id", flat=True)[: limit * FLAGGED_SCAN]
    person_ids = list(dict.fromkeys(earliest))[:limit]
    rows = {
        r["person_id"]: r
        for r in flagged.filter(person_id__in=person_ids)
        .order_by()
        .values("person_id", "person__name", "person__email", "person__department__name")
        .annotate(items=Count("id"))
    }
    return {
        "count": flagged.count(),
        "url": tasks_url(compliance_flag="yes"),
        "people": [
            {
                "person_id": pk,
                "name": rows[pk]["person__name"],
                "department": rows[pk]["person__department__name"] or "",
                "items": rows[pk]["items"],
                "url": tasks_url(compliance_flag="yes", q=rows[pk]["person__email"]),
            }
            for pk in person_ids
        ],
    }


def overview(*, actor: Person) -> dict:
    """The home page's figures for admins, instructors and HR, each with where to act on it: the overall
    compliance rate, overdue, flagged and at-risk items, and (admins) emails held or failed in the outbox."""
    require_dashboard(actor)
    now = clock.now()
    risk = at_risk_figure(actor=actor)
    by_department = selectors.compliance(actor=actor, by="department")  # every item has one department key
    required_due = sum(i["required_due"] for i in by_department)
    completed = sum(i["completed"] for i in by_department)
    figures = {
        "rate": round(completed / required_due, 4) if required_due else None,
        "required_due": required_due,
        "completed": completed,
        "overdue": sum(overdue_counts(tenant_id=actor.tenant_id, tiers=[], now=now).values()),
        "flagged": _flagged_to_do(actor, now).count(),
        "at_risk": risk.items,
        "at_risk_counted_at": risk.counted_at,
        "outbox": None,
    }
    if notification_permissions.can_view_outbox(actor):
        states = dict(
            OutboxMessage.objects.filter(
                tenant_id=actor.tenant_id, state__in=[OutboxMessage.HELD, OutboxMessage.FAILED]
            )
            .order_by()
            .values("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        figures["outbox"] = {"held": states.get(OutboxMessage.HELD, 0), "failed": states.get(OutboxMessage.FAILED, 0)}
    return figures
