"""Set-based SQL helpers: the ORM builds the SELECT, we wrap it in one INSERT."""

from django.db import connection
from django.db.models import QuerySet


def insert_select_ignore_conflicts(table: str, columns: list[str], select: QuerySet) -> int:
    """INSERT INTO table (columns) SELECT … ON CONFLICT DO NOTHING; returns rows inserted.

    `select` must be a `.values_list(...)` queryset whose columns match `columns` in order.
    """
    sql, params = select.query.sql_with_params()
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
    statement = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) "
        f"SELECT * FROM ({sql}) AS src WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount
