"""Reports as set-based aggregate queries: one GROUP BY each, never a loop over assignments."""

from django.db import connection
from django.db.models import CharField, Count, F, IntegerField, Q

from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import status_filter
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.core.errors import forbidden, not_found
from duecourse.core.sql import TypedQuery
from duecourse.people.models import Person
from duecourse.reports import permissions

COMPLIANCE_DIMENSIONS = {
    "department": "person__department__name",
    "site": "person__site__name",
    "region": "person__region__name",
    "course": None,
}


# Counts per active report in one statement; the same status rules as `status_filter`.
_TEAM_STATUS = TypedQuery(
    """
SELECT p.id, p.name,
    COUNT(CASE WHEN a.withdrawn_at IS NULL AND a.completed_at IS NULL THEN 1 END),
    COUNT(CASE WHEN a.withdrawn_at IS NULL AND a.completed_at IS NOT NULL
               AND (a.expires_at IS NULL OR a.expires_at > %s) THEN 1 END),
    COUNT(CASE WHEN a.withdrawn_at IS NULL AND a.completed_at IS NULL AND a.due_at <= %s THEN 1 END)
FROM person p LEFT JOIN assignment a ON a.person_id = p.id
WHERE p.tenant_id = %s AND p.manager_id = %s AND p.active
GROUP BY p.id, p.name
ORDER BY p.name, p.id
""",
    [IntegerField(), CharField(), IntegerField(), IntegerField(), IntegerField()],
)


def team_status(*, actor: Person, manager_id: int | None) -> list[dict]:
    manager_id = manager_id or actor.pk
    own_team = manager_id == actor.pk
    if not own_team and not Person.objects.filter(tenant_id=actor.tenant_id, pk=manager_id).exists():
        raise not_found("Manager")
    if not own_team and not permissions.can_view_team(actor, manager_id):
        raise forbidden("see this team")
    now = connection.ops.adapt_datetimefield_value(clock.now())
    rows = _TEAM_STATUS.fetch([now, now, actor.tenant_id, manager_id])
    # A manager is someone with active reports: no rows means no team to see (permissions.can_view_team).
    if own_team and not rows and not permissions.can_view_tenant_reports(actor):
        raise forbidden("see this team")
    return [
        {"person_id": pk, "name": name, "active": active, "completed": completed, "overdue": overdue}
        for pk, name, active, completed, overdue in rows
    ]


def compliance(*, actor: Person, by: str) -> list[dict]:
    """rate = completed ÷ required assignments whose due date has passed or which are completed."""
    if not permissions.can_view_tenant_reports(actor):
        raise forbidden("see compliance reports")
    now = clock.now()
    completed = status_filter("completed", now)
    due_or_done = Q(due_at__lte=now) | Q(completed_at__isnull=False)
    required = Assignment.objects.filter(tenant_id=actor.tenant_id, visibility="required", withdrawn_at__isnull=True)
    if by == "course":
        rows = (
            required.filter(target_type="course")
            .order_by()
            .values("target_type", "target_id")
            .annotate(required_due=Count("id", filter=due_or_done), completed=Count("id", filter=completed))
        )
        titles = target_titles(tenant_id=actor.tenant_id, targets={(r["target_type"], r["target_id"]) for r in rows})
        items = [
            {
                "key": titles.get((r["target_type"], r["target_id"]), str(r["target_id"])),
                "target_id": r["target_id"],
                "required_due": r["required_due"],
                "completed": r["completed"],
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
            .annotate(required_due=Count("id", filter=due_or_done), completed=Count("id", filter=completed))
        )
        items = [
            {"key": r["key"] or "(none)", "required_due": r["required_due"], "completed": r["completed"]}
            for r in by_dimension
        ]
    for item in items:
        item["rate"] = round(item["completed"] / item["required_due"], 4) if item["required_due"] else None
    return sorted(items, key=lambda i: str(i["key"]))
