"""What happens, in the same transaction, when assignments change: inbox notifications and reminder plans."""

from django.db import transaction
from django.db.models import QuerySet

from duecourse.assignments.models import Assignment
from duecourse.core import clock
from duecourse.core.sql import skip_locked
from duecourse.notifications import reminders
from duecourse.notifications.models import ReminderPlanBacklog
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
    if event == "assigned" and operation_id is not None and (count or 0) > reminders.PLAN_INLINE_LIMIT:
        # A big operation writes one backlog row in its own transaction (a transactional outbox entry
        # for the whole operation); the worker's next tick writes its inbox rows and reminder plan.
        plan_later(tenant_id=tenant_id, operation_id=operation_id, now=now)
        return
    kind = EVENT_KIND.get(event)
    if kind is not None:
        notify_assignments(tenant_id=tenant_id, assignments=scope, kind=kind, now=now, operation_id=operation_id)
    if event in ("assigned", "due_date_changed", "updated", "recurrence", "withdrawn", "rescheduled"):
        reminders_schedule(tenant_id=tenant_id, assignments=scope, now=now)


def fan_out_backlog() -> int:
    """Write the inbox rows and reminder plans of big operations left to the worker (`plan_later`).

    One transaction per operation, claimed with SKIP LOCKED so several workers share the backlog, and
    the backlog row is deleted in it: each operation's rows are written exactly once. Both are dated
    as of the operation's own time, so a reminder that fell due in between goes out in this tick.
    """
    written = 0
    while True:
        with transaction.atomic():
            item = skip_locked(ReminderPlanBacklog.objects.order_by("pk")).first()
            if item is None:
                return written
            scope = Assignment.objects.filter(tenant_id=item.tenant_id, operation_id=item.operation_id)
            written += notify_assignments(
                tenant_id=item.tenant_id,
                assignments=scope,
                kind="assigned",
                now=item.planned_as_of,
                operation_id=item.operation_id,
            )
            written += reminders_schedule(tenant_id=item.tenant_id, assignments=scope, now=item.planned_as_of)
            item.delete()
