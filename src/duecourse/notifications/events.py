"""What happens, in the same transaction, when assignments change: inbox notifications and reminder plans."""

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from duecourse.assignments.models import Assignment
from duecourse.core import clock
from duecourse.core.sql import skip_locked
from duecourse.notifications import reminders
from duecourse.notifications.models import ReminderPlanBacklog, ReminderSchedule
from duecourse.notifications.reminders import plan_later, reminders_schedule
from duecourse.notifications.services import notify_assignments, notify_expiry

logger = logging.getLogger(__name__)

EVENT_KIND = {
    "assigned": "assigned",
    "due_date_changed": "due_date_changed",
    "withdrawn": "withdrawn",
    "recurrence": "recurrence",
}
# A completion's validity: once per completion, keyed by its expiry (`services.notify_expiry`).
EXPIRY_EVENT_KIND = {"recertification": "expiring", "expired": "expired"}


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
    if event in EXPIRY_EVENT_KIND:
        notify_expiry(tenant_id=tenant_id, assignments=scope, kind=EXPIRY_EVENT_KIND[event], now=now)
    replanned = ("assigned", "due_date_changed", "updated", "recurrence", "recertification", "withdrawn", "rescheduled")
    if event in replanned:
        reminders_schedule(tenant_id=tenant_id, assignments=scope, now=now)


def fan_out_backlog() -> int:
    """Write the inbox rows and reminder plans of big operations left to the worker (`plan_later`).

    One transaction per operation, claimed with SKIP LOCKED so several workers share the backlog, and
    the backlog row is deleted in it: each operation's rows are written exactly once. Both are dated
    as of the operation's own time, so a reminder that fell due in between goes out in this tick.
    Assignments withdrawn since get no "assigned" notice; those re-planned since (a due date moved,
    a new cycle) keep the plan their change made. An operation that fails is logged and retried
    next tick, and does not hold up the ones behind it.
    """
    written = 0
    failed: list[int] = []
    while True:
        item = None
        try:
            with transaction.atomic():
                item = skip_locked(ReminderPlanBacklog.objects.exclude(pk__in=failed).order_by("pk")).first()
                if item is None:
                    return written
                written += _fan_out_operation(item)
                item.delete()
        except Exception:
            if item is None:
                raise  # the backlog itself cannot be read: the tick logs the step and retries it
            logger.exception("Could not fan out operation %s; the next tick retries it", item.operation_id)
            failed.append(item.pk)


def _fan_out_operation(item: ReminderPlanBacklog) -> int:
    live = Assignment.objects.filter(
        tenant_id=item.tenant_id, operation_id=item.operation_id, withdrawn_at__isnull=True
    )
    notified = notify_assignments(
        tenant_id=item.tenant_id,
        assignments=live,
        kind="assigned",
        now=item.planned_as_of,
        operation_id=item.operation_id,
    )
    # Fixed before planning (planning itself writes such rows): the few changed since the operation.
    has_plan = ReminderSchedule.objects.filter(assignment_id=OuterRef("pk"), kind__in=reminders.PLAN_KINDS)
    replanned = list(live.filter(Exists(has_plan)).values_list("pk", flat=True))
    unplanned = live.exclude(pk__in=replanned) if replanned else live
    return notified + reminders_schedule(tenant_id=item.tenant_id, assignments=unplanned, now=item.planned_as_of)
