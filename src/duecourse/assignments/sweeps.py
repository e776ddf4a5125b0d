"""What the clock does to assignments: compliance flags, new cycles of recurring training,
recertification before a completion expires, and the passing of expiries.

The scheduler calls these and writes no assignment row itself. Each is set-based (a statement per
step, never a row at a time) and audited inside its transaction with one event per set operation,
by the system actor.
"""

import datetime as dt
from itertools import pairwise

from django.db import transaction
from django.db.models import (
    CharField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import LessThanOrEqual

from duecourse.assignments.domain import NEXT_CYCLE_GRACE, recert_due_date, recert_window_in
from duecourse.assignments.models import EXPIRY_PENDING, Assignment, AssignmentRule, AssignmentSource
from duecourse.assignments.progress import sync_assignments
from duecourse.assignments.selectors import exemption_running_filter, status_filter
from duecourse.assignments.signals import assignments_changed
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.core.models import Tenant
from duecourse.core.sql import AddDays, LocalDayEnd, bulk_update_by_pk, skip_locked
from duecourse.core.timezones import local_day_end
from duecourse.people.models import Person

NEW_CYCLES_BATCH = 500  # rows claimed per transaction, so a crash or a second worker loses little
RECERT_BATCH = 500
EXPIRY_BATCH = 1000
RECERT_DUE_RULE = "recertification: the day the previous completion expires"


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
                cycle_opened_at=now,
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
            _audit_and_announce(
                claimed,
                action="assignment.new_cycle",
                counted_as="started",
                reason="Recurring training is due again",
                event="recurrence",
            )
            started += len(ids)


def _audit_and_announce(
    claimed: list[tuple[int, int]], *, action: str, counted_as: str, reason: str, event: str
) -> None:
    """Per tenant of the claimed (pk, tenant_id) rows: one system audit event, and one `assignments_changed`."""
    by_tenant: dict[int, list[int]] = {}
    for pk, tenant_id in claimed:
        by_tenant.setdefault(tenant_id, []).append(pk)
    for tenant_id, tenant_ids in by_tenant.items():
        audit_record(
            tenant_id=tenant_id,
            **audit_actor(SystemActor(tenant_id=tenant_id)),
            action=action,
            object_type="assignments",
            object_id=None,
            after={counted_as: len(tenant_ids), "assignment_ids": tenant_ids},
            reason=reason,
        )
        assignments_changed.send(
            sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=tenant_ids, event=event
        )


# --- recertification ------------------------------------------------------------------------------
def _active_rules(tenant_id: int) -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.filter(tenant_id=tenant_id, active=True, deleted_at__isnull=True)


def _window_at_least(days: int, *, tenant_id: int, default_window: int) -> Q:
    """SQL form of `domain.recert_window(...) >= days` for each assignment: an active rule holding it has a
    window of at least `days` (a rule without one counts as the tenant default), or no active rule holds it
    and the tenant default is at least `days`."""
    rules = _active_rules(tenant_id)
    held_by = AssignmentSource.objects.filter(assignment_id=OuterRef("pk"), kind="rule")
    wide = rules.annotate(days=Coalesce("recert_window_days", Value(default_window))).filter(days__gte=days)
    condition = Q(Exists(held_by.filter(rule_id__in=wide.values("pk"))))
    if default_window >= days:
        condition |= Q(~Exists(held_by.filter(rule_id__in=rules.values("pk"))))
    return condition


def _past_halfway(now: dt.datetime) -> Q:
    """SQL form of `domain.effective_recert_window`'s cap: `now` is at least halfway from the completion to
    its expiry, written without division as `expires_at - now <= now - completed_at`."""
    moment = Value(now, output_field=DateTimeField())
    remaining = ExpressionWrapper(F("expires_at") - moment, output_field=DurationField())
    elapsed = ExpressionWrapper(moment - F("completed_at"), output_field=DurationField())
    return Q(LessThanOrEqual(remaining, elapsed))


def recertification_due(*, tenant_id: int, default_window: int, now: dt.datetime) -> QuerySet[Assignment]:
    """The tenant's completed assignments with a validity whose recertification window has opened:
    `domain.recertifies_at(...) <= now`, the window being `domain.recert_window` of each, never more than
    half the completion's span (`_past_halfway`). Not while an exemption runs (it re-opens once it ends).

    Index-friendly: a range on `assignment_expiry_idx` (tenant, expires_at) up to the widest window in use;
    rows within the narrowest window need no per-row rule check, and each wider band checks only its own
    rows (an EXISTS on the sources' unique key per row); the halfway cap is a comparison on the row itself.
    """
    windows = sorted(
        {default_window}
        | set(
            _active_rules(tenant_id)
            .annotate(days=Coalesce("recert_window_days", Value(default_window)))
            .values_list("days", flat=True)
            .distinct()
        )
    )
    # The widest window bounds the index range; within the narrowest every row is due.
    due = Q(expires_at__lte=now + dt.timedelta(days=windows[0]))
    for narrower, wider in pairwise(windows):
        band = Q(expires_at__gt=now + dt.timedelta(days=narrower), expires_at__lte=now + dt.timedelta(days=wider))
        due |= band & _window_at_least(wider, tenant_id=tenant_id, default_window=default_window)
    return (
        Assignment.objects.filter(
            tenant_id=tenant_id, completed_at__isnull=False, withdrawn_at__isnull=True, validity_months__isnull=False
        )
        .filter(due if len(windows) == 1 else due & Q(expires_at__lte=now + dt.timedelta(days=windows[-1])))
        .filter(_past_halfway(now))
        .exclude(exemption_running_filter(now))
    )


def assignments_recertify(*, now: dt.datetime, batch: int = RECERT_BATCH) -> int:
    """Completed assignments with a validity re-open for a new cycle once their recertification window opens.

    The cycle counts up, the previous completion stops counting toward the new cycle (`completions_after`)
    but stays held until it expires (`expires_at` is kept: `domain.holds_valid_completion`), progress starts
    again, and the due date becomes the day the completion expires in the person's zone (every source's
    date with it, so a later recompute keeps it; a hand-set date gives way). An item whose expiry already
    passed (a worker stopped for long) re-opens the same way, overdue at once. A completion recorded since
    the previous one counts at once (it may complete the new cycle). Rows are claimed a batch at a time
    (SKIP LOCKED), each batch one transaction with one audit event; listeners send the "expiring soon"
    notice and plan the new cycle's reminders. Returns how many re-opened.
    """
    reopened = 0
    for tenant_id, settings in Tenant.objects.values_list("pk", "settings"):
        candidates = recertification_due(tenant_id=tenant_id, default_window=recert_window_in(settings or {}), now=now)
        while True:
            with transaction.atomic():
                claimed = list(skip_locked(candidates).values_list("pk", "expires_at", "person__timezone")[:batch])
                if not claimed:
                    break
                _reopen_for_recertification(tenant_id, claimed, now)
            reopened += len(claimed)
    return reopened


def _reopen_for_recertification(tenant_id: int, claimed: list[tuple[int, dt.datetime, str]], now: dt.datetime) -> None:
    ids = [pk for pk, _, _ in claimed]
    scope = Assignment.objects.filter(pk__in=ids)
    # One UPDATE: every right-hand side reads the row as it was (the previous cycle's completion).
    scope.update(
        cycle=F("cycle") + 1,
        cycle_opened_at=now,
        completions_after=F("completed_at"),
        completed_at=None,
        started_at=None,
        progress=0,
        compliance_flag=False,
        due_date_manual=False,
        due_explanation="",
    )
    due = []
    for pk, expires_at, timezone_name in claimed:
        day = recert_due_date(expires_at=expires_at, timezone_name=timezone_name)
        due.append((pk, day, local_day_end(day, timezone_name)))
    bulk_update_by_pk(Assignment, ["due_date", "due_at"], due, tenant_id=tenant_id)
    own_due = Subquery(Assignment.objects.filter(pk=OuterRef("assignment_id")).values("due_date")[:1])
    AssignmentSource.objects.filter(assignment_id__in=ids).update(due_date=own_due, due_rule=RECERT_DUE_RULE)
    sync_assignments(assignments=scope, now=now)
    still_open = list(scope.filter(completed_at__isnull=True).values_list("pk", flat=True))
    audit_record(
        tenant_id=tenant_id,
        **audit_actor(SystemActor(tenant_id=tenant_id)),
        action="assignment.recertification",
        object_type="assignments",
        object_id=None,
        after={"reopened": len(ids), "assignment_ids": ids, "completed_at_once": sorted(set(ids) - set(still_open))},
        reason="The completion expires soon: recertification window opened",
    )
    if still_open:
        assignments_changed.send(
            sender=Assignment,
            tenant_id=tenant_id,
            operation_id=None,
            assignment_ids=still_open,
            event="recertification",
        )


def assignments_pass_expiries(*, now: dt.datetime, batch: int = EXPIRY_BATCH) -> int:
    """Each expiry that has passed is handled once, however long the worker was stopped: `expiry_passed`
    takes the expiry's value and listeners send the "expired" notice (not for hidden items or running
    exemptions). A new completion brings a new expiry, handled in its turn.

    Reads the partial index of unhandled expiries (`EXPIRY_PENDING`), so a tick with nothing new reads
    nothing; rows are claimed a batch at a time (SKIP LOCKED), one transaction and one audit event per
    tenant and batch. Returns how many expiries were handled.
    """
    pending = Assignment.objects.filter(EXPIRY_PENDING, expires_at__lte=now)
    handled = 0
    while True:
        with transaction.atomic():
            claimed = list(skip_locked(pending).values_list("pk", "tenant_id")[:batch])
            if not claimed:
                return handled
            Assignment.objects.filter(pk__in=[pk for pk, _ in claimed]).update(expiry_passed=F("expires_at"))
            _audit_and_announce(
                claimed,
                action="assignment.expired",
                counted_as="expired",
                reason="The completion's validity ran out",
                event="expired",
            )
            handled += len(claimed)
