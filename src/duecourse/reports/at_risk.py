"""The count of items at risk (the forecast) for the overview and the dashboard, kept fresh by the worker.

Counting the forecast over every open item of a large tenant takes a quarter of a second at a million
assignments (the rule compares each item's due date with the working days its remaining minutes need), too
much for every view of a page that shows one number. The worker counts each tenant every `COUNT_EVERY`
(one statement per tenant) and the pages show that count with its time; where none is fresh (a new
tenant, a stopped worker, a clock set back) they count live. The list behind the number is always live.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from duecourse.assignments import selectors as assignment_selectors
from duecourse.assignments.models import Assignment
from duecourse.core.models import Tenant
from duecourse.reports.models import AtRiskCount

COUNT_EVERY = dt.timedelta(minutes=10)
FRESH_FOR = COUNT_EVERY + dt.timedelta(minutes=5)  # a count older than this is not shown: the page counts live


@dataclass(frozen=True)
class AtRisk:
    items: int
    counted_at: dt.datetime | None  # None: counted now, for this view


def count_live(tenant_id: int, now: dt.datetime) -> int:
    per_day = assignment_selectors.tenant_learning_minutes_per_day(tenant_id)
    return (
        Assignment.objects.filter(tenant_id=tenant_id).filter(assignment_selectors.at_risk_filter(now, per_day)).count()
    )


def at_risk_counts_refresh(*, now: dt.datetime) -> int:
    """Count every tenant with assignments (the worker, every COUNT_EVERY). Returns the tenants counted."""
    tenants = Tenant.objects.filter(Exists(Assignment.objects.filter(tenant_id=OuterRef("pk")))).values_list(
        "pk", flat=True
    )
    counted = 0
    for tenant_id in tenants:
        AtRiskCount.objects.update_or_create(
            tenant_id=tenant_id, defaults={"items": count_live(tenant_id, now), "counted_at": now}
        )
        counted += 1
    return counted


def at_risk(*, tenant_id: int, now: dt.datetime) -> AtRisk:
    """The worker's count when it is fresh (counted within FRESH_FOR before `now`), else a live count."""
    kept = AtRiskCount.objects.filter(tenant_id=tenant_id).values_list("items", "counted_at").first()
    if kept is not None and now - FRESH_FOR <= kept[1] <= now:
        return AtRisk(kept[0], kept[1])
    return AtRisk(count_live(tenant_id, now), None)
