"""Reports as set-based aggregate queries: one GROUP BY each, never a loop over assignments."""

import datetime as dt

from django.db import connection
from django.db.models import CharField, Count, F, IntegerField

from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import (
    at_risk_filter,
    status_filter,
    status_in_sql,
    statuses_filter,
    tenant_learning_minutes_per_day,
    valid_completion_filter,
)
from duecourse.assignments.status import UNFINISHED_STATUSES, AssignmentStatus
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.core.errors import forbidden, not_found
from duecourse.core.sql import TypedQuery
from duecourse.people.models import Person
from duecourse.reports import permissions

# What compliance counts as required by now: past its due date, or completed (valid or not).
DUE_OR_DONE = (AssignmentStatus.OVERDUE, AssignmentStatus.COMPLETED, AssignmentStatus.EXPIRED)
COMPLIANCE_DIMENSIONS = {
    "department": "person__department__name",
    "site": "person__site__name",
    "region": "person__region__name",
    "course": None,
}


# Counts per active report in one statement; each count's condition is generated from the status rule
# (`assignments.status`), the `%s` in them being now. Hidden items are left out of every count; an
# exempt one is neither active nor overdue.
_TEAM_COUNTS = [
    status_in_sql(UNFINISHED_STATUSES, "a"),
    status_in_sql([AssignmentStatus.COMPLETED], "a"),
    status_in_sql([AssignmentStatus.OVERDUE], "a"),
]


def team_status_query(conditions: list[str]) -> TypedQuery:
    """One row per active direct report with one count per condition over their assignments.

    A report with no assignment still gets a row (the LEFT JOIN), but that row's NULL columns are no
    assignment: each count asks `a.id IS NOT NULL` first, so nothing is counted for them whatever a
    condition says about NULLs (counting the empty row showed "1 open" for a report with none)."""
    counts = ", ".join(f"COUNT(CASE WHEN a.id IS NOT NULL AND ({condition}) THEN 1 END)" for condition in conditions)
    return TypedQuery(
        f"SELECT p.id, p.name, {counts}"
        + """
FROM person p LEFT JOIN assignment a ON a.person_id = p.id AND a.visibility <> 'hidden'
WHERE p.tenant_id = %s AND p.manager_id = %s AND p.active
GROUP BY p.id, p.name
ORDER BY p.name, p.id
""",
        [IntegerField(), CharField(), *[IntegerField()] * len(conditions)],
    )


_TEAM_STATUS = team_status_query(_TEAM_COUNTS)
_TEAM_NOW_PARAMS = sum(condition.count("%s") for condition in _TEAM_COUNTS)


def team_status(*, actor: Person, manager_id: int | None) -> list[dict]:
    manager_id = manager_id or actor.pk
    own_team = manager_id == actor.pk
    if not own_team and not Person.objects.filter(tenant_id=actor.tenant_id, pk=manager_id).exists():
        raise not_found("Manager")
    if not own_team and not permissions.can_view_team(actor, manager_id):
        raise forbidden("see this team")
    moment = clock.now()
    now = connection.ops.adapt_datetimefield_value(moment)
    rows = _TEAM_STATUS.fetch([*[now] * _TEAM_NOW_PARAMS, actor.tenant_id, manager_id])
    # A manager is someone with active reports: no rows means no team to see (permissions.can_view_team).
    if own_team and not rows and not permissions.can_view_tenant_reports(actor):
        raise forbidden("see this team")
    at_risk = team_at_risk_counts(tenant_id=actor.tenant_id, manager_id=manager_id, now=moment) if rows else {}
    return [
        {
            "person_id": pk,
            "name": name,
            "active": active,
            "completed": completed,
            "overdue": overdue,
            "at_risk": at_risk.get(pk, 0),
        }
        for pk, name, active, completed, overdue in rows
    ]


def team_at_risk_counts(*, tenant_id: int, manager_id: int, now: dt.datetime) -> dict[int, int]:
    """How many of each active direct report's assignments are at risk (the forecast's SQL form), in one
    GROUP BY; reports without any are absent."""
    per_day = tenant_learning_minutes_per_day(tenant_id)
    rows = (
        Assignment.objects.filter(tenant_id=tenant_id, person__manager_id=manager_id, person__active=True)
        .filter(at_risk_filter(now, per_day))
        .order_by()
        .values("person_id")
        .annotate(n=Count("id"))
        .values_list("person_id", "n")
    )
    return dict(rows)


def compliance(*, actor: Person, by: str) -> list[dict]:
    """rate = completed ÷ required assignments whose due date has passed or which are completed.

    Completed means holding a valid completion (`domain.holds_valid_completion`): an assignment re-opened
    for recertification counts as completed until the previous completion expires, so the window changes
    no figure. Exempt ones are outside it (counted apart as `exempt`); optional and hidden ones are not
    required."""
    if not permissions.can_view_tenant_reports(actor):
        raise forbidden("see compliance reports")
    now = clock.now()
    completed = valid_completion_filter(now)
    exempt = status_filter(AssignmentStatus.EXEMPT, now) & ~completed
    due_or_done = statuses_filter(DUE_OR_DONE, now) | completed
    required = Assignment.objects.filter(tenant_id=actor.tenant_id, visibility="required", withdrawn_at__isnull=True)
    if by == "course":
        rows = (
            required.filter(target_type="course")
            .order_by()
            .values("target_type", "target_id")
            .annotate(
                required_due=Count("id", filter=due_or_done),
                completed=Count("id", filter=completed),
                exempt=Count("id", filter=exempt),
            )
        )
        titles = target_titles(tenant_id=actor.tenant_id, targets={(r["target_type"], r["target_id"]) for r in rows})
        items = [
            {
                "key": titles.get((r["target_type"], r["target_id"]), str(r["target_id"])),
                "target_id": r["target_id"],
                "required_due": r["required_due"],
                "completed": r["completed"],
                "exempt": r["exempt"],
            }
            for r in rows
        ]
    else:
        dimension = COMPLIANCE_DIMENSIONS[by]
        assert dimension is not None  # "course" is the one dimension without a column, handled above
        by_dimension = (
            required.order_by()
            .annotate(key=F(dimension))
            .values("key")
            .annotate(
                required_due=Count("id", filter=due_or_done),
                completed=Count("id", filter=completed),
                exempt=Count("id", filter=exempt),
            )
        )
        items = [
            {
                "key": r["key"] or "(none)",
                "required_due": r["required_due"],
                "completed": r["completed"],
                "exempt": r["exempt"],
            }
            for r in by_dimension
        ]
    for item in items:
        item["rate"] = round(item["completed"] / item["required_due"], 4) if item["required_due"] else None
    return sorted(items, key=lambda i: str(i["key"]))
