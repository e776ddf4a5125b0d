"""Set-based fan-out: one INSERT … SELECT per target and source, never a Python loop over people.

The audience is a queryset of people; assignments, sources, audit events and due dates are written
with a handful of statements whatever its size. The one-open-assignment rule is the partial unique
index `assignment_one_open_per_target`, so concurrent calls can never duplicate (ON CONFLICT DO NOTHING).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    JSONField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from duecourse.assignments.domain import DueSpec
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.assignments.signals import assignments_changed
from duecourse.core.models import AuditEvent
from duecourse.core.sql import AddDays, LocalDayEnd, insert_select_ignore_conflicts, typed_value
from duecourse.people.models import Person

CHUNK = 5000  # ids per statement when a set is given by id


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
) -> int:
    """Create the open assignment for everyone in `people` who has none; returns how many it created."""
    due_expr = due_date_expression(due, now.date())
    # Those who already hold one are left out by an anti-join, so a repeated call writes nothing; the
    # partial unique index still settles races between concurrent calls (ON CONFLICT DO NOTHING).
    holders = Assignment.objects.filter(
        tenant_id=tenant_id,
        person_id=OuterRef("pk"),
        target_type=target.type,
        target_id=target.id,
        withdrawn_at__isnull=True,
    )
    select = (
        people.filter(tenant_id=tenant_id)
        .exclude(Exists(holders))
        .values_list(
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
    return insert_select_ignore_conflicts(Assignment._meta.db_table, columns, select)


def open_assignments_of(*, tenant_id: int, people: QuerySet, target: TargetSpec) -> QuerySet:
    return Assignment.objects.filter(
        tenant_id=tenant_id,
        target_type=target.type,
        target_id=target.id,
        withdrawn_at__isnull=True,
        person_id__in=people.values("pk"),
    )


@dataclass
class HeldBefore:
    """What an audience already held of a target before a call wrote anything."""

    count: int = 0  # open assignments of the target the audience holds
    may_move_earlier: list[int] = field(default_factory=list)  # not hand-dated, due after the call's date
    lacking_source: dict[int, list[int]] = field(default_factory=dict)  # per part: rows without its source
    own_source_later: dict[int, list[int]] = field(default_factory=dict)  # per part: its source rows dated later


def held_before(
    *,
    tenant_id: int,
    people: QuerySet,
    parts: list[tuple[QuerySet, SourceSpec]],
    target: TargetSpec,
    due: DueSpec,
    now: dt.datetime,
) -> HeldBefore:
    """Count the audience's open assignments of the target and fetch only the ones a call must change.

    A first assignment of the target (the usual big call) costs one index probe and nothing else; a
    repeated call reads counts and empty lists, never a row per person.
    """
    held = HeldBefore()
    anyone = Assignment.objects.filter(
        tenant_id=tenant_id, target_type=target.type, target_id=target.id, withdrawn_at__isnull=True
    )
    if not anyone.exists():
        return held
    dated = due.fixed or due.days is not None
    new_due = due.date_for(today=now.date(), hire_date=None) if dated and not due.from_hire_date else None
    movable = Q(due_date_manual=False)
    if new_due is not None:
        movable &= Q(due_date__isnull=True) | Q(due_date__gt=new_due)
    own_later = Q(own__id__isnull=False) & (Q(own__due_date__isnull=True) | Q(own__due_date__gt=new_due))
    for index, (part_people, source) in enumerate(parts):
        rows = open_assignments_of(tenant_id=tenant_id, people=part_people, target=target).annotate(
            own=FilteredRelation("sources", condition=Q(sources__kind=source.kind, sources__ref_id=source.ref_id))
        )
        # One pass counts what there is to do; rows are fetched only for a kind of work that exists.
        wanted = {"total": Count("pk"), "lacking": Count("pk", filter=Q(own__id__isnull=True))}
        if new_due is not None:
            wanted["later"] = Count("pk", filter=own_later)
        if dated:
            wanted["movable"] = Count("pk", filter=movable)
        counts = {"later": 0, "movable": 0, **rows.aggregate(**wanted)}
        if len(parts) == 1:
            held.count = counts["total"]
        if counts["lacking"]:
            held.lacking_source[index] = list(rows.filter(own__id__isnull=True).values_list("pk", flat=True))
        if counts["later"]:
            held.own_source_later[index] = list(
                rows.annotate(later=Case(When(own_later, then=Value(True)), default=Value(False)))
                .filter(later=True)
                .values_list("own__id", flat=True)
            )
        if counts["movable"] and len(parts) == 1:
            held.may_move_earlier = list(rows.filter(movable).values_list("pk", flat=True))
    if len(parts) > 1:
        union = open_assignments_of(tenant_id=tenant_id, people=people, target=target)
        held.count = union.count()
        if dated:
            held.may_move_earlier = list(union.filter(movable).values_list("pk", flat=True))
    return held


def attach_sources(
    *,
    tenant_id: int,
    people: QuerySet,
    target: TargetSpec,
    source: SourceSpec,
    due: DueSpec,
    now: dt.datetime,
    operation_id: int,
    only_audience: bool,
    held_lacking: list[int],
) -> int:
    """Attach the source to the operation's new rows for these people and to older rows that lack it."""
    new_rows = Assignment.objects.filter(
        tenant_id=tenant_id, operation_id=operation_id, target_type=target.type, target_id=target.id
    )
    if not only_audience:  # several audience parts: each part's source goes to its own people only
        new_rows = new_rows.filter(person_id__in=people.values("pk"))
    attached = _insert_sources(new_rows, tenant_id=tenant_id, source=source, due=due, now=now)
    for start in range(0, len(held_lacking), CHUNK):
        older = Assignment.objects.filter(pk__in=held_lacking[start : start + CHUNK])
        attached += _insert_sources(older, tenant_id=tenant_id, source=source, due=due, now=now)
    return attached


def attach_source_where_missing(
    *, tenant_id: int, people: QuerySet, target: TargetSpec, source: SourceSpec, due: DueSpec, now: dt.datetime
) -> int:
    """Attach the source to every open assignment of `people` for the target that lacks it (an anti-join)."""
    attached_already = AssignmentSource.objects.filter(
        assignment_id=OuterRef("pk"), kind=source.kind, ref_id=source.ref_id
    )
    missing = open_assignments_of(tenant_id=tenant_id, people=people, target=target).exclude(Exists(attached_already))
    return _insert_sources(missing, tenant_id=tenant_id, source=source, due=due, now=now)


def move_source_dates_earlier(source_ids: list[int], *, due: DueSpec, now: dt.datetime) -> int:
    """The same source assigning again with an earlier date: its date moves (earliest wins, as across sources)."""
    if not source_ids:
        return 0
    new_due = due.date_for(today=now.date(), hire_date=None)
    return sum(
        AssignmentSource.objects.filter(pk__in=source_ids[start : start + CHUNK]).update(
            due_date=new_due, due_rule=due.describe()
        )
        for start in range(0, len(source_ids), CHUNK)
    )


def _insert_sources(assignments: QuerySet, *, tenant_id: int, source: SourceSpec, due: DueSpec, now) -> int:
    person_due = Person.objects.filter(pk=OuterRef("person_id")).values_list(due_date_expression(due, now.date()))[:1]
    select = assignments.values_list(
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
    return insert_select_ignore_conflicts(AssignmentSource._meta.db_table, columns, select)


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
    """One audit event per creating operation: about the assignment when it made one, else about the
    operation. Every assignment names its operation and the audit look-up of an assignment includes its
    operation's event (`assignments.audit`), so each creation keeps its who, when, what and why, and a
    100,000-person call is one line of the log instead of 100,000 rows written inside the request.
    """
    created = list(
        Assignment.objects.filter(tenant_id=tenant_id, operation_id=operation_id).values_list("pk", flat=True)[:2]
    )
    if not created:
        return
    one = len(created) == 1
    AuditEvent.objects.create(
        tenant_id=tenant_id,
        actor_id=actor_id,
        action="assignment.create",
        object_type="assignment" if one else "assignment_operation",
        object_id=created[0] if one else operation_id,
        after={"operation_id": operation_id, **after},
        reason=reason,
        at=now,
    )
