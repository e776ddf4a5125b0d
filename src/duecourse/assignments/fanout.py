"""Set-based fan-out: one INSERT … SELECT per target and source, never a Python loop over people.

The audience is a queryset of people; assignments, sources, audit events and due dates are written
with a handful of statements whatever its size. The one-open-assignment rule is the partial unique
index `assignment_one_open_per_target`, so concurrent calls can never duplicate (ON CONFLICT DO NOTHING).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    JSONField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce

from duecourse.assignments.domain import DueSpec
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.assignments.signals import assignments_changed
from duecourse.core.models import AuditEvent
from duecourse.core.sql import AddDays, LocalDayEnd, insert_select_ignore_conflicts, typed_value
from duecourse.people.models import Person


@dataclass(frozen=True)
class TargetSpec:
    type: str
    id: int
    title: str
    estimated_minutes: int = 0
    visibility: str = "required"
    validity_months: int | None = None


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    ref_id: int
    label: str
    assigned_by_id: int | None = None
    rule_id: int | None = None


@dataclass(frozen=True)
class AssignmentFields:
    """What a call sets on the assignments it creates."""

    priority: str = "medium"
    note: str = ""
    reason: str = ""
    recurrence_weeks: int | None = None
    reminder_plan: list | None = None
    assigned_by_id: int | None = None
    operation_id: int | None = None


def due_date_expression(due: DueSpec, today: dt.date):
    """The due date as an expression over Person, so hire-date-relative dates stay set-based."""
    if due.fixed:
        return typed_value(due.fixed, DateField())
    if due.days is None:
        return typed_value(None, DateField())
    after_assignment = typed_value(today + dt.timedelta(days=due.days), DateField())
    if not due.from_hire_date:
        return after_assignment
    return Coalesce(AddDays(F("hire_date"), Value(due.days)), after_assignment, output_field=DateField())


def insert_assignments(
    *, tenant_id: int, people: QuerySet, target: TargetSpec, due: DueSpec, fields: AssignmentFields, now: dt.datetime
) -> list[int]:
    """Create the open assignment for everyone in `people` who has none; returns the new ids."""
    due_expr = due_date_expression(due, now.date())
    select = people.filter(tenant_id=tenant_id).values_list(
        typed_value(tenant_id, BigIntegerField()),
        "pk",
        typed_value(target.type, CharField()),
        typed_value(target.id, BigIntegerField()),
        typed_value(fields.priority, CharField()),
        due_expr,
        LocalDayEnd(due_expr, F("timezone"))
        if (due.fixed or due.days is not None)
        else typed_value(None, DateTimeField()),
        typed_value(False, BooleanField()),
        typed_value("", CharField()),
        typed_value(fields.note, TextField()),
        typed_value(fields.reason, TextField()),
        typed_value(target.visibility, CharField()),
        typed_value(target.validity_months, IntegerField()),
        typed_value(fields.recurrence_weeks, IntegerField()),
        typed_value(1, IntegerField()),
        typed_value(0, IntegerField()),
        typed_value(target.estimated_minutes, IntegerField()),
        typed_value("", TextField()),
        typed_value(False, BooleanField()),
        typed_value(fields.reminder_plan, JSONField()),
        typed_value(now, DateTimeField()),
        typed_value(fields.assigned_by_id, BigIntegerField()),
        typed_value(fields.operation_id, BigIntegerField()),
    )
    columns = [
        "tenant_id",
        "person_id",
        "target_type",
        "target_id",
        "priority",
        "due_date",
        "due_at",
        "due_date_manual",
        "due_explanation",
        "note",
        "reason",
        "visibility",
        "validity_months",
        "recurrence_weeks",
        "cycle",
        "progress",
        "estimated_minutes",
        "withdrawn_reason",
        "compliance_flag",
        "reminder_plan",
        "assigned_at",
        "assigned_by_id",
        "operation_id",
    ]
    return insert_select_ignore_conflicts(Assignment._meta.db_table, columns, select, returning="id")


def open_assignments_of(*, tenant_id: int, people: QuerySet, target: TargetSpec) -> QuerySet:
    return Assignment.objects.filter(
        tenant_id=tenant_id,
        target_type=target.type,
        target_id=target.id,
        withdrawn_at__isnull=True,
        person_id__in=people.values("pk"),
    )


def attach_sources(
    *,
    tenant_id: int,
    people: QuerySet,
    target: TargetSpec,
    source: SourceSpec,
    due: DueSpec,
    now: dt.datetime,
    earlier_date_moves_own_source: bool = False,
) -> int:
    """Attach this source to every open assignment of `people` for the target (new or existing)."""
    person_due = Person.objects.filter(pk=OuterRef("person_id")).values_list(due_date_expression(due, now.date()))[:1]
    select = open_assignments_of(tenant_id=tenant_id, people=people, target=target).values_list(
        typed_value(tenant_id, BigIntegerField()),
        "pk",
        typed_value(source.kind, CharField()),
        typed_value(source.ref_id, BigIntegerField()),
        typed_value(source.label, CharField()),
        typed_value(source.assigned_by_id, BigIntegerField()),
        typed_value(source.rule_id, BigIntegerField()),
        Subquery(person_due, output_field=DateField()) if due.from_hire_date else due_date_expression(due, now.date()),
        typed_value(due.describe(), CharField()),
        typed_value(now, DateTimeField()),
    )
    columns = [
        "tenant_id",
        "assignment_id",
        "kind",
        "ref_id",
        "label",
        "assigned_by_id",
        "rule_id",
        "due_date",
        "due_rule",
        "created_at",
    ]
    attached = insert_select_ignore_conflicts(AssignmentSource._meta.db_table, columns, select)
    if earlier_date_moves_own_source and (due.fixed or (due.days is not None and not due.from_hire_date)):
        # The same source assigning again with an earlier date: its date moves (earliest wins, as across sources).
        new_due = due.date_for(today=now.date(), hire_date=None)
        AssignmentSource.objects.filter(
            tenant_id=tenant_id,
            kind=source.kind,
            ref_id=source.ref_id,
            assignment_id__in=open_assignments_of(tenant_id=tenant_id, people=people, target=target).values("pk"),
        ).filter(Q(due_date__isnull=True) | Q(due_date__gt=new_due)).update(due_date=new_due, due_rule=due.describe())
    return attached


def recompute_due_dates(assignments: QuerySet) -> int:
    """Each non-manual open assignment takes the earliest due date among its sources (set-based).

    Only rows whose date actually changes are written (the date, then the instant it ends in the
    person's time zone), and their reminders are re-planned through `assignments_changed`.
    """
    scope = assignments.filter(due_date_manual=False, withdrawn_at__isnull=True)
    earliest = (
        AssignmentSource.objects.filter(assignment_id=OuterRef("pk"), due_date__isnull=False)
        .order_by()
        .values("assignment_id")
        .annotate(first=Min("due_date"))
        .values("first")
    )
    moved = scope.annotate(new_due=Subquery(earliest, output_field=DateField())).filter(
        Q(new_due__isnull=True, due_date__isnull=False)
        | Q(new_due__isnull=False, due_date__isnull=True)
        | (Q(new_due__isnull=False, due_date__isnull=False) & ~Q(due_date=F("new_due")))
    )
    ids = list(moved.values_list("pk", flat=True))
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    for start in range(0, len(ids), 5000):
        chunk = Assignment.objects.filter(pk__in=ids[start : start + 5000])
        chunk.update(due_date=Subquery(earliest, output_field=DateField()))
        chunk.filter(due_date__isnull=True).update(due_at=None)
        chunk.filter(due_date__isnull=False).update(
            due_at=LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField()))
        )
    _rescheduled(ids)
    return len(ids)


def _rescheduled(ids: list[int]) -> None:
    """Tell listeners (reminder planning) that these assignments' due instants moved."""
    if not ids:
        return
    by_tenant: dict[int, list[int]] = {}
    for pk, tenant_id in Assignment.objects.filter(pk__in=ids).values_list("pk", "tenant_id"):
        by_tenant.setdefault(tenant_id, []).append(pk)
    for tenant_id, tenant_ids in by_tenant.items():
        assignments_changed.send(
            sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=tenant_ids, event="rescheduled"
        )


def refresh_due_instants(*, tenant_id: int, person_ids=None) -> int:
    """Recompute `due_at` of these people's open assignments (after a time-zone change); one UPDATE.

    Rows whose instant is already right are not written, so a directory import that changes nothing
    touches no assignment.
    """
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    instant = LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField()))
    scope = Assignment.objects.filter(tenant_id=tenant_id, withdrawn_at__isnull=True, due_date__isnull=False)
    if person_ids is not None:
        scope = scope.filter(person_id__in=list(person_ids))
    ids = list(scope.annotate(new_due_at=instant).exclude(due_at=F("new_due_at")).values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        Assignment.objects.filter(pk__in=ids[start : start + 5000]).update(due_at=instant)
    _rescheduled(ids)
    return len(ids)


def audit_created(*, tenant_id: int, operation_id: int, actor_id: int | None, after: dict, reason: str, now) -> None:
    """One audit event per assignment an operation created, written with one statement."""
    select = Assignment.objects.filter(tenant_id=tenant_id, operation_id=operation_id).values_list(
        typed_value(tenant_id, BigIntegerField()),
        typed_value(actor_id, BigIntegerField()),
        typed_value("assignment.create", CharField()),
        typed_value("assignment", CharField()),
        "pk",
        typed_value(after, JSONField()),
        typed_value(reason, TextField()),
        typed_value(now, DateTimeField()),
    )
    insert_select_ignore_conflicts(
        AuditEvent._meta.db_table,
        ["tenant_id", "actor_id", "action", "object_type", "object_id", "after", "reason", "at"],
        select,
    )
