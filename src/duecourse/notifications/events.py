"""What happens, in the same transaction, when assignments change: inbox notifications and reminder plans."""

from django.db.models import QuerySet

from duecourse.assignments.models import Assignment
from duecourse.core import clock
from duecourse.notifications import reminders
from duecourse.notifications.reminders import plan_later, reminders_schedule
from duecourse.notifications.services import notify_assignments

EVENT_KIND = {
    "assigned": "assigned",
    "due_date_changed": "due_date_changed",
    "withdrawn": "withdrawn",
    "recurrence": "recurrence",
}


def _scope(tenant_id: int, operation_id: int | None, assignment_ids) -> QuerySet:
    items = Assignment.objects.filter(tenant_id=tenant_id)
    if operation_id is not None:
        return items.filter(operation_id=operation_id)
    ids = list(assignment_ids or [])
    return items.filter(pk__in=ids)


def assignments_changed(
    *, tenant_id: int, operation_id: int | None, assignment_ids, event: str, count: int | None = None
) -> None:
    now = clock.now()
    scope = _scope(tenant_id, operation_id, assignment_ids)
    kind = EVENT_KIND.get(event)
    if kind is not None:
        notify_assignments(tenant_id=tenant_id, assignments=scope, kind=kind, now=now, operation_id=operation_id)
    if event == "assigned" and operation_id is not None and (count or 0) > reminders.PLAN_INLINE_LIMIT:
        plan_later(tenant_id=tenant_id, operation_id=operation_id, now=now)
        return
    if event in ("assigned", "due_date_changed", "updated", "recurrence", "withdrawn", "rescheduled"):
        reminders_schedule(tenant_id=tenant_id, assignments=scope, now=now)
