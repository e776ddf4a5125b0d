"""Set-based SQL helpers: the ORM builds the SELECT, we wrap it in one INSERT; portable date functions."""

import datetime as dt
import functools
import json
from typing import Any, overload

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import CharField, DateField, DateTimeField, Expression, Field, Func, QuerySet, Value
from django.db.models.functions import Cast
from django.dispatch import receiver

from duecourse.core.timezones import local_day_end


@overload
def insert_select_ignore_conflicts(
    table: str, columns: list[str], select: QuerySet[Any, Any], *, returning: None = None
) -> int: ...
@overload
def insert_select_ignore_conflicts(
    table: str, columns: list[str], select: QuerySet[Any, Any], *, returning: str
) -> list[Any]: ...
def insert_select_ignore_conflicts(
    table: str, columns: list[str], select: QuerySet[Any, Any], *, returning: str | None = None
) -> int | list[Any]:
    """INSERT INTO table (columns) SELECT … ON CONFLICT DO NOTHING.

    `select` must be a `.values_list(...)` queryset with a WHERE clause (SQLite needs one to parse ON
    CONFLICT after a SELECT) whose columns match `columns` in order. Returns the number of rows inserted,
    or with `returning` the list of that column's values for the inserted rows.
    """
    sql, params = select.order_by().query.sql_with_params()
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    statement = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) {sql} ON CONFLICT DO NOTHING"
    if returning:
        statement += f" RETURNING {connection.ops.quote_name(returning)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if returning:
            return [row[0] for row in cursor.fetchall()]
        rowcount: int = cursor.rowcount
        return rowcount


class LocalDayEnd(Func):
    """The UTC instant at which a date ends in a time zone: LocalDayEnd(date_expr, tz_expr)."""

    output_field = DateTimeField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        (day_sql, day_params), (tz_sql, tz_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"(CAST(({day_sql}) + 1 AS timestamp) AT TIME ZONE ({tz_sql}))", (*day_params, *tz_params)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="dc_local_day_end", **extra)


class AddDays(Func):
    """date_expr + N days, as a date, on PostgreSQL and SQLite."""

    output_field = DateField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        (day_sql, day_params), (n_sql, n_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"(({day_sql}) + CAST({n_sql} AS integer))", (*day_params, *n_params)

    def as_sqlite(self, compiler, connection, **extra):
        (day_sql, day_params), (n_sql, n_params) = (compiler.compile(e) for e in self.source_expressions)
        # "N days" with N signed or not; no `%` in the text (the debug cursor formats the SQL with `%`).
        return f"date({day_sql}, CAST({n_sql} AS integer) || ' days')", (*day_params, *n_params)


def _sqlite_local_day_end(day: str | None, timezone_name: str | None) -> str | None:
    if not day:
        return None
    return local_day_end(dt.date.fromisoformat(day[:10]), timezone_name).strftime("%Y-%m-%d %H:%M:%S")


def typed_value(value: object, field: "Field[Any, Any]") -> Expression:
    """A constant for a SELECT list with its SQL type, NULL included (PostgreSQL needs the type)."""
    if value is None:
        return Cast(Value(None), output_field=field)
    return Value(value, output_field=field)


class TypedQuery:
    """A hand-written SELECT whose rows come back converted as the ORM converts `fields` (one per column).

    For hot reads whose ORM compilation costs more than the query: the values are the ones a queryset
    would give (aware datetimes, dates, booleans, decoded JSON) on PostgreSQL and SQLite alike. On
    PostgreSQL with the connection pool (see settings) the statement is prepared, so it is planned once
    per connection rather than on every request (planning these small joins costs more than running them).
    """

    def __init__(self, sql: str, fields: list):
        self.sql = sql
        self.fields = list(fields)
        self._converters: dict[str, list[tuple]] = {}

    def fetch(self, params: list) -> list[list]:
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = self._converters[connection.vendor] = _column_converters(self.fields)
        with _prepared_cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            for index, functions, expression in converters:
                value = row[index]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[index] = value
        return rows


def _prepared_cursor():
    """A cursor whose statements PostgreSQL prepares (Django's own cursors bind on the client, which
    cannot prepare); Django's wrapper around it keeps query logging and execute wrappers working."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = _preparing_cursor_class()(connection.connection)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            # django-stubs declare ServerBindingCursor without its psycopg base class, which has execute.
            return super().execute(query, params, prepare=True, binary=binary)  # type: ignore[misc]

    return PreparingCursor


def _column_converters(fields: list) -> list[tuple]:
    found = []
    for index, field in enumerate(fields):
        expression = Value(None, output_field=field)
        functions = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if functions:
            found.append((index, functions, expression))
    return found


def skip_locked(queryset):
    """Rows another worker holds are skipped (PostgreSQL); SQLite has one writer and needs no row locks."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


@receiver(connection_created, dispatch_uid="duecourse.sqlite_functions")
def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("dc_local_day_end", 2, _sqlite_local_day_end, deterministic=True)


def _param_limit() -> int:
    # SQLite allows 32,766 bound variables per statement.
    return 30_000


def _db_type(field) -> str:
    return field.cast_db_type(connection) if hasattr(field, "cast_db_type") else field.db_type(connection)


def _chunks(rows: list, width: int):
    size = max(1, _param_limit() // max(1, width)) if connection.vendor != "postgresql" else 50_000
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _json_cell(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _rows_source(fields: list, chunk: list[tuple]) -> tuple[str, list]:
    """A row source for `chunk` with columns c0, c1, …

    On PostgreSQL one JSON parameter read by `json_to_recordset` (the statement stays tiny and JSON
    is encoded in C, far cheaper than one bound parameter per cell); a `VALUES (…), (…)` list elsewhere.
    """
    if connection.vendor == "postgresql":
        names = [f"c{i}" for i in range(len(fields))]
        payload = json.dumps([dict(zip(names, map(_json_cell, row), strict=True)) for row in chunk])
        typed = ", ".join(f"{n} {_db_type(f)}" for n, f in zip(names, fields, strict=True))
        return f"SELECT {', '.join(names)} FROM json_to_recordset(%s::json) AS src({typed})", [payload]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        f.get_db_prep_save(v, connection) if v is not None else None
        for row in chunk
        for f, v in zip(fields, row, strict=True)
    ]
    return "VALUES " + ", ".join([row_sql] * len(chunk)), params


def reserve_ids(model, count: int) -> list[int] | None:
    """On PostgreSQL, `count` fresh primary keys from the table's sequence (so rows that point at each
    other can be inserted in one pass); None where that is not possible."""
    if connection.vendor != "postgresql" or count == 0:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """PostgreSQL binary `COPY … FROM STDIN` of `rows` into `fields` (every column the rows need, keys included).

    The cheapest way in for 100,000 rows: no SQL or text to parse per row on the server, no JSON to
    build. Each value must be of its column's Python type (int, str, bool, date, aware datetime).
    Database errors surface as Django's (`IntegrityError` …), as from `execute`.
    """
    quote = connection.ops.quote_name
    model_fields = [model._meta.get_field(f) for f in fields]
    columns = ", ".join(quote(f.column) for f in model_fields)
    types = [_db_type(f).split("(")[0] for f in model_fields]  # varchar(254) -> varchar
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def bulk_insert_returning(
    model, fields: list[str], rows: list[tuple], returning: list[str], *, ignore_conflicts: bool = False
) -> list[tuple]:
    """`INSERT … SELECT … RETURNING …` per chunk; returns the `returning` columns of every row inserted.

    Much cheaper than `bulk_create` for 100,000 rows: no model instances, no per-object hooks, and on
    PostgreSQL one JSON parameter instead of one per cell. With `ignore_conflicts`, rows that hit a
    unique key are skipped (`ON CONFLICT DO NOTHING`) and left out of the answer.
    """
    model_fields = [model._meta.get_field(f) for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in model_fields)
    back = ", ".join(quote(model._meta.get_field(f).column) for f in returning)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(fields)):
            source, params = _rows_source(model_fields, chunk)
            conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {source}{conflict} RETURNING {back}",
                params,
            )
            found.extend(cursor.fetchall())
    return found


def bulk_update_by_pk(model, fields: list[str], rows: list[tuple], *, tenant_id: int | None = None) -> int:
    """`UPDATE t SET f = v.f … FROM (rows) v WHERE t.pk = v.pk`: one statement per chunk.

    Django's `bulk_update` builds a `CASE WHEN pk = … THEN …` per field and row, which is quadratic in
    practice; a joined row source is linear. `rows` are `(pk, *values)` tuples in the order of `fields`.
    """
    if not rows:
        return 0
    pk_field = model._meta.pk
    model_fields = [model._meta.get_field(f) for f in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(["pk", *(f"v{i}" for i in range(len(fields)))])
    assignments = ", ".join(f"{quote(f.column)} = v.v{i}" for i, f in enumerate(model_fields))
    scope = f" AND {table}.{quote('tenant_id')} = %s" if tenant_id is not None else ""
    updated = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(fields) + 1):
            source, params = _rows_source([pk_field, *model_fields], chunk)
            if tenant_id is not None:
                params.append(tenant_id)
            cursor.execute(
                f"WITH v ({names}) AS ({source}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote(pk_field.column)} = v.pk{scope}",
                params,
            )
            updated += cursor.rowcount
    return updated


class RandomHex(Func):
    """32 random hex characters per row, from the database's strong generator: a nonce in set-based inserts."""

    output_field = CharField()
    arity = 0

    def as_postgresql(self, compiler, connection, **extra):
        return "replace(gen_random_uuid()::text, '-', '')", ()

    def as_sqlite(self, compiler, connection, **extra):
        return "lower(hex(randomblob(16)))", ()
