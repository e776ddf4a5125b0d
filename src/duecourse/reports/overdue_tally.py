"""Overdue items per department and due moment, kept by PostgreSQL triggers (SQLite counts live).

The status rule's overdue conditions split by time (`status_timed_split`): what holds whatever the time
(required, not withdrawn, not completed) decides which assignments count at all; what compares with now (past
due, no exemption running) is applied when read. So the table keeps, per tenant, department and the values of
the timed columns (the due moment, and whether and until when an exemption runs), how many assignments have
them; the triggers append +1/-1 rows after every statement that changes those facts or moves people between
departments. A read at any moment applies the timed conditions to those rows: overdue items per department and
due moment, a few thousand rows where the assignments are a million (due dates end a day in a person's zone,
so many share a moment), from which the escalation tier of each follows (`escalation.escalation_tier`). The
worker folds the appended rows (`overdue_tally_fold`). A test compares every read with a fresh count.
"""

import datetime as dt

from django.db import connection, transaction

from duecourse.assignments.escalation import escalation_tier
from duecourse.assignments.selectors import status_timed_split
from duecourse.assignments.status import STATUS_RULE, AssignmentStatus, Check
from duecourse.reports.triggers import (
    Triggers,
    assignment_tally_functions,
    assignment_tally_triggers,
    install_triggers,
    installed_match,
    uninstall_triggers,
)

TABLE = "overdue_tally"
_SPLIT = status_timed_split(AssignmentStatus.OVERDUE, "x")
# The facts an assignment's row depends on: an UPDATE that changes none of them writes nothing.
_FACTS = ("tenant_id", "person_id", *_SPLIT.lasting_columns, *_SPLIT.timed_columns)
# Fold together rows of many assignments: a column the timed conditions only test for NULL is kept as NULL or
# "some moment" (-infinity), not as its own instant.
_ONLY_NULL_CHECKED = {
    column
    for column in _SPLIT.timed_columns
    if all(
        atom.check in (Check.IS_NULL, Check.NOT_NULL)
        for _, conditions in STATUS_RULE
        for c in conditions
        for atom in c.any_of
        if atom.column == column
    )
}
KEYS = ("tenant_id", "department_id", *_SPLIT.timed_columns)
_FOLD_LOCK = 7_301_001  # pg_advisory_xact_lock key: one fold at a time


def _kept(column: str) -> str:
    if column in _ONLY_NULL_CHECKED:
        return f"CASE WHEN x.{column} IS NULL THEN NULL ELSE '-infinity'::timestamptz END AS {column}"
    return f"x.{column}"


def _rows(assignments: str, people: str, sign: str) -> str:
    timed = ", ".join(_kept(c) for c in _SPLIT.timed_columns)
    return f"""
SELECT x.tenant_id, p.department_id, {timed}, {sign} AS items
FROM {assignments} x JOIN {people} p ON p.id = x.person_id
WHERE {_SPLIT.lasting}"""


def _append(parts: list[str]) -> str:
    keys = ", ".join(KEYS)
    union = "\nUNION ALL\n".join(parts)
    return f"""
INSERT INTO {TABLE} ({keys}, items)
SELECT {keys}, SUM(items) FROM ({union}) c GROUP BY {keys} HAVING SUM(items) <> 0"""


def trigger_functions() -> dict[str, str]:
    """The trigger functions' SQL, by name (what the migration installs)."""
    return assignment_tally_functions("overdue_tally", _rows, _append, _FACTS, ("department_id",))


_TRIGGERS: Triggers = assignment_tally_triggers("overdue_tally")


def install() -> None:
    """(Re)install the trigger functions and triggers and rebuild the table from the assignments (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        install_triggers(cursor, trigger_functions(), _TRIGGERS)
        cursor.execute("LOCK TABLE assignment, person IN SHARE MODE")  # no write between the rebuild's read and its end
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(_append([_rows("assignment", "person", "1")]))


def uninstall() -> None:
    uninstall_triggers(_TRIGGERS)


def installed_matches_code() -> bool:
    """Whether the database's trigger functions are the ones this code would install (a status rule change
    needs a migration that calls `install` again)."""
    return installed_match(trigger_functions())


def overdue_tally_fold() -> int:
    """Sum the appended rows into one per key (one statement, one fold at a time; rows a writer adds meanwhile
    stay as they are: sums do not care). Returns the rows left."""
    if connection.vendor != "postgresql":
        return 0
    keys = ", ".join(KEYS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FOLD_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"""WITH folded AS (DELETE FROM {TABLE} RETURNING *)
INSERT INTO {TABLE} ({keys}, items)
SELECT {keys}, SUM(items) FROM folded GROUP BY {keys} HAVING SUM(items) <> 0"""
        )
        left: int = cursor.rowcount
    return left


def overdue_by_department_and_tier(*, tenant_id: int, tiers: list[dict], now: dt.datetime) -> dict[tuple, int]:
    """{(department name or None, escalation tier): overdue items} at `now` (PostgreSQL, from the table)."""
    placeholders = _SPLIT.timed.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT u.name, x.due_at, SUM(x.items) FROM {TABLE} x
LEFT JOIN org_unit u ON u.id = x.department_id AND u.tenant_id = x.tenant_id
WHERE x.tenant_id = %s AND {_SPLIT.timed}
GROUP BY u.name, x.due_at HAVING SUM(x.items) <> 0""",
            [tenant_id, *([now] * placeholders)],
        )
        rows = cursor.fetchall()
    counts: dict[tuple, int] = {}
    for department, due_at, items in rows:
        key = (department, escalation_tier(overdue_for=now - due_at, tiers=tiers))
        counts[key] = counts.get(key, 0) + int(items)
    return counts
