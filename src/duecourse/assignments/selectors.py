"""Reads of assignments that depend on who asks; status is derived in SQL from the facts."""

import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan, LessThan, LessThanOrEqual
from django.utils.translation import gettext, gettext_lazy

from duecourse.assignments import forecast, permissions
from duecourse.assignments.escalation import NO_TIER, escalation_tiers
from duecourse.assignments.models import LIVE_RULE, Assignment, AssignmentRule, AssignmentSource, Completion
from duecourse.assignments.priorities import PRIORITY_RANK, UNKNOWN_PRIORITY_RANK
from duecourse.assignments.status import (
    COMPLETED,
    EXEMPTED,
    EXEMPTION_RUNS,
    REQUIRED,
    STATUS_RULE,
    STILL_VALID,
    AssignmentStatus,
    Atom,
    Check,
    Condition,
    status_conjunction,
)
from duecourse.catalog.selectors import target_title_sql
from duecourse.core import clock
from duecourse.core.errors import forbidden, not_found
from duecourse.core.models import Tenant
from duecourse.core.sql import AddDays, LocalDayEnd, TypedQuery
from duecourse.groups.models import GroupMember
from duecourse.people.models import Person

# The status rule (`status.STATUS_RULE`) rendered for the database: as the ORM's CASE, as one WHERE clause
# per status, and as SQL text for the hand-written hot queries. Every `%s` in the SQL text is `now`.
_CHECK_LOOKUPS = {
    Check.IS_NULL: lambda column, value, now: Q(**{f"{column}__isnull": True}),
    Check.NOT_NULL: lambda column, value, now: Q(**{f"{column}__isnull": False}),
    Check.AFTER_NOW: lambda column, value, now: Q(**{f"{column}__gt": now}),
    Check.AT_OR_BEFORE_NOW: lambda column, value, now: Q(**{f"{column}__lte": now}),
    Check.POSITIVE: lambda column, value, now: Q(**{f"{column}__gt": 0}),
    Check.ZERO: lambda column, value, now: Q(**{column: 0}),
    Check.EQUALS: lambda column, value, now: Q(**{column: value}),
    Check.NOT_EQUALS: lambda column, value, now: ~Q(**{column: value}),
}
_CHECK_SQL = {
    Check.IS_NULL: "{} IS NULL",
    Check.NOT_NULL: "{} IS NOT NULL",
    Check.AFTER_NOW: "{} > %s",
    Check.AT_OR_BEFORE_NOW: "{} <= %s",
    Check.POSITIVE: "{} > 0",
    Check.ZERO: "{} = 0",
    Check.EQUALS: "{} = '{}'",
    Check.NOT_EQUALS: "{} <> '{}'",
}
*_RULED_ROWS, (_DEFAULT_STATUS, _) = STATUS_RULE


def _conditions_q(conditions: tuple[Condition, ...], now: dt.datetime, prefix: str = "") -> Q:
    result = Q()
    for condition in conditions:
        either = Q()
        for atom in condition.any_of:
            either |= _CHECK_LOOKUPS[atom.check](prefix + atom.column, atom.value, now)
        result &= either
    return result


def _atom_sql(atom: Atom, alias: str) -> str:
    # The compared values are constants of the status rule (e.g. 'required'), never input: safe as literals.
    assert atom.value is None or atom.value.isidentifier(), atom
    return _CHECK_SQL[atom.check].format(f"{alias}.{atom.column}", atom.value)


def _conditions_sql(conditions: tuple[Condition, ...], alias: str) -> str:
    parts = []
    for condition in conditions:
        atoms = [_atom_sql(atom, alias) for atom in condition.any_of]
        parts.append(atoms[0] if len(atoms) == 1 else "(" + " OR ".join(atoms) + ")")
    return " AND ".join(parts)


def status_expression(now: dt.datetime) -> Case:
    """The status rule as the ORM's CASE (indexable filters use `status_filter`)."""
    return Case(
        *[When(_conditions_q(conditions, now), then=Value(str(status))) for status, conditions in _RULED_ROWS],
        default=Value(str(_DEFAULT_STATUS)),
        output_field=CharField(),
    )


STALLED_AFTER_DAYS = 14


def stalled_filter(now: dt.datetime) -> Q:
    """Not started: open with nothing reported since its current cycle opened (assigned, or reopened by a
    retake, recurrence or recertification) STALLED_AFTER_DAYS or more ago."""
    since = now - dt.timedelta(days=STALLED_AFTER_DAYS)
    opened_long_ago = Q(cycle_opened_at__lte=since) | Q(cycle_opened_at__isnull=True, assigned_at__lte=since)
    return status_filter(AssignmentStatus.ASSIGNED, now) & opened_long_ago


def status_filter(status: str, now: dt.datetime, prefix: str = "") -> Q:
    """A WHERE clause per status, without CASE, so the indexes on due_at / withdrawn_at can serve it.

    `prefix` ("assignment__") filters rows of another table by their assignment's status."""
    return _conditions_q(status_conjunction(status), now, prefix)


def overdue_applies_filter(prefix: str = "") -> Q:
    """The items that can become overdue at all (the status rule's `REQUIRED` condition): only these are
    reminded after their due date, escalated or flagged. `prefix` as in `status_filter`."""
    return _conditions_q((REQUIRED,), clock.now(), prefix)


def exemption_running_filter(now: dt.datetime, prefix: str = "") -> Q:
    """An exemption is granted and has not run out (the status rule's exempt conditions, whatever else
    holds: a completion beats an exemption in the status, but nobody is chased to renew it meanwhile)."""
    return _conditions_q((EXEMPTED, EXEMPTION_RUNS), now, prefix)


# `domain.holds_valid_completion` as conditions, either conjunction holding: completed and still valid, or
# re-opened (no completion now) with the previous one's expiry still ahead.
_VALID_COMPLETION = (
    (COMPLETED, STILL_VALID),
    (Condition((Atom("completed_at", Check.IS_NULL),)), Condition((Atom("expires_at", Check.AFTER_NOW),))),
)


def valid_completion_filter(now: dt.datetime, prefix: str = "") -> Q:
    """SQL form of `domain.holds_valid_completion` (a completion that has not run out, re-opened or not)."""
    first, *others = _VALID_COMPLETION
    either = _conditions_q(first, now, prefix)
    for conditions in others:
        either |= _conditions_q(conditions, now, prefix)
    return either


def valid_completion_sql(alias: str) -> str:
    """`valid_completion_filter` as SQL text over the assignment table aliased `alias`; each `%s` is now."""
    return "(" + " OR ".join(f"({_conditions_sql(conditions, alias)})" for conditions in _VALID_COMPLETION) + ")"


def statuses_filter(statuses: Iterable[str], now: dt.datetime) -> Q:
    """Any of these statuses (`status_filter`'s clauses joined by OR); none at all matches nothing."""
    condition = Q(pk__in=[])
    for status in statuses:
        condition |= status_filter(status, now)
    return condition


def status_case_sql(alias: str) -> str:
    """The status rule as SQL text over the assignment table aliased `alias`; each `%s` is now."""
    whens = " ".join(f"WHEN {_conditions_sql(conditions, alias)} THEN '{status}'" for status, conditions in _RULED_ROWS)
    return f"CASE {whens} ELSE '{_DEFAULT_STATUS}' END"


def status_in_sql(statuses: Iterable[str], alias: str) -> str:
    """`status IN (statuses)` as SQL text without CASE (`status_filter`'s clauses); each `%s` is now."""
    return "(" + " OR ".join(f"({_conditions_sql(status_conjunction(s), alias)})" for s in statuses) + ")"


class TimedSplit(NamedTuple):
    """A status's conditions in two parts: `lasting`, what holds or not whatever the time (SQL without
    parameters); `timed`, what compares with now (each `%s` is now); and the columns each reads."""

    lasting: str
    timed: str
    lasting_columns: tuple[str, ...]
    timed_columns: tuple[str, ...]


def status_timed_split(status: str, alias: str) -> TimedSplit:
    """`status_in_sql([status])` split by time (both parts together are the same condition): a table kept
    by triggers stores the rows that meet `lasting` with the `timed_columns`, and applies `timed` when read."""
    conditions = status_conjunction(status)
    timed = tuple(c for c in conditions if any(atom.compares_to_now for atom in c.any_of))
    lasting = tuple(c for c in conditions if c not in timed)

    def columns(conditions: tuple[Condition, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(atom.column for c in conditions for atom in c.any_of))

    return TimedSplit(
        _conditions_sql(lasting, alias) or "TRUE",
        _conditions_sql(timed, alias) or "TRUE",
        columns(lasting),
        columns(timed),
    )


def priority_rank_expression() -> Case:
    return Case(
        *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
        default=Value(UNKNOWN_PRIORITY_RANK),
        output_field=IntegerField(),
    )


def with_status(queryset: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    return queryset.annotate(status=status_expression(now or clock.now()))


# --- escalation tiers in SQL (`escalation.escalation_tier` is the rule) ------------------------------
def tenant_settings(tenant_id: int) -> dict:
    """The tenant's stored settings (one query); each reader takes what it needs and skips the malformed."""
    return Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}


def tenant_escalation_tiers(tenant_id: int) -> list[dict]:
    """The tenant's clean, sorted escalation tiers (one query)."""
    return escalation_tiers(tenant_settings(tenant_id))


def _tier_reached(after_days: int, now: dt.datetime) -> Q:
    return Q(due_at__lte=now - dt.timedelta(days=after_days))


def escalation_tier_expression(tiers: list[dict], now: dt.datetime) -> Case:
    """`escalation.escalation_tier` as the ORM's CASE: the last tier whose days have passed, for overdue items."""
    overdue = status_filter(AssignmentStatus.OVERDUE, now)
    whens = [
        When(overdue & _tier_reached(tier["after_days"], now), then=Value(index))
        for index, tier in reversed(list(enumerate(tiers, start=1)))
    ]
    if not whens:
        return Case(default=Value(NO_TIER), output_field=IntegerField())
    return Case(*whens, default=Value(NO_TIER), output_field=IntegerField())


def escalation_tier_filter(tier: int, tiers: list[dict], now: dt.datetime) -> Q:
    """Items at exactly this tier, as an index-friendly WHERE (the overdue status and a due_at range)."""
    if tier == NO_TIER:
        not_overdue = ~status_filter(AssignmentStatus.OVERDUE, now)
        return not_overdue | ~_tier_reached(tiers[0]["after_days"], now) if tiers else Q()
    if not 1 <= tier <= len(tiers):
        return Q(pk__in=[])
    condition = status_filter(AssignmentStatus.OVERDUE, now) & _tier_reached(tiers[tier - 1]["after_days"], now)
    if tier < len(tiers):
        if tiers[tier]["after_days"] == tiers[tier - 1]["after_days"]:
            return Q(pk__in=[])  # passed together with the next tier, never the last one reached
        condition &= ~_tier_reached(tiers[tier]["after_days"], now)
    return condition


# --- the forecast in SQL (`forecast.assess` is the rule; a property test holds the two together) ---------
def tenant_learning_minutes_per_day(tenant_id: int) -> int:
    return forecast.learning_minutes_per_day_in(tenant_settings(tenant_id))


def _remaining_minutes_expression() -> Case:
    """`forecast.stored_remaining`: the current cycle's remaining minutes, else the whole estimate."""
    return Case(
        When(Q(forecast_cycle=F("cycle"), remaining_minutes__isnull=False), then=F("remaining_minutes")),
        default=F("estimated_minutes"),
        output_field=IntegerField(),
    )


def _due_before_nth_working_day(today: dt.date, needs: ExpressionWrapper) -> Q:
    """`due_date < forecast.nth_working_day(today, needs)`, i.e. fewer than `needs` working days left."""
    start = forecast.first_working_day(today)
    spare = ExpressionWrapper(needs - Value(1), output_field=IntegerField())
    weeks = ExpressionWrapper(spare / Value(forecast.WEEKDAYS), output_field=IntegerField())
    extra = ExpressionWrapper(spare - weeks * Value(forecast.WEEKDAYS), output_field=IntegerField())
    weekend = Case(
        When(GreaterThan(extra, Value(forecast.WEEKDAYS - 1 - start.weekday())), then=Value(2)),
        default=Value(0),
        output_field=IntegerField(),
    )
    offset = ExpressionWrapper(weeks * Value(7) + extra + weekend, output_field=IntegerField())
    return Q(LessThan(F("due_date"), AddDays(Value(start, output_field=DateField()), offset)))


def _local_day_ended(day: dt.date, now: dt.datetime) -> Q:
    """The person's `day` has ended by `now` (in their time zone)."""
    end = LocalDayEnd(Value(day, output_field=DateField()), F("person__timezone"))
    return Q(LessThanOrEqual(end, Value(now, output_field=DateTimeField())))


def at_risk_filter(now: dt.datetime, per_day: int) -> Q:
    """`forecast.assess(...).at_risk` as a WHERE clause, set-based: the open required statuses, then either
    a stored trend whose projected finish is after the due date, or (not started) a due date before the
    working day the remaining minutes need. The person's today is one of three dates around UTC's; which
    one is decided in SQL from their time zone (`LocalDayEnd`), each with its threshold computed here."""
    open_required = statuses_filter(forecast.FORECAST_STATUSES, now) & Q(visibility="required", due_date__isnull=False)
    started = Q(
        forecast_cycle=F("cycle"), trend_pace__isnull=False, projected_finish__isnull=False, progress_at__isnull=False
    )
    stalled_since = now - dt.timedelta(days=forecast.STALLED_AFTER_DAYS)
    late_trend = started & (Q(projected_finish__gt=F("due_date")) | Q(progress_at__lte=stalled_since))
    remaining = _remaining_minutes_expression()
    needs = ExpressionWrapper((remaining + Value(per_day - 1)) / Value(per_day), output_field=IntegerField())
    utc_today = now.astimezone(dt.UTC).date()
    yesterday, tomorrow = utc_today - dt.timedelta(days=1), utc_today + dt.timedelta(days=1)
    yesterday_ended, today_ended = _local_day_ended(yesterday, now), _local_day_ended(utc_today, now)
    too_few_days = (
        (~yesterday_ended & _due_before_nth_working_day(yesterday, needs))
        | (yesterday_ended & ~today_ended & _due_before_nth_working_day(utc_today, needs))
        | (today_ended & _due_before_nth_working_day(tomorrow, needs))
    )
    not_started = (
        Q(forecast_cycle__isnull=True)
        | ~Q(forecast_cycle=F("cycle"))
        | Q(trend_pace__isnull=True)
        | Q(projected_finish__isnull=True)
        | Q(progress_at__isnull=True)
    )
    late_start = not_started & Q(GreaterThan(remaining, Value(0))) & too_few_days
    return open_required & (late_trend | late_start)


def mark_forecast(rows: list[Assignment], per_day: int, now: dt.datetime) -> list[Assignment]:
    """The forecast of a page's few rows (status annotated, person loaded), by `forecast.assess` itself in
    Python, as `with_forecast` would annotate it: no SQL form compiled into the page's query (the list
    filters and counts use that)."""
    for row in rows:
        timezone = row.person.timezone
        risk = forecast.assess_stored(row, per_day=per_day, today=forecast.local_today(now, timezone), now=now)
        row.at_risk, row.forecast_per_day, row.forecast_timezone = risk.at_risk, per_day, timezone
    return rows


def with_forecast(queryset: QuerySet, per_day: int, now: dt.datetime) -> QuerySet:
    """Annotate `at_risk` (in SQL) and what `Assignment.risk_reason` reads to put it in words."""
    return queryset.annotate(
        at_risk=Case(
            When(at_risk_filter(now, per_day), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        forecast_per_day=Value(per_day, output_field=IntegerField()),
        forecast_timezone=F("person__timezone"),
    )


# --- the one list of assignments: its filters (the list, its CSV and the bulk actions) ------------------
SCOPES = ("direct", "subtree")


@dataclass(frozen=True)
class AssignmentQuery:
    """What `GET /api/v1/assignments` (and `POST /api/v1/assignments/actions`' `filter`) may ask for."""

    person_id: int | None = None
    statuses: Sequence[str] | None = None
    target_type: str | None = None
    target_id: int | None = None
    department: str | None = None
    site: str | None = None
    region: str | None = None
    group_id: int | None = None
    manager_id: int | None = None
    scope: str = "direct"  # with manager_id: "subtree" takes indirect reports too
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    overdue: bool | None = None
    escalation_tier: int | None = None
    compliance_flag: bool | None = None
    at_risk: bool | None = None
    source_kind: str | None = None
    rule_id: int | None = None
    assigned_by_id: int | None = None
    include_hidden: bool = True
    person_search: str = ""  # the Mandatory tasks page's search: part of the person's name or email


# Everyone below a manager, at any depth (UNION stops a cycle in bad data). SQLite and PostgreSQL alike.
SUBTREE_SQL = (
    "WITH RECURSIVE below(id) AS ("
    "SELECT p.id FROM person p WHERE p.tenant_id = %s AND p.manager_id = %s "
    "UNION SELECT p.id FROM person p JOIN below b ON p.manager_id = b.id WHERE p.tenant_id = %s"
    ") SELECT id FROM below"
)


def _source_exists(**lookups) -> Exists:
    return Exists(AssignmentSource.objects.filter(assignment_id=OuterRef("pk"), **lookups))


def assignment_query_filter(
    *,
    actor: Person,
    query: AssignmentQuery,
    now: dt.datetime,
    tiers: list[dict] | None = None,
    per_day: int | None = None,
) -> Q:
    """The WHERE of the list: what the actor may see, narrowed by each filter given. Set-based (joins,
    EXISTS and index-friendly ranges), so the list, its CSV and the bulk actions share it at any size.
    `tiers` (the tenant's escalation tiers) are needed for `escalation_tier` only, `per_day` (its
    learning minutes per day) for `at_risk` only; either is read when needed and not given."""
    q = permissions.visible_assignments_filter(actor)
    if query.person_id is not None:
        q &= Q(person_id=query.person_id)
    if query.statuses:
        q &= statuses_filter(query.statuses, now)
    if query.target_type:
        q &= Q(target_type=query.target_type)
    if query.target_id is not None:
        q &= Q(target_id=query.target_id)
    for unit in ("department", "site", "region"):
        name = getattr(query, unit)
        if name:
            q &= Q(**{f"person__{unit}__name": name})
    if query.group_id is not None:
        q &= Q(person_id__in=_group_members(actor.tenant_id, query.group_id))
    if query.manager_id is not None:
        if query.scope == "subtree":
            below = RawSQL(SUBTREE_SQL, [actor.tenant_id, query.manager_id, actor.tenant_id])  # noqa: S611 constant SQL
            q &= Q(person_id__in=below)
        else:  # as a set of people, so that SQLite too starts from the manager's reports, not from the tenant
            reports = Person.objects.filter(tenant_id=actor.tenant_id, manager_id=query.manager_id).values("id")
            q &= Q(person_id__in=reports)
    if query.due_before:
        q &= Q(due_date__lt=query.due_before)
    if query.due_after:
        q &= Q(due_date__gt=query.due_after)
    if query.overdue is True:
        q &= status_filter(AssignmentStatus.OVERDUE, now)
    elif query.overdue is False:
        q &= ~status_filter(AssignmentStatus.OVERDUE, now)
    if query.escalation_tier is not None:
        tiers = tiers if tiers is not None else tenant_escalation_tiers(actor.tenant_id)
        q &= escalation_tier_filter(query.escalation_tier, tiers, now)
    if query.compliance_flag is not None:
        q &= Q(compliance_flag=query.compliance_flag)
    if query.at_risk is not None:
        per_day = per_day if per_day is not None else tenant_learning_minutes_per_day(actor.tenant_id)
        risky = at_risk_filter(now, per_day)
        q &= risky if query.at_risk else ~risky
    if query.source_kind:
        q &= Q(_source_exists(kind=query.source_kind))
    if query.rule_id is not None:
        q &= Q(_source_exists(kind="rule", ref_id=query.rule_id))
    if query.assigned_by_id is not None:
        q &= Q(_source_exists(assigned_by_id=query.assigned_by_id))
    if not query.include_hidden:
        q &= ~Q(visibility="hidden")
    if query.person_search.strip():
        words = query.person_search.strip()
        q &= Q(person__name__icontains=words) | Q(person__email__icontains=words.lower())
    return q


def _group_members(tenant_id: int, group_id: int) -> QuerySet:
    return GroupMember.objects.filter(tenant_id=tenant_id, group_id=group_id).values("person_id")


def assignments_matching(*, actor: Person, query: AssignmentQuery, now: dt.datetime | None = None) -> QuerySet:
    """The actor's visible assignments the query matches, without annotations (for counts and bulk actions)."""
    return Assignment.objects.filter(assignment_query_filter(actor=actor, query=query, now=now or clock.now()))


def assignment_list(
    *, actor: Person, query: AssignmentQuery | None = None, forecast_in_sql: bool = True, **filters
) -> QuerySet:
    """The list: `query` (or its fields as keywords), with status and escalation tier, newest first; with the
    forecast annotated in SQL, or (`forecast_in_sql=False`, for a page of a few rows) left to `mark_forecast`."""
    query = query or AssignmentQuery(**filters)
    now = clock.now()
    settings = tenant_settings(actor.tenant_id)
    tiers, per_day = escalation_tiers(settings), forecast.learning_minutes_per_day_in(settings)
    items = Assignment.objects.filter(
        assignment_query_filter(actor=actor, query=query, now=now, tiers=tiers, per_day=per_day)
    )
    annotated = with_escalation(with_status(items, now), tiers, now)
    return (
        (with_forecast(annotated, per_day, now) if forecast_in_sql else annotated)
        .select_related("person")
        .prefetch_related("sources")
        .order_by("-assigned_at", "-id")
    )


def with_escalation(queryset: QuerySet, tiers: list[dict], now: dt.datetime) -> QuerySet:
    return queryset.annotate(escalation_tier=escalation_tier_expression(tiers, now))


def my_assignments(*, actor: Person) -> QuerySet:
    """The caller's own: overdue first, then priority, then due date (no due date last)."""
    now = clock.now()
    items = Assignment.objects.filter(tenant_id=actor.tenant_id, person_id=actor.pk, withdrawn_at__isnull=True).exclude(
        visibility="hidden"
    )
    overdue_first = Case(
        When(status_filter("overdue", now), then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    done_last = Case(When(completed_at__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField())
    settings = tenant_settings(actor.tenant_id)
    return (
        with_forecast(
            with_escalation(with_status(items, now), escalation_tiers(settings), now),
            forecast.learning_minutes_per_day_in(settings),
            now,
        )
        .annotate(overdue_rank=overdue_first, priority_rank=priority_rank_expression(), done_rank=done_last)
        .select_related("person")
        .prefetch_related("sources")
        .order_by("done_rank", "overdue_rank", "priority_rank", F("due_date").asc(nulls_last=True), "id")
    )


class SourceRow(NamedTuple):
    """An assignment source as the hot lists read it (the attributes `explain_sources` uses)."""

    pk: int
    kind: str
    label: str
    assigned_by_id: int | None
    rule_id: int | None
    due_date: dt.date | None
    due_rule: str
    note: str = ""


class AssignmentRow(NamedTuple):
    """An assignment as the hot lists read it: the API's fields, its derived status, target title and sources."""

    id: int
    person_id: int
    target_type: str
    target_id: int
    status: str
    progress: int
    priority: str
    due_date: dt.date | None
    note: str
    visibility: str
    validity_months: int | None
    recurrence_weeks: int | None
    cycle: int
    reminder_plan: list | None
    assigned_at: dt.datetime
    completed_at: dt.datetime | None
    expires_at: dt.datetime | None
    compliance_flag: bool
    due_date_manual: bool
    due_explanation: str
    estimated_minutes: int
    forecast_cycle: int | None
    remaining_minutes: int | None
    trend_pace: float | None
    projected_finish: dt.date | None
    progress_at: dt.datetime | None
    escalation_tier: int
    target_title: str
    sources: list[SourceRow]
    at_risk: bool = False
    risk_reason: str | None = None


# The status rule and `my_assignments`' order as SQL text, so the hot page skips ORM compilation (several
# milliseconds a request); the text is generated from the same rule, and tests hold the two paths to the same answers.
_STATUS_SQL = status_case_sql("a")
_OVERDUE_SQL = status_in_sql([AssignmentStatus.OVERDUE], "a")
_PRIORITY_RANK_SQL = (
    "CASE a.priority "
    + " ".join(f"WHEN '{p}' THEN {rank}" for p, rank in PRIORITY_RANK.items())
    + f" ELSE {UNKNOWN_PRIORITY_RANK} END"
)
_ROW_COLUMNS = [
    "id", "person_id", "target_type", "target_id", None, "progress", "priority", "due_date", "note", "visibility",
    "validity_months", "recurrence_weeks", "cycle", "reminder_plan", "assigned_at", "completed_at", "expires_at",
    "compliance_flag", "due_date_manual", "due_explanation", "estimated_minutes", "forecast_cycle",
    "remaining_minutes", "trend_pace", "projected_finish", "progress_at",
]  # fmt: skip
_MINE = "a.tenant_id = %s AND a.person_id = %s AND a.withdrawn_at IS NULL AND a.visibility <> 'hidden'"
_SOURCE_COLUMNS = ["id", "kind", "label", "assigned_by_id", "rule_id", "due_date", "due_rule", "note"]
_MY_COUNT = TypedQuery(f"SELECT COUNT(*) FROM assignment a WHERE {_MINE}", [IntegerField()])


def viewer_assignments_by_target(
    *, person: Person, targets: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Assignment]:
    """The person's own assignments of these catalog items, as My learning lists them (not withdrawn, not
    hidden), by (target type, target id): with status (the one rule) and, for a course, `completion_score`,
    the score of the person's latest completion of it (None when none was reported). One query for the
    items (and one for their sources), whatever their number: the catalog marks a page of items with it."""
    wanted: dict[str, set[int]] = {}
    for target_type, target_id in targets:
        wanted.setdefault(target_type, set()).add(target_id)
    if not wanted:
        return {}
    which = Q()
    for target_type, ids in wanted.items():
        which |= Q(target_type=target_type, target_id__in=sorted(ids))
    own = Assignment.objects.filter(which, tenant_id=person.tenant_id, person_id=person.pk, withdrawn_at__isnull=True)
    latest_score = (
        Completion.objects.filter(
            tenant_id=OuterRef("tenant_id"), person_id=OuterRef("person_id"), course_id=OuterRef("target_id")
        )
        .order_by("-completed_at", "-id")
        .values("score")[:1]
    )
    rows = (
        with_status(own.exclude(visibility="hidden"), clock.now())
        .annotate(
            completion_score=Case(
                When(target_type="course", then=Subquery(latest_score)), default=None, output_field=FloatField()
            )
        )
        .select_related("person")
        .prefetch_related("sources")
    )
    return {(a.target_type, a.target_id): a for a in rows}


def completion_history(*, actor: Person, person_id: int) -> QuerySet:
    """Every completion recorded for the person, newest first: each cycle's (an earlier cycle's stays after a
    retake, an expired one too), with its score and how it was recorded. Only for those who may see the
    person's assignments (`permissions.visible_assignments_filter`): the person, their manager, and those
    who see the whole tenant; anyone else gets nothing."""
    return (
        Completion.objects.filter(permissions.visible_assignments_filter(actor), person_id=person_id)
        .select_related("course", "recorded_by")
        .order_by("-completed_at", "-id")
    )


def escalation_case_sql(tier_count: int, alias: str) -> str:
    """`escalation.escalation_tier` as SQL text for `tier_count` tiers: the overdue test's `%s` are now,
    then one `%s` per tier, last first: the instant that tier's days before now (`escalation_tier_params`)."""
    overdue = status_in_sql([AssignmentStatus.OVERDUE], alias)
    whens = " ".join(f"WHEN {alias}.due_at <= %s THEN {tier}" for tier in range(tier_count, 0, -1))
    reached = f"CASE {whens} ELSE {NO_TIER} END" if tier_count else str(NO_TIER)
    return f"CASE WHEN {overdue} THEN {reached} ELSE {NO_TIER} END"


def escalation_tier_params(tiers: list[dict], now: dt.datetime) -> list:
    """The parameters of `escalation_case_sql(len(tiers), …)`, as the database takes them."""
    moments = [now, *(now - dt.timedelta(days=t["after_days"]) for t in reversed(tiers))]
    adapted = [connection.ops.adapt_datetimefield_value(m) for m in moments]
    return [adapted[0]] * _OVERDUE_SQL.count("%s") + adapted[1:]


@functools.cache
def _my_page_query(vendor: str, tier_count: int) -> TypedQuery:
    columns = ", ".join(_STATUS_SQL if c is None else f"a.{c}" for c in _ROW_COLUMNS)
    sql = (
        f"SELECT {columns}, {escalation_case_sql(tier_count, 'a')}, {target_title_sql('a')}, "
        f"{_sources_json_sql(vendor)}, COUNT(*) OVER () "
        f"FROM assignment a WHERE {_MINE} "
        "ORDER BY CASE WHEN a.completed_at IS NOT NULL THEN 1 ELSE 0 END, "
        f"CASE WHEN {_OVERDUE_SQL} THEN 0 ELSE 1 END, "
        f"{_PRIORITY_RANK_SQL}, CASE WHEN a.due_date IS NULL THEN 1 ELSE 0 END, a.due_date, a.id "
        "LIMIT %s OFFSET %s"
    )
    fields = [CharField() if c is None else Assignment._meta.get_field(c) for c in _ROW_COLUMNS]
    return TypedQuery(sql, [*fields, IntegerField(), CharField(), TextField(), IntegerField()])


def _sources_json_sql(vendor: str) -> str:
    """Each row's sources as one JSON array of arrays (`_SOURCE_COLUMNS`), so the page is one statement."""
    columns = ", ".join(f"s.{c}" for c in _SOURCE_COLUMNS)
    if vendor == "postgresql":
        aggregate = f"CAST(json_agg(json_build_array({columns})) AS text)"
    else:
        aggregate = f"json_group_array(json_array({columns}))"
    return f"(SELECT {aggregate} FROM assignment_source s WHERE s.assignment_id = a.id)"


def _source_rows(sources_json: str | None) -> list[SourceRow]:
    rows = [
        SourceRow(pk, kind, label, assigned_by_id, rule_id, dt.date.fromisoformat(due) if due else None, due_rule, note)
        for pk, kind, label, assigned_by_id, rule_id, due, due_rule, note in json.loads(sources_json or "[]")
    ]
    return sorted(rows, key=lambda s: s.pk)


def my_assignments_page(*, actor: Person, offset: int, limit: int) -> tuple[int, list[AssignmentRow]]:
    """One page of `my_assignments` and the total in one statement (count, target titles and sources included)."""
    moment = clock.now()
    now = connection.ops.adapt_datetimefield_value(moment)
    settings = tenant_settings(actor.tenant_id)
    tiers, per_day = escalation_tiers(settings), forecast.learning_minutes_per_day_in(settings)
    params = (
        [now] * _STATUS_SQL.count("%s")
        + escalation_tier_params(tiers, moment)
        + [actor.tenant_id, actor.pk]
        + [now] * _OVERDUE_SQL.count("%s")
    )
    rows = _my_page_query(connection.vendor, len(tiers)).fetch([*params, limit, offset])
    total = rows[0][-1] if rows else _MY_COUNT.fetch([actor.tenant_id, actor.pk])[0][0]
    today = forecast.local_today(moment, actor.timezone)
    page = []
    for row in rows:
        item = AssignmentRow._make([*row[:-2], _source_rows(row[-2]), False, None])
        # The page's few rows, for display: `forecast.assess` itself (the list filters use its SQL form).
        risk = forecast.assess_stored(item, per_day=per_day, today=today, now=moment)
        page.append(item._replace(at_risk=risk.at_risk, risk_reason=risk.reason))
    return total, page


def access_assignment(*, actor: Person, assignment_id: int) -> Assignment:
    now = clock.now()
    visible = Assignment.objects.filter(permissions.visible_assignments_filter(actor), pk=assignment_id)
    settings = tenant_settings(actor.tenant_id)
    assignment = (
        with_forecast(
            with_escalation(with_status(visible, now), escalation_tiers(settings), now),
            forecast.learning_minutes_per_day_in(settings),
            now,
        )
        .select_related("person")
        .prefetch_related("sources")
        .first()
    )
    if assignment is None:
        raise not_found("Assignment")
    return assignment


def own_source_exists(*, actor: Person, assignment: Assignment) -> bool:
    return AssignmentSource.objects.filter(assignment=assignment, kind="individual", ref_id=actor.pk).exists()


def explain_assignment(assignment: Assignment) -> dict:
    """Which sources hold it and where its due date came from."""
    sources = _by_due_date(assignment.sources.all())
    summary, due_from = explain_sources(
        sources,
        due_date=assignment.due_date,
        due_date_manual=assignment.due_date_manual,
        due_explanation=assignment.due_explanation,
    )
    return {
        "sources": [
            {"kind": s.kind, "label": s.label, "due_date": s.due_date, "due_rule": s.due_rule, "since": s.created_at}
            for s in sources
        ],
        "due_date": assignment.due_date,
        "due_date_from": due_from,
        "summary": summary,
    }


def explain_sources(sources, *, due_date: dt.date | None, due_date_manual: bool, due_explanation: str) -> tuple:
    """(summary, where the due date came from) from the sources (models or `SourceRow`s) and due-date facts."""
    sources = _by_due_date(sources)
    if due_date_manual:
        due_from = due_explanation or gettext("set by hand")
    elif due_date is None:
        due_from = gettext("no source sets a due date")
    else:
        winner = next((s for s in sources if s.due_date == due_date), None)
        due_from = f"{winner.label}: {winner.due_rule}" if winner else gettext("earliest source")
    if sources:
        summary = gettext("Source: %(sources)s") % {"sources": "; ".join(s.label for s in sources)}
    else:
        summary = gettext("No remaining source")
    return summary, due_from


def _by_due_date(sources) -> list:
    return sorted(sources, key=lambda s: (s.due_date is None, s.due_date or dt.date.max, s.pk))


def rule_list(*, actor: Person) -> QuerySet:
    return AssignmentRule.objects.filter(tenant_id=actor.tenant_id).prefetch_related("items").order_by("name", "id")


def access_rule(*, actor: Person, rule_id: int) -> AssignmentRule:
    rule = AssignmentRule.objects.filter(tenant_id=actor.tenant_id, pk=rule_id).prefetch_related("items").first()
    if rule is None:
        raise not_found("Rule")
    if not permissions.can_view_rules(actor):
        # Learners see a rule's id and name among their assignment's sources, so it is no secret that it exists.
        raise forbidden("see assignment rules")
    return rule


# --- training configurations (assignment rules) --------------------------------------------------
# What a configuration's audience names, by the kind the pages filter on: the audience's key for it.
AUDIENCE_KEYS = {
    "group": "group_ids",
    "department": "departments",
    "site": "sites",
    "region": "regions",
    "people": "person_ids",
    "everyone": "everyone",
    "new_starters": "new_starters",
}
AUDIENCE_KIND_LABELS = {
    "group": gettext_lazy("Groups"),
    "department": gettext_lazy("Departments"),
    "site": gettext_lazy("Sites"),
    "region": gettext_lazy("Regions"),
    "people": gettext_lazy("People"),
    "everyone": gettext_lazy("Everyone"),
    "new_starters": gettext_lazy("New starters"),
}


class AudienceRef(NamedTuple):
    """A group, department, site or region whose Training tab is shown: what a rule's audience stores for it
    (a group's id, an org unit's name) and how the page names it."""

    kind: str
    object_id: int
    value: int | str
    name: str


def audience_ref(*, actor: Person, kind: str, object_id: int) -> AudienceRef:
    """The group or org unit behind a Training tab; NotFound as on its own page (another tenant's, an unknown
    kind, or for those who may not see groups and org units)."""
    from duecourse.groups import org_units
    from duecourse.groups import selectors as group_selectors

    if kind == "group":
        group = group_selectors.access_group(actor=actor, group_id=object_id)
        return AudienceRef(kind, group.pk, group.pk, group.name)
    if kind not in org_units.KINDS:
        raise not_found("Page")
    unit = group_selectors.access_org_unit(actor=actor, kind=kind, org_unit_id=object_id)
    return AudienceRef(kind, unit.pk, unit.name, unit.name)


def training_configurations(
    *, actor: Person, q: str = "", audience_kind: str = "", state: str = ""
) -> list[AssignmentRule]:
    """The live (not deleted) rules, by name; `audience_kind` (an AUDIENCE_KEYS key) keeps those whose
    audience names such a part, `state` is active or paused."""
    if not permissions.can_view_rules(actor):
        raise forbidden("see training configurations")
    rules = AssignmentRule.objects.filter(LIVE_RULE, tenant_id=actor.tenant_id).prefetch_related("items")
    if q:
        rules = rules.filter(name__icontains=q)
    if state in ("active", "paused"):
        rules = rules.filter(active=state == "active")
    found = list(rules.order_by("name", "id"))
    key = AUDIENCE_KEYS.get(audience_kind)
    # Audiences are JSON; a tenant has tens of rules, not thousands: filtered here, alike on every database.
    return [r for r in found if r.audience.get(key)] if key else found


def rules_for_audience(*, actor: Person, ref: AudienceRef) -> list[AssignmentRule]:
    """The live rules whose audience names this group (by id) or org unit (by name)."""
    key = AUDIENCE_KEYS[ref.kind]
    return [r for r in training_configurations(actor=actor) if ref.value in (r.audience.get(key) or [])]


def _rule_open_sources(tenant_id: int, rule_ids: Iterable[int]) -> QuerySet:
    return AssignmentSource.objects.filter(
        tenant_id=tenant_id, kind="rule", ref_id__in=list(rule_ids), assignment__withdrawn_at__isnull=True
    )


def rule_holder_counts(*, tenant_id: int, rule_ids: Iterable[int]) -> dict[int, int]:
    """How many people each rule holds an open assignment for."""
    rows = (
        _rule_open_sources(tenant_id, rule_ids)
        .values("ref_id")
        .annotate(people=Count("assignment__person_id", distinct=True))
        .values_list("ref_id", "people")
    )
    return dict(rows)


def rule_assignments(*, rule: AssignmentRule) -> QuerySet:
    """The open assignments the rule holds (with their status)."""
    held = _rule_open_sources(rule.tenant_id, [rule.pk]).values("assignment_id")
    return with_status(Assignment.objects.filter(tenant_id=rule.tenant_id, pk__in=held))


def rule_status_counts(*, rule: AssignmentRule) -> dict[str, int]:
    """The rule's open assignments counted by status."""
    rows = rule_assignments(rule=rule).order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
    return dict(rows)


def rule_holders(*, rule: AssignmentRule) -> QuerySet[Person]:
    """The people the rule holds an open assignment for, by name."""
    held = _rule_open_sources(rule.tenant_id, [rule.pk]).values("assignment__person_id")
    return Person.objects.filter(tenant_id=rule.tenant_id, pk__in=held).order_by("name", "id")
