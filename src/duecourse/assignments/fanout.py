"""The one fan-out service: single, bulk, rule apply and rule reconcile all assign through `assignments_fan_out`.

Set-based: the audience is a queryset of people; assignments, sources, audit events and due dates are
written with a handful of INSERT … SELECT statements whatever its size, never a Python loop over people.
The one-open-assignment rule is the partial unique index `assignment_one_open_per_target`, so concurrent
calls can never duplicate (ON CONFLICT DO NOTHING).
"""

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    Expression,
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

from duecourse.assignments.domain import (
    DueSpec,
    EffectiveTerms,
    SourceTerms,
    default_plan_in_settings,
    effective_terms,
)
from duecourse.assignments.models import (
    VISIBILITIES,
    Assignment,
    AssignmentOperation,
    AssignmentSource,
    Completion,
    CourseProgress,
    RuleItem,
)
from duecourse.assignments.progress import sync_assignments
from duecourse.assignments.selectors import status_filter
from duecourse.assignments.signals import assignments_changed
from duecourse.assignments.status import AssignmentStatus
from duecourse.catalog import selectors as catalog
from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.models import AuditEvent, Tenant
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
    """What a call sets on the assignments it creates (`validity_months`, when given, overrides the target's)."""

    priority: str = "medium"
    note: str = ""
    reason: str = ""
    recurrence_weeks: int | None = None
    reminder_plan: list[dict[str, Any]] | None = None
    validity_months: int | None = None
    assigned_by_id: int | None = None
    operation_id: int | None = None
    retake: bool = False  # a completed or expired assignment re-opens as a new cycle (else it is left as is)


@dataclass(frozen=True)
class AudiencePart:
    """Some people and the source that assigns them (a group, an org unit, a rule, the caller by hand)."""

    source: SourceSpec
    people: QuerySet[Person]


@dataclass
class FanOutResult:
    created: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] | None = None
    operation_id: int | None = None


def _due_date_expression(due: DueSpec, today: dt.date) -> Expression:
    """The due date as an expression over Person, so hire-date-relative dates stay set-based."""
    if due.fixed:
        return typed_value(due.fixed, DateField())
    if due.days is None:
        return typed_value(None, DateField())
    after_assignment = typed_value(today + dt.timedelta(days=due.days), DateField())
    if not due.from_hire_date:
        return after_assignment
    return Coalesce(AddDays(F("hire_date"), Value(due.days)), after_assignment, output_field=DateField())


def _insert_assignments(
    *,
    tenant_id: int,
    people: QuerySet[Person],
    target: TargetSpec,
    due: DueSpec,
    fields: AssignmentFields,
    now: dt.datetime,
) -> int:
    """Create the open assignment for everyone in `people` who has none; returns how many it created."""
    due_expr = _due_date_expression(due, now.date())
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


def _open_assignments_of(*, tenant_id: int, people: QuerySet[Person], target: TargetSpec) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        tenant_id=tenant_id,
        target_type=target.type,
        target_id=target.id,
        withdrawn_at__isnull=True,
        person_id__in=people.values("pk"),
    )


@dataclass
class _HeldBefore:
    """What an audience already held of a target before a call wrote anything."""

    count: int = 0  # open assignments of the target the audience holds
    may_move_earlier: list[int] = field(default_factory=list)  # not hand-dated, due after the call's date
    lacking_source: dict[int, list[int]] = field(default_factory=dict)  # per part: rows without its source
    own_source_later: dict[int, list[int]] = field(default_factory=dict)  # per part: its source rows dated later


def _held_before(
    *,
    tenant_id: int,
    people: QuerySet[Person],
    parts: list[tuple[QuerySet[Person], SourceSpec]],
    target: TargetSpec,
    due: DueSpec,
    now: dt.datetime,
    own_sources_move: bool = True,
) -> _HeldBefore:
    """Count the audience's open assignments of the target and fetch only the ones a call must change.

    A first assignment of the target (the usual big call) costs one index probe and nothing else; a
    repeated call reads counts and empty lists, never a row per person.
    """
    held = _HeldBefore()
    anyone = Assignment.objects.filter(
        tenant_id=tenant_id, target_type=target.type, target_id=target.id, withdrawn_at__isnull=True
    )
    if not anyone.exists():
        return held
    dated = due.fixed or due.days is not None
    new_due = due.date_for(today=now.date(), hire_date=None) if dated and not due.from_hire_date else None
    own_moves_to = new_due if own_sources_move else None
    movable = Q(due_date_manual=False, completed_at__isnull=True)  # a completed one keeps its dates
    if new_due is not None:
        movable &= Q(due_date__isnull=True) | Q(due_date__gt=new_due)
    own_later = Q(own__id__isnull=False) & (Q(own__due_date__isnull=True) | Q(own__due_date__gt=own_moves_to))
    # Only a row that gains this source, or whose own source moves earlier, can move earlier.
    gains = Q(own__id__isnull=True) | own_later if own_moves_to is not None else Q(own__id__isnull=True)
    for index, (part_people, source) in enumerate(parts):
        rows = _open_assignments_of(tenant_id=tenant_id, people=part_people, target=target).annotate(
            own=FilteredRelation("sources", condition=Q(sources__kind=source.kind, sources__ref_id=source.ref_id))
        )
        # One pass counts what there is to do; rows are fetched only for a kind of work that exists.
        wanted = {"total": Count("pk"), "lacking": Count("pk", filter=Q(own__id__isnull=True))}
        if own_moves_to is not None:
            wanted["later"] = Count("pk", filter=own_later)
        if dated:
            wanted["movable"] = Count("pk", filter=movable & gains)
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
            held.may_move_earlier = list(
                rows.annotate(gains=Case(When(movable & gains, then=Value(True)), default=Value(False)))
                .filter(gains=True)
                .values_list("pk", flat=True)
            )
    if len(parts) > 1:
        union = _open_assignments_of(tenant_id=tenant_id, people=people, target=target)
        held.count = union.count()
        if dated:
            held.may_move_earlier = list(union.filter(movable).values_list("pk", flat=True))
    return held


def _attach_sources(
    *,
    tenant_id: int,
    people: QuerySet[Person],
    target: TargetSpec,
    source: SourceSpec,
    due: DueSpec,
    fields: AssignmentFields,
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
    attached = _insert_sources(new_rows, tenant_id=tenant_id, source=source, due=due, fields=fields, now=now)
    for start in range(0, len(held_lacking), CHUNK):
        older = Assignment.objects.filter(pk__in=held_lacking[start : start + CHUNK])
        attached += _insert_sources(older, tenant_id=tenant_id, source=source, due=due, fields=fields, now=now)
        recompute_terms(older)
    return attached


def _attach_source_where_missing(
    *,
    tenant_id: int,
    people: QuerySet[Person],
    target: TargetSpec,
    source: SourceSpec,
    due: DueSpec,
    fields: AssignmentFields,
    now: dt.datetime,
) -> int:
    """Attach the source to every open assignment of `people` for the target that lacks it (an anti-join)."""
    attached_already = AssignmentSource.objects.filter(
        assignment_id=OuterRef("pk"), kind=source.kind, ref_id=source.ref_id
    )
    missing = _open_assignments_of(tenant_id=tenant_id, people=people, target=target).exclude(Exists(attached_already))
    ids = list(missing.values_list("pk", flat=True))
    attached = 0
    for start in range(0, len(ids), CHUNK):
        rows = Assignment.objects.filter(pk__in=ids[start : start + CHUNK])
        attached += _insert_sources(rows, tenant_id=tenant_id, source=source, due=due, fields=fields, now=now)
        recompute_terms(rows)
    return attached


def _move_source_dates_earlier(source_ids: list[int], *, due: DueSpec, now: dt.datetime) -> int:
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


def _insert_sources(
    assignments: QuerySet[Assignment],
    *,
    tenant_id: int,
    source: SourceSpec,
    due: DueSpec,
    fields: AssignmentFields,
    now: dt.datetime,
) -> int:
    person_due = Person.objects.filter(pk=OuterRef("person_id")).values_list(_due_date_expression(due, now.date()))[:1]
    select = assignments.values_list(
        typed_value(tenant_id, BigIntegerField()),
        "pk",
        typed_value(source.kind, CharField()),
        typed_value(source.ref_id, BigIntegerField()),
        typed_value(source.label, CharField()),
        typed_value(source.assigned_by_id, BigIntegerField()),
        typed_value(source.rule_id, BigIntegerField()),
        Subquery(person_due, output_field=DateField()) if due.from_hire_date else _due_date_expression(due, now.date()),
        typed_value(due.describe(), CharField()),
        typed_value(fields.priority, CharField()),
        typed_value(fields.reminder_plan, JSONField()),
        typed_value(fields.note, TextField()),
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
        "priority",
        "reminder_plan",
        "note",
        "created_at",
    ]
    return insert_select_ignore_conflicts(AssignmentSource._meta.db_table, columns, select)


def recompute_due_dates(assignments: QuerySet[Assignment]) -> int:
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
    rows = list(moved.values_list("pk", "due_date", "new_due"))
    ids = [pk for pk, _, _ in rows]
    # The learner is told when the date moves earlier; any other move only re-plans reminders.
    earlier = [pk for pk, old, new in rows if new is not None and (old is None or new < old)]
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    for start in range(0, len(ids), CHUNK):
        chunk = Assignment.objects.filter(pk__in=ids[start : start + CHUNK])
        chunk.update(due_date=Subquery(earliest, output_field=DateField()))
        chunk.filter(due_date__isnull=True).update(due_at=None)
        chunk.filter(due_date__isnull=False).update(
            due_at=LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField()))
        )
    told = set(earlier)
    _rescheduled([pk for pk in ids if pk not in told])
    _rescheduled(earlier, event="due_date_changed")
    return len(ids)


def source_terms_of(assignment_ids: list[int]) -> dict[int, list[SourceTerms]]:
    """Each assignment's sources as `domain.SourceTerms` (one query)."""
    terms: dict[int, list[SourceTerms]] = {pk: [] for pk in assignment_ids}
    for assignment_id, due_date, priority, plan, note, created_at in (
        AssignmentSource.objects.filter(assignment_id__in=assignment_ids)
        .order_by("pk")
        .values_list("assignment_id", "due_date", "priority", "reminder_plan", "note", "created_at")
    ):
        terms[assignment_id].append(SourceTerms(due_date, priority, plan, note, created_at))
    return terms


def tenant_default_plan(tenant_id: int) -> list[dict[str, Any]]:
    settings = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    return default_plan_in_settings(settings)


def recompute_terms(assignments: QuerySet[Assignment]) -> list[int]:
    """Each open assignment takes the priority, reminders and note its sources ask for together
    (`domain.effective_terms`), unless learning staff set them by hand (`terms_manual`); the due date is
    `recompute_due_dates`'. Only rows that change are
    written, and only those whose reminder plan changed are re-planned. Returns the ids that changed.

    Set-wise: rows whose sources ask the same (a group's or a rule's thousands of members) share one
    computation, and each distinct result is one UPDATE over its rows, never one row at a time.
    """
    # A completed one keeps its values (a retake re-opens it, and recomputes them then).
    rows = list(
        assignments.filter(withdrawn_at__isnull=True, completed_at__isnull=True, terms_manual=False).values_list(
            "pk", "tenant_id", "priority", "reminder_plan", "note"
        )
    )
    changed: list[int] = []
    replanned: list[int] = []
    defaults: dict[int, list[dict[str, Any]]] = {}
    computed: dict[tuple[int, tuple[tuple[str, str, str], ...]], EffectiveTerms] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        terms = source_terms_of([row[0] for row in chunk])
        # (priority, plan as JSON, note) -> the ids that take it
        writes: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for pk, tenant_id, priority, plan, note in chunk:
            if not terms[pk]:
                continue  # no source left: withdrawn by the caller, values kept as history
            if tenant_id not in defaults:
                defaults[tenant_id] = tenant_default_plan(tenant_id)
            # What decides the result, in the order effective_terms reads it (notes newest first).
            newest_first = sorted(terms[pk], key=_created, reverse=True)
            signature = (tenant_id, tuple((t.priority, _plan_key(t.reminder_plan), t.note) for t in newest_first))
            if signature not in computed:
                computed[signature] = effective_terms(terms[pk], default_plan=defaults[tenant_id])
            effective = computed[signature]
            if (effective.priority, effective.reminder_plan, effective.note) != (priority, plan, note):
                writes[(effective.priority, _plan_key(effective.reminder_plan), effective.note)].append(pk)
                if effective.reminder_plan != plan:
                    replanned.append(pk)
        for (priority, plan_key, note), ids in writes.items():
            Assignment.objects.filter(pk__in=ids).update(
                priority=priority, reminder_plan=json.loads(plan_key), note=note
            )
            changed += ids
    _rescheduled(replanned)
    return changed


def _created(terms: SourceTerms) -> dt.datetime:
    return terms.created_at or dt.datetime.min.replace(tzinfo=dt.UTC)


def _plan_key(plan: list[dict[str, Any]] | None) -> str:
    return json.dumps(plan, sort_keys=True)


def recompute_effective(assignments: QuerySet[Assignment]) -> None:
    """The due date, priority, reminders, note and visibility from the sources (after a source was added,
    removed or changed)."""
    recompute_due_dates(assignments)
    recompute_terms(assignments)
    recompute_visibility(assignments)


def recompute_visibility(assignments: QuerySet[Assignment]) -> list[int]:
    """`sync_visibility` for these assignments (e.g. after a source was removed, the rest may ask less:
    an item only a hidden rule item still holds is hidden again). Returns the ids now shown."""
    people: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    for tenant_id, target_type, target_id, person_id in assignments.filter(withdrawn_at__isnull=True).values_list(
        "tenant_id", "target_type", "target_id", "person_id"
    ):
        people[(tenant_id, target_type, target_id)].append(person_id)
    now = clock.now()
    shown: list[int] = []
    for (tenant_id, target_type, target_id), person_ids in people.items():
        shown += sync_visibility(
            tenant_id=tenant_id, targets=[(target_type, target_id)], person_ids=person_ids, now=now
        )
    return shown


def sync_visibility(
    *, tenant_id: int, targets: Iterable[tuple[str, int]], person_ids: list[int] | None, now: dt.datetime
) -> list[int]:
    """Each open assignment of these targets takes the most visible of its sources' visibilities
    (required > optional > hidden): any source but a rule makes it required, a rule source counts with
    its item's visibility while the rule is not deleted (a paused rule keeps what it gave). Set-based,
    three UPDATEs per target. Items that a hidden one is now shown to (not completed, not exempt) get the
    "assigned" notice and their reminder plan; every changed one is re-planned (optional and hidden items
    get no reminder after the due date). Returns the ids now shown."""
    shown: list[int] = []
    changed: list[int] = []
    for target_type, target_id in sorted(set(targets)):
        by_visibility: dict[str, list[int]] = {"required": [], "optional": [], "hidden": []}
        for rule_id, visibility in RuleItem.objects.filter(
            tenant_id=tenant_id, rule__deleted_at__isnull=True, target_type=target_type, target_id=target_id
        ).values_list("rule_id", "visibility"):
            by_visibility.setdefault(visibility, []).append(rule_id)
        scope = Assignment.objects.filter(
            tenant_id=tenant_id, target_type=target_type, target_id=target_id, withdrawn_at__isnull=True
        )
        if person_ids is not None:
            scope = scope.filter(person_id__in=person_ids)
        sources = AssignmentSource.objects.filter(assignment_id=OuterRef("pk"))
        required = Exists(sources.exclude(kind="rule")) | Exists(
            sources.filter(kind="rule", rule_id__in=by_visibility["required"])
        )
        optional = ~required & Exists(sources.filter(kind="rule", rule_id__in=by_visibility["optional"]))
        hidden = (
            ~required
            & ~Exists(sources.filter(kind="rule", rule_id__in=by_visibility["optional"]))
            & Exists(sources.filter(kind="rule", rule_id__in=by_visibility["hidden"]))
        )
        for visibility, condition in (("required", required), ("optional", optional), ("hidden", hidden)):
            moving = scope.filter(condition).exclude(visibility=visibility)
            ids = list(moving.values_list("pk", flat=True))
            if not ids:
                continue
            if visibility != "hidden":
                shown += list(
                    moving.filter(visibility="hidden", completed_at__isnull=True)
                    .exclude(status_filter(AssignmentStatus.EXEMPT, now))
                    .values_list("pk", flat=True)
                )
            for start in range(0, len(ids), CHUNK):
                Assignment.objects.filter(pk__in=ids[start : start + CHUNK]).update(visibility=visibility)
            changed += ids
    if shown:
        assignments_changed.send(
            sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=shown, event="assigned"
        )
    rest = sorted(set(changed) - set(shown))
    if rest:
        assignments_changed.send(
            sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=rest, event="updated"
        )
    return shown


def _rescheduled(ids: list[int], *, event: str = "rescheduled") -> None:
    """Tell listeners (reminder planning; the learner too for "due_date_changed") that these moved."""
    if not ids:
        return
    by_tenant: dict[int, list[int]] = {}
    for pk, tenant_id in Assignment.objects.filter(pk__in=ids).values_list("pk", "tenant_id"):
        by_tenant.setdefault(tenant_id, []).append(pk)
    for tenant_id, tenant_ids in by_tenant.items():
        assignments_changed.send(
            sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=tenant_ids, event=event
        )


def refresh_due_instants(*, tenant_id: int, person_ids: Iterable[int] | None = None) -> int:
    """Recompute `due_at` of these people's open assignments (after a time-zone change), in chunks of CHUNK ids.

    Rows whose instant is already right are not written, so a directory import that changes nothing
    touches no assignment.
    """
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    instant = LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField()))
    scope = Assignment.objects.filter(tenant_id=tenant_id, withdrawn_at__isnull=True, due_date__isnull=False)
    if person_ids is not None:
        scope = scope.filter(person_id__in=list(person_ids))
    ids = list(scope.annotate(new_due_at=instant).exclude(due_at=F("new_due_at")).values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        Assignment.objects.filter(pk__in=ids[start : start + CHUNK]).update(due_at=instant)
    _rescheduled(ids)
    return len(ids)


def _audit_created(
    *,
    tenant_id: int,
    operation_id: int,
    actor: Person | SystemActor,
    after: dict[str, Any],
    reason: str,
    now: dt.datetime,
) -> None:
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
        **audit_actor(actor),
        action="assignment.create",
        object_type="assignment" if one else "assignment_operation",
        object_id=created[0] if one else operation_id,
        after={"operation_id": operation_id, **after},
        reason=reason,
        at=now,
    )


def _satisfy_from_prior_completions(
    *, tenant_id: int, operation_id: int, targets: list[TargetSpec], now: dt.datetime
) -> None:
    """A completion that already exists and is still valid satisfies a new assignment at once, and
    progress reported before the assignment existed counts at once too (its percent and started_at)."""
    course_ids: set[int] = set()
    for target in targets:
        course_ids.update(catalog.target_required_course_ids(target_type=target.type, target_id=target.id))
    satisfying = catalog.courses_satisfying(tenant_id=tenant_id, course_ids=sorted(course_ids))
    all_courses = {c for s in satisfying.values() for c in s}
    new = Assignment.objects.filter(tenant_id=tenant_id, operation_id=operation_id)
    holders = Completion.objects.filter(
        tenant_id=tenant_id, course_id__in=all_courses, person_id__in=new.values("person_id")
    ).values("person_id")
    progressed = CourseProgress.objects.filter(
        tenant_id=tenant_id, course_id__in=all_courses, person_id__in=new.values("person_id"), percent__gt=0
    ).values("person_id")
    sync_assignments(assignments=new.filter(Q(person_id__in=holders) | Q(person_id__in=progressed)), now=now)


def audience_of(*, tenant_id: int, parts: list[AudiencePart]) -> QuerySet[Person]:
    """The active people of all parts together, as one queryset."""
    union_ids = Q(pk__in=[])
    for part in parts:
        union_ids |= Q(pk__in=part.people.values("pk"))
    return Person.objects.filter(tenant_id=tenant_id, active=True).filter(union_ids)


def assignments_fan_out(
    *,
    tenant_id: int,
    actor: Person | SystemActor,
    kind: str,
    parts: list[AudiencePart],
    targets: list[TargetSpec],
    due: DueSpec,
    fields: AssignmentFields,
    params: dict[str, Any],
    audit_reason: str,
    now: dt.datetime,
    own_sources_move: bool = True,
    keep_empty_operation: bool = True,
) -> FanOutResult:
    """Assign every target to every active person of the parts, each part's people getting its source.

    Who already holds an open assignment of a target keeps it and gains the source (its due date moves
    earlier when the source's is earlier, unless set by hand). One operation groups what the call
    created, one audit event records it, and listeners plan its notices and reminders. `kind` is
    "single", "bulk" or "rule". A source assigning again with an earlier date moves its own date,
    unless `own_sources_move=False` (a rule: its timing policy decides that when the rule changes). A
    rule reconcile that creates nothing leaves no operation (`keep_empty_operation=False`). Callers
    check permissions and input; this only writes.
    """
    people = audience_of(tenant_id=tenant_id, parts=parts)
    audience = [(part.people.filter(tenant_id=tenant_id, active=True), part.source) for part in parts]
    result = FanOutResult()
    with transaction.atomic():
        operation = AssignmentOperation.objects.create(
            tenant_id=tenant_id, actor_id=audit_actor(actor)["actor_id"], kind=kind, params=params, created_at=now
        )
        fields = dataclasses.replace(fields, operation_id=operation.pk)
        audience_size = people.count() if targets else 0
        for target in targets:
            created, skipped = _fan_out_target(
                tenant_id=tenant_id,
                people=people,
                audience=audience,
                audience_size=audience_size,
                target=dataclasses.replace(target, validity_months=fields.validity_months or target.validity_months),
                due=due,
                fields=fields,
                operation_id=operation.pk,
                now=now,
                own_sources_move=own_sources_move,
            )
            result.created += created
            result.skipped += skipped
        if not result.created and not keep_empty_operation:
            operation.delete()
            return result
        operation.created, operation.skipped = result.created, result.skipped
        operation.save(update_fields=["created", "skipped"])
        result.operation_id = operation.pk
        if result.created:
            _audit_created(
                tenant_id=tenant_id,
                operation_id=operation.pk,
                actor=actor,
                after={"created": result.created, "skipped": result.skipped, **params},
                reason=audit_reason,
                now=now,
            )
            _satisfy_from_prior_completions(tenant_id=tenant_id, operation_id=operation.pk, targets=targets, now=now)
            assignments_changed.send(
                sender=Assignment,
                tenant_id=tenant_id,
                operation_id=operation.pk,
                assignment_ids=None,
                event="assigned",
                count=result.created,
            )
    return result


def _fan_out_target(
    *,
    tenant_id: int,
    people: QuerySet[Person],
    audience: list[tuple[QuerySet[Person], SourceSpec]],
    audience_size: int,
    target: TargetSpec,
    due: DueSpec,
    fields: AssignmentFields,
    operation_id: int,
    now: dt.datetime,
    own_sources_move: bool,
) -> tuple[int, int]:
    """One target for the whole audience, as part of operation `operation_id`; returns (created, skipped)."""
    held = _held_before(
        tenant_id=tenant_id,
        people=people,
        parts=audience,
        target=target,
        due=due,
        now=now,
        own_sources_move=own_sources_move,
    )
    created = retaken = 0
    if fields.retake and held.count:
        created = retaken = _reopen_for_retake(
            tenant_id=tenant_id, people=people, target=target, due=due, fields=fields, now=now
        )
    if held.count < audience_size:  # a repeated call, where everyone holds one already, writes nothing
        created += _insert_assignments(
            tenant_id=tenant_id, people=people, target=target, due=due, fields=fields, now=now
        )
    # Rows a concurrent call inserted first (ON CONFLICT waited for it) were not seen before.
    raced = max(0, audience_size - held.count - (created - retaken))
    for index, (part_people, source) in enumerate(audience):
        _move_source_dates_earlier(held.own_source_later.get(index, []), due=due, now=now)
        _attach_sources(
            tenant_id=tenant_id,
            people=part_people,
            target=target,
            source=source,
            due=due,
            fields=fields,
            now=now,
            operation_id=operation_id,
            only_audience=len(audience) == 1,
            held_lacking=held.lacking_source.get(index, []),
        )
    if held.count:  # a source joining older rows can only make them more visible (the most visible wins)
        raise_visibility(tenant_id=tenant_id, people=people, target=target, now=now)
    if raced:
        for part_people, source in audience:
            _attach_source_where_missing(
                tenant_id=tenant_id, people=part_people, target=target, source=source, due=due, fields=fields, now=now
            )
        recompute_due_dates(
            _open_assignments_of(tenant_id=tenant_id, people=people, target=target).exclude(operation_id=operation_id)
        )
    for start in range(0, len(held.may_move_earlier), CHUNK):
        recompute_due_dates(Assignment.objects.filter(pk__in=held.may_move_earlier[start : start + CHUNK]))
    return created, held.count + raced - retaken


def _reopen_for_retake(
    *,
    tenant_id: int,
    people: QuerySet[Person],
    target: TargetSpec,
    due: DueSpec,
    fields: AssignmentFields,
    now: dt.datetime,
) -> int:
    """Re-open the audience's completed or expired assignments of the target as a new cycle (a retake).

    The cycle counts up, the previous cycle's completions stop counting (they stay in the history), and
    the due date is the request's: every source's date moves to it, as a new recurring cycle moves them.
    Returns how many re-opened.
    """
    rows = _open_assignments_of(tenant_id=tenant_id, people=people, target=target).filter(completed_at__isnull=False)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    due_expr = _due_date_expression(due, now.date())
    person_due = Person.objects.filter(pk=OuterRef("person_id")).values_list(due_expr)[:1]
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        scope = Assignment.objects.filter(pk__in=chunk)
        # A retake asks the person to do it again: an exemption they had ends with the old cycle.
        exemptions = {
            row["pk"]: {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in row.items()}
            for row in scope.filter(exempt_at__isnull=False).values(
                "pk", "exempt_at", "exempt_until", "exempt_reason", "exempt_by_id"
            )
        }
        # The audit keeps the cycle that closes (the completion itself stays in the completions).
        closing = {
            pk: {"cycle": cycle, "completed_at": _iso(completed), "expires_at": _iso(expires)}
            for pk, cycle, completed, expires in scope.values_list("pk", "cycle", "completed_at", "expires_at")
        }
        # One UPDATE: every right-hand side reads the row as it was (the previous cycle's completion).
        scope.update(
            cycle=F("cycle") + 1,
            cycle_opened_at=now,
            completions_after=F("completed_at"),
            completed_at=None,
            expires_at=None,
            started_at=None,
            progress=0,
            compliance_flag=False,
            due_date=Subquery(person_due, output_field=DateField()),
            due_date_manual=False,
            terms_manual=False,
            due_explanation="",
            exempt_at=None,
            exempt_until=None,
            exempt_ends_at=None,
            exempt_reason="",
            exempt_by_id=None,
        )
        scope.update(due_at=LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField())))
        source_due = Subquery(
            Assignment.objects.filter(pk=OuterRef("assignment_id")).values("due_date")[:1], output_field=DateField()
        )
        AssignmentSource.objects.filter(assignment_id__in=chunk).update(due_date=source_due, due_rule=due.describe())
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    tenant_id=tenant_id,
                    actor_id=fields.assigned_by_id,
                    action="assignment.retake",
                    object_type="assignment",
                    object_id=pk,
                    before={**closing[pk], **({"exemption": exemptions[pk]} if pk in exemptions else {})},
                    after={"due_date": due.describe(), **({"exemption": None} if pk in exemptions else {})},
                    reason=fields.reason,
                    at=now,
                )
                for pk in chunk
            ]
        )
    recompute_terms(Assignment.objects.filter(pk__in=ids))
    assignments_changed.send(
        sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=ids, event="recurrence"
    )
    return len(ids)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def raise_visibility(*, tenant_id: int, people: QuerySet[Person], target: TargetSpec, now: dt.datetime) -> list[int]:
    """Open assignments of the target less visible than it now show at its visibility (required > optional >
    hidden); a hidden one that now shows (not completed, not exempt) gets the "assigned" notice. Returns
    those ids."""
    order = [value for value, _ in VISIBILITIES]
    lower = order[order.index(target.visibility) + 1 :]
    if not lower:
        return []
    rows = _open_assignments_of(tenant_id=tenant_id, people=people, target=target).filter(visibility__in=lower)
    ids = list(rows.values_list("pk", flat=True))
    shown = list(
        rows.filter(visibility="hidden", completed_at__isnull=True)
        .exclude(status_filter(AssignmentStatus.EXEMPT, now))
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        Assignment.objects.filter(pk__in=ids[start : start + CHUNK]).update(visibility=target.visibility)
    for event, changed in (("assigned", shown), ("updated", sorted(set(ids) - set(shown)))):
        if changed:
            assignments_changed.send(
                sender=Assignment, tenant_id=tenant_id, operation_id=None, assignment_ids=changed, event=event
            )
    return shown
