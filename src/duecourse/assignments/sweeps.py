"""What the clock does to assignments: compliance flags and new cycles of recurring training.

The scheduler calls these and writes no assignment row itself. Each is set-based (a statement per
step, never a row at a time) and audited inside its transaction with one event per set operation,
by the system actor.
"""

import datetime as dt

from django.db import transaction
from django.db.models import CharField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate

from duecourse.assignments.domain import NEXT_CYCLE_GRACE
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.assignments.selectors import status_filter
from duecourse.assignments.signals import assignments_changed
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.core.sql import AddDays, LocalDayEnd, skip_locked
from duecourse.people.models import Person

NEW_CYCLES_BATCH = 500  # rows claimed per transaction, so a crash or a second worker loses little


def overdue_assignments(*, tenant_id: int, now: dt.datetime) -> QuerySet:
    """The tenant's overdue items (open, not done, due instant passed): what escalation looks at."""
    return Assignment.objects.filter(tenant_id=tenant_id).filter(status_filter("overdue", now))


def assignments_flag_noncompliant(*, actor: SystemActor, overdue_days: int, now: dt.datetime) -> int:
    """Raise the compliance flag on the tenant's items overdue for `overdue_days` or more (its flag tier).

    One UPDATE; one audit event when anything was flagged. Returns how many were.
    """
    cutoff = now - dt.timedelta(days=overdue_days)
    with transaction.atomic():
        flagged = (
            overdue_assignments(tenant_id=actor.tenant_id, now=now)
            .filter(due_at__lte=cutoff, compliance_flag=False)
            .update(compliance_flag=True)
        )
        if flagged:
            audit_record(
                tenant_id=actor.tenant_id,
                **audit_actor(actor),
                action="assignment.compliance_flag",
                object_type="assignments",
                object_id=None,
                after={"flagged": flagged, "overdue_days": overdue_days},
                reason=f"Overdue for {overdue_days} days or more (escalation policy)",
            )
    return flagged


def due_for_next_cycle(now: dt.datetime) -> Q:
    """SQL form of `domain.next_cycle_starts_at(...) <= now`, for completed recurring items."""
    return Q(due_at__lte=now) | Q(due_at__isnull=True, completed_at__lte=now - NEXT_CYCLE_GRACE)


def next_cycle_due_date():
    """SQL form of the due date `domain.next_cycle` gives (held to it by a test)."""
    previous = Coalesce(F("due_date"), TruncDate("completed_at", tzinfo=dt.UTC))
    return AddDays(previous, F("recurrence_weeks") * Value(7))


def assignments_start_new_cycles(*, now: dt.datetime, batch: int = NEW_CYCLES_BATCH) -> int:
    """Completed recurring items open their next cycle once the previous due date has passed.

    The cycle counts up and the due date moves on by the recurrence (its sources' dates with it);
    the previous cycle's completions stop counting. Rows are claimed a batch at a time (SKIP LOCKED)
    and each batch is a few statements and one audit event per tenant; listeners send the "due again"
    notices and plan the new cycle's reminders. Returns how many items started a new cycle.
    """
    started = 0
    candidates = Assignment.objects.filter(
        withdrawn_at__isnull=True, completed_at__isnull=False, recurrence_weeks__isnull=False
    ).filter(due_for_next_cycle(now))
    while True:
        with transaction.atomic():
            claimed = list(skip_locked(candidates).values_list("pk", "tenant_id")[:batch])
            if not claimed:
                return started
            ids = [pk for pk, _ in claimed]
            recurrence_days = Subquery(
                Assignment.objects.filter(pk=OuterRef("assignment_id")).values("recurrence_weeks")[:1],
                output_field=IntegerField(),
            ) * Value(7)
            AssignmentSource.objects.filter(assignment_id__in=ids, due_date__isnull=False).update(
                due_date=AddDays(F("due_date"), recurrence_days)
            )
            scope = Assignment.objects.filter(pk__in=ids)
            # One UPDATE: every right-hand side reads the row as it was (the previous cycle's dates).
            scope.update(
                cycle=F("cycle") + 1,
                due_date=next_cycle_due_date(),
                completions_after=F("completed_at"),
                completed_at=None,
                expires_at=None,
                started_at=None,
                progress=0,
                compliance_flag=False,
            )
            person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
            scope.update(due_at=LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField())))
            by_tenant: dict[int, list[int]] = {}
            for pk, tenant_id in claimed:
                by_tenant.setdefault(tenant_id, []).append(pk)
            for tenant_id, tenant_ids in by_tenant.items():
                audit_record(
                    tenant_id=tenant_id,
                    **audit_actor(SystemActor(tenant_id=tenant_id)),
                    action="assignment.new_cycle",
                    object_type="assignments",
                    object_id=None,
                    after={"started": len(tenant_ids), "assignment_ids": tenant_ids},
                    reason="Recurring training is due again",
                )
                assignments_changed.send(
                    sender=Assignment,
                    tenant_id=tenant_id,
                    operation_id=None,
                    assignment_ids=tenant_ids,
                    event="recurrence",
                )
            started += len(ids)
