"""Reports as set-based aggregate queries: one GROUP BY each, never a loop over assignments."""

from django.db.models import Count, F, Q

from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import status_filter
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.core.errors import forbidden, not_found
from duecourse.people.models import Person
from duecourse.reports import rules

COMPLIANCE_DIMENSIONS = {
    "department": "person__department__name",
    "site": "person__site__name",
    "region": "person__region__name",
    "course": None,
}


def team_status(*, actor: Person, manager_id: int | None) -> list[dict]:
    manager_id = manager_id or actor.pk
    if not Person.objects.filter(tenant_id=actor.tenant_id, pk=manager_id).exists():
        raise not_found("Manager")
    if not rules.can_view_team(actor, manager_id):
        raise forbidden("see this team")
    now = clock.now()
    open_ = Q(assignments__withdrawn_at__isnull=True)
    done = Q(assignments__completed_at__isnull=False) & (
        Q(assignments__expires_at__isnull=True) | Q(assignments__expires_at__gt=now)
    )
    overdue = open_ & Q(assignments__completed_at__isnull=True, assignments__due_at__lte=now)
    people = (
        Person.objects.filter(tenant_id=actor.tenant_id, manager_id=manager_id, active=True)
        .annotate(
            active_count=Count("assignments", filter=open_ & Q(assignments__completed_at__isnull=True)),
            completed_count=Count("assignments", filter=open_ & done),
            overdue_count=Count("assignments", filter=overdue),
        )
        .order_by("name", "id")
    )
    return [
        {
            "person_id": p.pk,
            "name": p.name,
            "active": p.active_count,
            "completed": p.completed_count,
            "overdue": p.overdue_count,
        }
        for p in people
    ]


def compliance(*, actor: Person, by: str) -> list[dict]:
    """rate = completed ÷ required assignments whose due date has passed or which are completed."""
    if not rules.can_view_tenant_reports(actor):
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
        rows = (
            required.order_by()
            .annotate(key=F(COMPLIANCE_DIMENSIONS[by]))
            .values("key")
            .annotate(required_due=Count("id", filter=due_or_done), completed=Count("id", filter=completed))
        )
        items = [
            {"key": r["key"] or "(none)", "required_due": r["required_due"], "completed": r["completed"]} for r in rows
        ]
    for item in items:
        item["rate"] = round(item["completed"] / item["required_due"], 4) if item["required_due"] else None
    return sorted(items, key=lambda i: str(i["key"]))
