"""Reports as set-based aggregate queries: one GROUP BY each, never a loop over assignments."""

import datetime as dt
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    Model,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from duecourse.assignments import forecast
from duecourse.assignments import selectors as assignment_selectors
from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.assignments.selectors import (
    status_case_sql,
    status_filter,
    status_in_sql,
    statuses_filter,
    tenant_learning_minutes_per_day,
    valid_completion_filter,
)
from duecourse.assignments.status import UNFINISHED_STATUSES, AssignmentStatus
from duecourse.catalog.models import Course
from duecourse.core import clock
from duecourse.core.errors import ValidationFailed, forbidden, not_found
from duecourse.core.sql import TypedQuery
from duecourse.people.models import Person
from duecourse.reports import permissions, tally

# What compliance counts as required by now: past its due date, or completed (valid or not).
DUE_OR_DONE = (AssignmentStatus.OVERDUE, AssignmentStatus.COMPLETED, AssignmentStatus.EXPIRED)
# The person's org unit columns; "course", "group" and "rule" are keyed in `compliance_rows`.
COMPLIANCE_DIMENSIONS = {"department": "department", "site": "site", "region": "region"}
DIMENSIONS = ("department", "site", "region", "course", "group", "rule")
NO_KEY = "(none)"


# Counts per active report in one statement; each count's condition is generated from the status rule
# (`assignments.status`), the `%s` in them being now. Hidden items are left out of every count; an
# exempt one is neither active nor overdue.
_TEAM_COUNTS = [
    status_in_sql(UNFINISHED_STATUSES, "a"),
    status_in_sql([AssignmentStatus.COMPLETED], "a"),
    status_in_sql([AssignmentStatus.OVERDUE], "a"),
]


SCOPES = assignment_selectors.SCOPES  # "direct" reports, or the whole "subtree" (indirect reports too)
_PEOPLE_SQL = {
    "direct": "p.manager_id = %s",
    # Everyone below the manager at any depth: the list of assignments' own definition, not a second one.
    "subtree": f"p.id IN ({assignment_selectors.SUBTREE_SQL})",
}


def _people_params(scope: str, tenant_id: int, manager_id: int) -> list[int]:
    """The parameters of `_PEOPLE_SQL[scope]`, after the query's own tenant id."""
    return [manager_id] if scope == "direct" else [tenant_id, manager_id, tenant_id]


def team_status_query(conditions: list[str], scope: str = "direct", with_manager: bool = False) -> TypedQuery:
    """One row per active report (direct, or at any depth with scope "subtree") with one count per condition
    over their assignments; `with_manager` adds the report's own manager (id, name) after the name.

    A report with no assignment still gets a row (the LEFT JOIN), but that row's NULL columns are no
    assignment: each count asks `a.id IS NOT NULL` first, so nothing is counted for them whatever a
    condition says about NULLs (counting the empty row showed "1 open" for a report with none)."""
    counts = ", ".join(f"COUNT(CASE WHEN a.id IS NOT NULL AND ({condition}) THEN 1 END)" for condition in conditions)
    manager = ", p.manager_id, m.name" if with_manager else ""
    join = " LEFT JOIN person m ON m.id = p.manager_id" if with_manager else ""
    return TypedQuery(
        f"SELECT p.id, p.name{manager}, {counts}"
        + f"""
FROM person p{join} LEFT JOIN assignment a ON a.person_id = p.id AND a.visibility <> 'hidden'
WHERE p.tenant_id = %s AND {_PEOPLE_SQL[scope]} AND p.active
GROUP BY p.id, p.name{manager}
ORDER BY p.name, p.id
""",
        [IntegerField(), CharField(), *([IntegerField(), CharField()] if with_manager else [])]
        + [IntegerField()] * len(conditions),
    )


# The page's trend: how many required items were overdue at the end of each of the last TREND_WEEKS weeks
# (rolling weeks ending now), from the assignment's own dates: due by that instant, assigned by then, and
# not yet completed, withdrawn or exempt at it. Each `%s` is the week's end.
TREND_WEEKS = 8
_OVERDUE_AT = (
    "a.visibility = 'required' AND a.due_at <= %s AND a.assigned_at <= %s"
    " AND (a.completed_at IS NULL OR a.completed_at > %s) AND (a.withdrawn_at IS NULL OR a.withdrawn_at > %s)"
    " AND NOT (a.exempt_at IS NOT NULL AND a.exempt_at <= %s AND (a.exempt_ends_at IS NULL OR a.exempt_ends_at > %s))"
)
_TREND_PARAMS = _OVERDUE_AT.count("%s")


def trend_week_ends(now: dt.datetime) -> list[dt.datetime]:
    """The ends of the last TREND_WEEKS rolling weeks, oldest first; the last is now."""
    return [now - dt.timedelta(weeks=TREND_WEEKS - 1 - k) for k in range(TREND_WEEKS)]


_TEAM_QUERIES = {
    (scope, page): team_status_query(
        _TEAM_COUNTS + ([_OVERDUE_AT] * TREND_WEEKS if page else []), scope=scope, with_manager=page
    )
    for scope in SCOPES
    for page in (False, True)
}
_TEAM_NOW_PARAMS = sum(condition.count("%s") for condition in _TEAM_COUNTS)


def trend_word(counts: list[int]) -> str:
    """The trend of overdue counts in one word, now against four weeks before: "improving" (fewer overdue),
    "slipping" (more), "steady" (as many, some), "clear" (none then and none now)."""
    before, now = counts[-5], counts[-1]
    if now < before:
        return "improving"
    if now > before:
        return "slipping"
    return "steady" if now else "clear"


def team_status(*, actor: Person, manager_id: int | None, scope: str = "direct") -> list[dict]:
    return team_status_and_risk(actor=actor, manager_id=manager_id, scope=scope)[0]


def team_status_and_risk(
    *, actor: Person, manager_id: int | None, scope: str = "direct", page: bool = False
) -> tuple[list[dict], dict[int, list[int]]]:
    """`team_status`, and the at-risk assignments behind its counts ({report: their ids}) for a page that
    lists them too. Scope "subtree" takes the manager's indirect reports too. `page` adds to each row its
    `manager_id`, `manager_name`, `trend` (overdue items at each of the last TREND_WEEKS week ends) and
    `trend_word`, from the same statement."""
    if scope not in SCOPES:
        raise ValidationFailed.on("scope", f"must be one of {', '.join(SCOPES)}")
    manager_id = manager_id or actor.pk
    own_team = manager_id == actor.pk
    if not own_team and not Person.objects.filter(tenant_id=actor.tenant_id, pk=manager_id).exists():
        raise not_found("Manager")
    if not own_team and not permissions.can_view_team(actor, manager_id):
        raise forbidden("see this team")
    moment = clock.now()
    now = connection.ops.adapt_datetimefield_value(moment)
    ends = [connection.ops.adapt_datetimefield_value(end) for end in trend_week_ends(moment)] if page else []
    rows = _TEAM_QUERIES[scope, page].fetch(
        [
            *[now] * _TEAM_NOW_PARAMS,
            *[end for end in ends for _ in range(_TREND_PARAMS)],
            actor.tenant_id,
            *_people_params(scope, actor.tenant_id, manager_id),
        ]
    )
    # A manager is someone with active reports: no rows means no team to see (permissions.can_view_team).
    if own_team and not rows and not permissions.can_view_tenant_reports(actor):
        raise forbidden("see this team")
    at_risk = team_at_risk(tenant_id=actor.tenant_id, manager_id=manager_id, now=moment, scope=scope) if rows else {}
    items = []
    for row in rows:
        extra: dict = {}
        counts = row[2:5]
        if page:
            trend = list(row[7:])
            extra = {"manager_id": row[2], "manager_name": row[3], "trend": trend, "trend_word": trend_word(trend)}
            counts = row[4:7]
        pk, name = row[0], row[1]
        active, completed, overdue = counts
        items.append(
            {
                "person_id": pk,
                "name": name,
                "active": active,
                "completed": completed,
                "overdue": overdue,
                "at_risk": len(at_risk.get(pk, ())),
                **extra,
            }
        )
    return items, at_risk


class _ForecastRow(NamedTuple):
    """What `forecast.assess_stored` reads of an assignment, and its person."""

    id: int
    person_id: int
    status: str
    visibility: str
    due_date: dt.date | None
    cycle: int
    forecast_cycle: int | None
    estimated_minutes: int
    remaining_minutes: int | None
    progress: int
    trend_pace: float | None
    projected_finish: dt.date | None
    progress_at: dt.datetime | None
    timezone: str


# The open required items of a manager's active direct reports with what the forecast reads: a team's few
# hundred rows are assessed by the rule itself in Python (`forecast.assess_stored`), a prepared statement
# instead of compiling the rule's SQL form into a query on every page.
_TEAM_FORECAST = {
    scope: TypedQuery(
        f"""SELECT a.id, a.person_id, {status_case_sql("a")}, a.visibility, a.due_date, a.cycle, a.forecast_cycle,
       a.estimated_minutes, a.remaining_minutes, a.progress, a.trend_pace, a.projected_finish, a.progress_at,
       p.timezone
FROM person p JOIN assignment a ON a.person_id = p.id
WHERE p.tenant_id = %s AND {_PEOPLE_SQL[scope]} AND p.active AND a.visibility = 'required' AND a.due_date IS NOT NULL
  AND {status_in_sql(forecast.FORECAST_STATUSES, "a")}""",
        [
            IntegerField(),
            IntegerField(),
            CharField(),
            CharField(),
            DateField(),
            IntegerField(),
            IntegerField(),
            IntegerField(),
            IntegerField(),
            IntegerField(),
            FloatField(),
            DateField(),
            DateTimeField(),
            CharField(),
        ],
    )
    for scope in SCOPES
}
_TEAM_FORECAST_CASE_PARAMS = status_case_sql("a").count("%s")
_TEAM_FORECAST_WHERE_PARAMS = status_in_sql(forecast.FORECAST_STATUSES, "a").count("%s")


def team_at_risk(*, tenant_id: int, manager_id: int, now: dt.datetime, scope: str = "direct") -> dict[int, list[int]]:
    """{active report (direct, or at any depth with scope "subtree"): their assignments at risk}
    (`forecast.assess_stored`); reports without any are absent."""
    per_day = tenant_learning_minutes_per_day(tenant_id)
    moment = connection.ops.adapt_datetimefield_value(now)
    rows = _TEAM_FORECAST[scope].fetch(
        [
            *[moment] * _TEAM_FORECAST_CASE_PARAMS,
            tenant_id,
            *_people_params(scope, tenant_id, manager_id),
            *[moment] * _TEAM_FORECAST_WHERE_PARAMS,
        ]
    )
    at_risk: dict[int, list[int]] = {}
    for values in rows:
        row = _ForecastRow(*values)
        today = forecast.local_today(now, row.timezone)
        if forecast.assess_stored(row, per_day=per_day, today=today, now=now).at_risk:
            at_risk.setdefault(row.person_id, []).append(row.id)
    return at_risk


def compliance_rows(*, tenant_id: int, by: str, now: dt.datetime) -> QuerySet:
    """One row per key of dimension `by`: (key_id, key, required_due, completed, exempt), one GROUP BY.

    The live report and the daily snapshot (`snapshots.compliance_snapshot_write`, one INSERT … SELECT over
    this very query) count the same way. `key_id` is the department, site, region, group, rule or course id
    (0 for "(none)": people without a department, site or region); `key` its name then."""
    completed = valid_completion_filter(now)
    exempt = status_filter(AssignmentStatus.EXEMPT, now) & ~completed
    due_or_done = statuses_filter(DUE_OR_DONE, now) | completed
    required = Assignment.objects.filter(tenant_id=tenant_id, visibility="required", withdrawn_at__isnull=True)
    if by == "course":
        # The key is the course id as text here: its title is looked up after the GROUP BY (`NAMED_AFTER`;
        # a title subquery in it ran once per assignment), by `compliance` and by the snapshot's INSERT.
        keyed = required.filter(target_type="course").annotate(
            key_id=F("target_id"), key=Cast("target_id", CharField())
        )
    elif by == "group":
        # A person in two groups counts in both; people in no group are in no row.
        keyed = required.filter(person__group_memberships__isnull=False).annotate(
            key_id=F("person__group_memberships__group_id"), key=F("person__group_memberships__group__name")
        )
    elif by == "rule":
        # The assignments a rule holds (its `assignment_source`); one held by two rules counts in both.
        # The key is the rule id as text, named after the GROUP BY as for courses.
        keyed = required.filter(sources__kind="rule", sources__rule_id__isnull=False).annotate(
            key_id=F("sources__rule_id"), key=Cast("sources__rule_id", CharField())
        )
    else:
        column = COMPLIANCE_DIMENSIONS[by]
        keyed = required.annotate(
            key_id=Coalesce(F(f"person__{column}_id"), Value(0)),
            key=Coalesce(F(f"person__{column}__name"), Value(NO_KEY)),
        )
    return (
        keyed.order_by()
        .values("key_id", "key")
        .annotate(
            required_due=Count("id", filter=due_or_done),
            completed=Count("id", filter=completed),
            exempt=Count("id", filter=exempt),
        )
        .values_list("key_id", "key", "required_due", "completed", "exempt")
    )


# The dimensions whose rows are keyed by id in `compliance_rows` and named afterwards: (model, name field).
NAMED_AFTER: dict[str, tuple[type[Model], str]] = {"course": (Course, "title"), "rule": (AssignmentRule, "name")}


def named_after(*, tenant_id: int, by: str, ids: list[int]) -> dict[int, str]:
    """The names of the courses or rules behind `ids` (one query)."""
    model, field = NAMED_AFTER[by]
    return dict(model._default_manager.filter(tenant_id=tenant_id, pk__in=ids).values_list("pk", field))


def compliance_rate(completed: int, required_due: int) -> float | None:
    """The contract's rate: completed ÷ required and due-or-done, 4 decimals; None when nothing counts yet."""
    return round(completed / required_due, 4) if required_due else None


def compliance(*, actor: Person, by: str) -> list[dict]:
    """rate = completed ÷ required assignments whose due date has passed or which are completed.

    Completed means holding a valid completion (`domain.holds_valid_completion`): an assignment re-opened
    for recertification counts as completed until the previous completion expires, so the window changes
    no figure. Exempt ones are outside it (counted apart as `exempt`); optional and hidden ones are not
    required. Department, site, region and course come from the maintained tally on PostgreSQL
    (`reports.tally`, equal to the live count), group and rule from one live GROUP BY."""
    if not permissions.can_view_tenant_reports(actor):
        raise forbidden("see compliance reports")
    now = clock.now()
    rows: list[tuple[int, str, int, int, int]]
    if by in tally.TALLIED and tally.in_use(now):
        # The maintained tally (PostgreSQL): the same figures from a few hundred rows.
        rows = [
            (key_id, key if key is not None else (str(key_id) if by == "course" else NO_KEY), due, done, exempt)
            for key_id, key, due, done, exempt in tally.tally_rows(tenant_id=actor.tenant_id, by=by, now=now)
        ]
    else:
        rows = list(compliance_rows(tenant_id=actor.tenant_id, by=by, now=now))
        if by in NAMED_AFTER:
            names = named_after(tenant_id=actor.tenant_id, by=by, ids=[row[0] for row in rows])
            rows = [(key_id, names.get(key_id, key), due, done, exempt) for key_id, key, due, done, exempt in rows]
    items = [
        {
            "key": key,
            "key_id": key_id or None,
            "required_due": required_due,
            "completed": completed,
            "exempt": exempt,
            "rate": compliance_rate(completed, required_due),
        }
        for key_id, key, required_due, completed, exempt in rows
    ]
    if by == "course":
        for item in items:
            item["target_id"] = item["key_id"]
    return sorted(items, key=lambda i: (str(i["key"]), i["key_id"] or 0))
