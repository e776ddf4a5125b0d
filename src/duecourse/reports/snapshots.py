"""True compliance history: a daily snapshot per tenant, and the weekly trend read from the snapshots.

The worker writes each tenant's snapshot once a day, at its first tick of the tenant's day
(`compliance_snapshots_take`): the live figures (`selectors.compliance_rows`) of every dimension,
one INSERT … SELECT per dimension, all in one transaction. A tenant's day is a calendar day in
`tenant.settings["timezone"]` (an IANA name; UTC when unset or unknown). The trend answers from the
rows as written, so it shows what was, not today's data recomputed.
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import CharField, DateField, IntegerField, Model, QuerySet, Value

from duecourse.core import clock
from duecourse.core.errors import forbidden
from duecourse.core.models import Tenant
from duecourse.core.sql import insert_select_ignore_conflicts
from duecourse.core.timezones import organisation_timezone_in, zone_of
from duecourse.people.models import Person
from duecourse.reports import permissions
from duecourse.reports.models import ComplianceSnapshot, ComplianceSnapshotDay
from duecourse.reports.selectors import DIMENSIONS, NAMED_AFTER, compliance_rate, compliance_rows

MAX_TREND_WEEKS = 104
_COLUMNS = ["tenant_id", "day", "dimension", "key_id", "key", "required_due", "completed", "exempt"]
_SELECTED = [
    "snapshot_tenant",
    "snapshot_day",
    "snapshot_dimension",
    "key_id",
    "key",
    "required_due",
    "completed",
    "exempt",
]
_ALIASES = list(zip(_COLUMNS, _SELECTED, strict=True))


def tenant_today(settings: dict | None, now: dt.datetime) -> dt.date:
    """The tenant's calendar day at `now`: in `settings["timezone"]`, UTC when unset or unknown."""
    return now.astimezone(zone_of(organisation_timezone_in(settings))).date()


def _claim_day(tenant_id: int, day: dt.date, now: dt.datetime) -> bool:
    """Insert the day's marker unless it exists. On PostgreSQL a second worker's insert waits for the first
    one's transaction: it then finds the day written (or, if that one rolled back, claims it)."""
    table = connection.ops.quote_name(ComplianceSnapshotDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, day, taken_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [tenant_id, connection.ops.adapt_datefield_value(day), connection.ops.adapt_datetimefield_value(now)],
        )
        return cursor.rowcount == 1


def _insert_named(rows: QuerySet, model: type[Model], name: str) -> int:
    """The INSERT … SELECT of course or rule rows, each key (the id as text) replaced by the course's title
    or the rule's name, looked up after the GROUP BY (`selectors.NAMED_AFTER`)."""
    sql, params = rows.order_by().query.sql_with_params()
    table = connection.ops.quote_name(ComplianceSnapshot._meta.db_table)
    title = f"COALESCE(c.{name}, r.{connection.ops.quote_name('key')})"
    picked = [title if column == "key" else f"r.{connection.ops.quote_name(alias)}" for column, alias in _ALIASES]
    names = connection.ops.quote_name(model._meta.db_table)
    statement = (
        f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in _COLUMNS)}) "
        f"SELECT {', '.join(picked)} FROM ({sql}) r LEFT JOIN {names} c ON c.id = r.key_id "
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rowcount: int = cursor.rowcount
        return rowcount


def compliance_snapshot_write(tenant_id: int, day: dt.date, now: dt.datetime, *, replace: bool = False) -> int:
    """Record the tenant's compliance figures as they are at `now` under `day` (every dimension).

    Idempotent: a day already written is left as it is (returns 0) unless `replace`, which deletes that
    day's rows first, in the same transaction. One transaction: a crash writes nothing, and the next
    run writes the day. It records the figures of `now`, not those of `day`: writing a past day (the
    demo's back-fill, an operator's `snapshot-compliance --day`) files today's figures under that day.
    Returns the rows written."""
    written = 0
    with transaction.atomic():
        if replace:
            ComplianceSnapshot.objects.filter(tenant_id=tenant_id, day=day).delete()
            ComplianceSnapshotDay.objects.filter(tenant_id=tenant_id, day=day).delete()
        if not _claim_day(tenant_id, day, now):
            return 0
        for dimension in DIMENSIONS:
            rows = (
                compliance_rows(tenant_id=tenant_id, by=dimension, now=now)
                .annotate(
                    snapshot_tenant=Value(tenant_id, output_field=IntegerField()),
                    snapshot_day=Value(day, output_field=DateField()),
                    snapshot_dimension=Value(dimension, output_field=CharField()),
                )
                .values_list(*_SELECTED)
            )
            if dimension in NAMED_AFTER:
                written += _insert_named(rows, *NAMED_AFTER[dimension])
            else:
                written += insert_select_ignore_conflicts(ComplianceSnapshot._meta.db_table, _COLUMNS, rows)
    return written


def compliance_snapshots_take(*, now: dt.datetime) -> int:
    """The worker's daily job: write today's snapshot of each tenant that has none yet (its own day, in
    its time zone). Two queries when every tenant is done; returns the rows written."""
    since = (now - dt.timedelta(days=2)).date()  # every zone's today is within a day of UTC's
    done = set(ComplianceSnapshotDay.objects.filter(day__gte=since).values_list("tenant_id", "day"))
    written = 0
    for tenant_id, settings in Tenant.objects.order_by("pk").values_list("pk", "settings"):
        day = tenant_today(settings, now)
        if (tenant_id, day) not in done:
            written += compliance_snapshot_write(tenant_id, day, now)
    return written


def week_of(day: dt.date) -> dt.date:
    """The Monday of the ISO week `day` is in."""
    return day - dt.timedelta(days=day.weekday())


def compliance_trend(*, actor: Person, by: str, weeks: int) -> list[dict]:
    """Per week (its Monday) and key, the figures of that week's last snapshot, over the last `weeks` weeks
    of the tenant's calendar (this one included). Three queries."""
    if not permissions.can_view_tenant_reports(actor):
        raise forbidden("see compliance reports")
    settings = Tenant.objects.filter(pk=actor.tenant_id).values_list("settings", flat=True).first()
    today = tenant_today(settings, clock.now())
    first = week_of(today) - dt.timedelta(weeks=weeks - 1)
    last_of_week: dict[dt.date, dt.date] = {}
    for day in ComplianceSnapshotDay.objects.filter(
        tenant_id=actor.tenant_id, day__gte=first, day__lte=today
    ).values_list("day", flat=True):
        monday = week_of(day)
        last_of_week[monday] = max(day, last_of_week.get(monday, day))
    rows = ComplianceSnapshot.objects.filter(
        tenant_id=actor.tenant_id, dimension=by, day__in=list(last_of_week.values())
    ).values_list("day", "key_id", "key", "required_due", "completed", "exempt")
    items = [
        {
            "week": week_of(day),
            "key": key,
            "key_id": key_id or None,
            "required_due": required_due,
            "completed": completed,
            "exempt": exempt,
            "rate": compliance_rate(completed, required_due),
        }
        for day, key_id, key, required_due, completed, exempt in rows
    ]
    return sorted(items, key=lambda i: (i["week"], i["key"], i["key_id"] or 0))
