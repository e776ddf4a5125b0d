"""The HR exports: all overdue training by department, completions before the person's start date, and a
reproducible random sample of completions with their evidence.

Each export is one set-based query streamed in chunks of 2,000 rows (plus a constant one or two: the
escalation tiers, the sample's size), whatever the number of rows; the API and the web pages stream the
same `Export`. Who may run them: `permissions.can_run_exports`.
"""

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.expressions import RawSQL

from duecourse.assignments.domain import local_date
from duecourse.assignments.models import Assignment, Completion
from duecourse.assignments.selectors import (
    AssignmentQuery,
    assignment_query_filter,
    tenant_escalation_tiers,
    with_escalation,
)
from duecourse.catalog.selectors import target_title_sql
from duecourse.core import clock
from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.people.models import Person
from duecourse.reports import permissions

CHUNK = 2000
MIN_PERCENT, MAX_PERCENT = 1, 100
MAX_SEED = 2**31 - 1
# The sample's order: a hash of (id, seed) in integer arithmetic that SQLite and PostgreSQL compute alike.
# A MINSTD step (multiplier 48271, modulus the prime 2^31 - 1) spreads the ids; offsets drawn from the seed
# and two squarings make each seed's order unrelated to the next one's. Every product stays below 2^62,
# so neither database overflows.
_MODULUS = 2**31 - 1
_MULTIPLIER = 48271


OVERDUE_COLUMNS = [
    "department",
    "site",
    "region",
    "manager_name",
    "manager_email",
    "person_name",
    "person_email",
    "hire_date",
    "target_type",
    "target_title",
    "due_date",
    "days_overdue",
    "escalation_tier",
    "compliance_flag",
    "sources",
    "assignment_id",
]
BEFORE_START_COLUMNS = [
    "person_name",
    "person_email",
    "department",
    "hire_date",
    "course_code",
    "course_title",
    "completed_at",
    "origin",
    "statement_id",
    "recorded_by_name",
    "recorded_by_email",
    "completion_id",
]
SAMPLE_COLUMNS = [
    "person_name",
    "person_email",
    "department",
    "course_code",
    "course_title",
    "completed_at",
    "score",
    "origin",
    "statement_id",
    "recorded_at",
    "recorded_by_name",
    "recorded_by_email",
    "completion_id",
]


@dataclass
class Export:
    """A CSV to stream: its file name, header and rows (the query runs as the rows are read)."""

    filename: str
    columns: list[str]
    rows: Iterator[list]
    headers: dict[str, str] = field(default_factory=dict)


def require_exports(actor: Person) -> None:
    if not permissions.can_run_exports(actor):
        raise forbidden("run HR exports")


def _streamed(queryset: QuerySet) -> Iterator[tuple]:
    return queryset.iterator(chunk_size=CHUNK)


# --- all overdue by department -----------------------------------------------------------------------
def _source_kinds_sql(table: str) -> str:
    """The kinds of an assignment's sources, `;`-joined in any order (`_kinds` sorts them)."""
    aggregate = "string_agg(s.kind, ';')" if connection.vendor == "postgresql" else "group_concat(s.kind, ';')"
    return f"(SELECT {aggregate} FROM assignment_source s WHERE s.assignment_id = {table}.id)"


def _kinds(joined: str | None) -> str:
    return ";".join(sorted(set((joined or "").split(";")) - {""}))


def overdue_by_department(*, actor: Person) -> Export:
    """Every overdue assignment of an active person the actor may see (the list's own overdue filter), by
    department name (none last), then person name; days overdue count from the due date to today in the
    person's time zone."""
    require_exports(actor)
    now = clock.now()
    tiers = tenant_escalation_tiers(actor.tenant_id)
    overdue = assignment_query_filter(actor=actor, query=AssignmentQuery(overdue=True), now=now, tiers=tiers)
    table = Assignment._meta.db_table
    items = (
        with_escalation(Assignment.objects.filter(overdue, person__active=True), tiers, now)
        .annotate(
            target_title=RawSQL(target_title_sql(table), []),  # noqa: S611 constant SQL
            source_kinds=RawSQL(_source_kinds_sql(table), []),  # noqa: S611 constant SQL
        )
        .order_by(
            F("person__department__name").asc(nulls_last=True),
            "person__name",
            "person_id",
            F("due_date").asc(nulls_last=True),
            "id",
        )
        .values_list(
            "person__department__name",
            "person__site__name",
            "person__region__name",
            "person__manager__name",
            "person__manager__email",
            "person__name",
            "person__email",
            "person__hire_date",
            "target_type",
            "target_title",
            "due_date",
            "person__timezone",
            "escalation_tier",
            "compliance_flag",
            "source_kinds",
            "id",
        )
    )

    def rows() -> Iterator[list]:
        for *person, target_type, title, due_date, timezone, tier, flag, kinds, pk in _streamed(items):
            late = max((local_date(now, timezone) - due_date).days, 0) if due_date else None
            yield [*person, target_type, title, due_date, late, tier, flag, _kinds(kinds), pk]

    return Export("overdue-by-department.csv", OVERDUE_COLUMNS, rows())


# --- completed before the start date ----------------------------------------------------------------
def completed_before_start(*, actor: Person) -> Export:
    """Completions dated (in the person's time zone) before the person's hire date: evidence recorded
    before someone started, which HR checks as a data-quality and audit finding."""
    require_exports(actor)
    # The SQL takes the UTC date, at most a day past the local one, so `<=` keeps every candidate;
    # the local date then decides.
    candidates = (
        Completion.objects.filter(
            tenant_id=actor.tenant_id,
            person__hire_date__isnull=False,
            completed_at__date__lte=F("person__hire_date"),
        )
        .order_by(F("person__department__name").asc(nulls_last=True), "person__name", "person_id", "completed_at", "id")
        .values_list(
            "person__name",
            "person__email",
            "person__department__name",
            "person__hire_date",
            "course__code",
            "course__title",
            "completed_at",
            "origin",
            "statement_id",
            "recorded_by__name",
            "recorded_by__email",
            "id",
            "person__timezone",
        )
    )

    def rows() -> Iterator[list]:
        for *row, timezone in _streamed(candidates):
            hire_date, completed_at = row[3], row[6]
            if local_date(completed_at, timezone) < hire_date:
                yield row

    return Export("completed-before-start.csv", BEFORE_START_COLUMNS, rows())


# --- audit sample -----------------------------------------------------------------------------------
def sample_size(total: int, percent: int) -> int:
    """ceil(percent % of total), in integers (no float rounding)."""
    return (total * percent + 99) // 100


def sample_key(seed: int) -> ExpressionWrapper:
    """The sample's pseudo-random order for this seed (see `_MODULUS`); ties, rare, fall to the id."""
    # Not for secrets: the seed only has to give the same offsets every time.
    offsets = random.Random(seed).sample(range(_MODULUS), 3)
    step = ((F("id") % _MODULUS) * _MULTIPLIER + Value(offsets[0])) % _MODULUS
    mixed = (step * step + Value(offsets[1])) % _MODULUS
    return ExpressionWrapper((mixed * mixed + Value(offsets[2])) % _MODULUS, output_field=BigIntegerField())


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def audit_sample(
    *,
    actor: Person,
    percent: int,
    seed: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Export:
    """`percent` % of the tenant's completions (rounded up), completed from `date_from` to `date_to`
    (whole UTC days, both included), picked at random in SQL, oldest first. The same seed over the same
    completions picks the same rows; without one a seed is drawn, and the answer names it (file name and
    `X-Sample-Seed`) so the sample can be drawn again."""
    require_exports(actor)
    if not MIN_PERCENT <= percent <= MAX_PERCENT:
        raise ValidationFailed.on("percent", f"must be a whole number from {MIN_PERCENT} to {MAX_PERCENT}")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise ValidationFailed.on("seed", f"must be a whole number from 0 to {MAX_SEED}")
    if date_from and date_to and date_to < date_from:
        raise ValidationFailed.on("to", "must be on or after from")
    seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    completions = Completion.objects.filter(tenant_id=actor.tenant_id)
    if date_from:
        completions = completions.filter(completed_at__gte=_day_start(date_from))
    if date_to:
        completions = completions.filter(completed_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    size = sample_size(completions.count(), percent)
    chosen = completions.annotate(sample_key=sample_key(seed)).order_by("sample_key", "id").values("id")[:size]
    sample = (
        Completion.objects.filter(tenant_id=actor.tenant_id, pk__in=chosen)
        .order_by("completed_at", "id")
        .values_list(
            "person__name",
            "person__email",
            "person__department__name",
            "course__code",
            "course__title",
            "completed_at",
            "score",
            "origin",
            "statement_id",
            "recorded_at",
            "recorded_by__name",
            "recorded_by__email",
            "id",
        )
    )

    def rows() -> Iterator[list]:
        if size:
            yield from (list(row) for row in _streamed(sample))

    return Export(
        f"audit-sample-{percent}pct-seed-{seed}.csv", SAMPLE_COLUMNS, rows(), headers={"X-Sample-Seed": str(seed)}
    )
