"""Live compliance figures that stay cheap: a tally maintained by PostgreSQL triggers (SQLite computes live).

Each required, open assignment contributes to its person's department, site and region and to its target:
assigned 1, and `required_due`, `completed` and `exempt` as the status rule says at the moment asked. Those
change with time alone only at its due instant, its completion's expiry and its exemption's end, so the
contribution is a step function: its value at `-infinity` plus a change at each of those instants. The
triggers append those rows (the old row's negated, the new row's) after every statement that inserts,
updates or deletes assignments or moves people; summing the rows at or before now gives the figures at
now, exactly as `selectors.compliance_rows` counts them (the conditions are the same generated SQL:
`status_in_sql`, `valid_completion_sql`). The rows are append-only (no lock between writers); the worker
folds the past ones into `-infinity` rows (`tally_fold`), so a read sums a few hundred rows, not a million.
The SQL is installed by a migration; a test checks the installed functions are still the code's.
"""

import datetime as dt

from django.db import connection, transaction

from duecourse.assignments.selectors import status_in_sql, valid_completion_sql
from duecourse.assignments.status import AssignmentStatus
from duecourse.reports.models import ComplianceTallyFold
from duecourse.reports.triggers import (
    Triggers,
    assignment_tally_functions,
    assignment_tally_triggers,
    install_triggers,
    installed_match,
    uninstall_triggers,
)

# The dimensions the tally keeps (group and rule are many-to-many: computed live).
TALLIED = {"department": "department_id", "site": "site_id", "region": "region_id", "course": "target_id"}
# The assignment columns a contribution depends on: an UPDATE that changes none of them writes nothing.
_FACTS = (
    "tenant_id",
    "person_id",
    "target_type",
    "target_id",
    "visibility",
    "withdrawn_at",
    "due_at",
    "completed_at",
    "expires_at",
    "exempt_at",
    "exempt_ends_at",
)
_DIMENSIONS = ("department_id", "site_id", "region_id")
_KEYS = ("tenant_id", *_DIMENSIONS, "target_type", "target_id", "at")
_COUNTS = ("assigned", "required_due", "completed", "exempt")
_START = "'-infinity'::timestamptz"
_JUST_BEFORE = "interval '1 microsecond'"  # timestamps are microseconds: nothing lies between b - 1 µs and b


def _at(sql: str, moment: str) -> str:
    return sql.replace("%s", moment)


def _counts_at(moment: str) -> dict[str, str]:
    """Each count of one assignment `x` at `moment` (an SQL expression), as 0 or 1; `reports.selectors`
    counts the same conditions (`DUE_OR_DONE`, `valid_completion_filter`, exempt and not completed)."""
    from duecourse.reports.selectors import DUE_OR_DONE

    # A comparison with NULL is NULL, not false: negating one needs it made false first (as the ORM's ~Q does).
    completed = f"COALESCE({_at(valid_completion_sql('x'), moment)}, FALSE)"
    due_or_done = _at(status_in_sql(DUE_OR_DONE, "x"), moment)
    exempt = _at(status_in_sql([AssignmentStatus.EXEMPT], "x"), moment)
    return {
        "required_due": f"CASE WHEN {due_or_done} OR {completed} THEN 1 ELSE 0 END",
        "completed": f"CASE WHEN {completed} THEN 1 ELSE 0 END",
        "exempt": f"CASE WHEN {exempt} AND NOT {completed} THEN 1 ELSE 0 END",
    }


def _contributions(assignments: str, people: str, sign: str) -> str:
    """The rows (keys, counts) of the assignments in `assignments`, their people's org units from `people`."""
    now, before = _counts_at("b.at"), _counts_at(f"(b.at - {_JUST_BEFORE})")
    changes = ", ".join(
        f"{sign} * CASE WHEN b.at = {_START} THEN {now[c]} ELSE {now[c]} - {before[c]} END AS {c}" for c in now
    )
    return f"""
SELECT x.tenant_id, p.department_id, p.site_id, p.region_id, x.target_type, x.target_id, b.at,
       {sign} * CASE WHEN b.at = {_START} THEN 1 ELSE 0 END AS assigned, {changes}
FROM {assignments} x JOIN {people} p ON p.id = x.person_id
CROSS JOIN LATERAL (
    SELECT {_START} UNION SELECT x.due_at WHERE x.due_at IS NOT NULL
    UNION SELECT x.expires_at WHERE x.expires_at IS NOT NULL
    UNION SELECT x.exempt_ends_at WHERE x.exempt_ends_at IS NOT NULL
) b(at)
WHERE x.visibility = 'required' AND x.withdrawn_at IS NULL"""


def _append(parts: list[str], prefix: str = "") -> str:
    """One INSERT of the summed rows of `parts` (UNION ALL), leaving out keys whose changes cancel out."""
    keys, counts = ", ".join(_KEYS), ", ".join(_COUNTS)
    sums = ", ".join(f"SUM(c.{c})" for c in _COUNTS)
    nonzero = " OR ".join(f"SUM(c.{c}) <> 0" for c in _COUNTS)
    union = "\nUNION ALL\n".join(parts)
    return f"""{prefix}
INSERT INTO compliance_tally ({keys}, {counts})
SELECT {", ".join(f"c.{k}" for k in _KEYS)}, {sums}
FROM ({union}) c
GROUP BY {", ".join(f"c.{k}" for k in _KEYS)}
HAVING {nonzero}"""


def trigger_functions() -> dict[str, str]:
    """The trigger functions' SQL, by name (what the migration installs)."""
    return assignment_tally_functions("compliance_tally", _contributions, _append, _FACTS, _DIMENSIONS)


_TRIGGERS: Triggers = assignment_tally_triggers("compliance_tally")


def install() -> None:
    """(Re)install the trigger functions and triggers and rebuild the tally from the assignments (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        install_triggers(cursor, trigger_functions(), _TRIGGERS)
        cursor.execute("LOCK TABLE assignment, person IN SHARE MODE")  # no write between the rebuild's read and its end
        cursor.execute("DELETE FROM compliance_tally")
        cursor.execute(_append([_contributions("assignment", "person", "1")]) + ";")


def uninstall() -> None:
    uninstall_triggers(_TRIGGERS)


def installed_matches_code() -> bool:
    """Whether the database's trigger functions are the ones this code would install (a status rule change
    needs a migration that calls `install` again)."""
    return installed_match(trigger_functions())


def in_use(now: dt.datetime) -> bool:
    """The tally answers on PostgreSQL, unless `now` is before what was folded (a clock set back)."""
    if connection.vendor != "postgresql":
        return False
    fold = ComplianceTallyFold.objects.values_list("folded_through", flat=True).first()
    return fold is None or now >= fold


def tally_fold(*, now: dt.datetime) -> int:
    """Fold every row at or before `now` into `-infinity` rows (one statement; the worker runs it in one
    worker at a time). Rows a writer adds meanwhile stay as they are: sums do not care. Returns rows left."""
    if connection.vendor != "postgresql":
        return 0
    keys = [k for k in _KEYS if k != "at"]
    with transaction.atomic():
        fold = ComplianceTallyFold.objects.select_for_update().first()
        if fold is not None and fold.folded_through >= now:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH folded AS (DELETE FROM compliance_tally WHERE at <= %s RETURNING *)
INSERT INTO compliance_tally ({", ".join(keys)}, at, {", ".join(_COUNTS)})
SELECT {", ".join(keys)}, {_START}, {", ".join(f"SUM({c})" for c in _COUNTS)} FROM folded
GROUP BY {", ".join(keys)} HAVING {" OR ".join(f"SUM({c}) <> 0" for c in _COUNTS)}""",
                [now],
            )
            left: int = cursor.rowcount
        if fold is None:
            ComplianceTallyFold.objects.create(folded_through=now)
        else:
            fold.folded_through = now
            fold.save(update_fields=["folded_through"])
    return left


def tally_rows(*, tenant_id: int, by: str, now: dt.datetime) -> list[tuple[int, str | None, int, int, int]]:
    """As `selectors.compliance_rows`: (key_id, name, required_due, completed, exempt) per key (0 and None: no
    department, site or region; the name is None too for a course that is gone), from the tally."""
    column = TALLIED[by]
    source, name, where = (
        ("course", "title", "AND t.target_type = 'course'") if by == "course" else ("org_unit", "name", "")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COALESCE(t.{column}, 0), u.{name}, SUM(t.required_due), SUM(t.completed), SUM(t.exempt)
FROM compliance_tally t LEFT JOIN {source} u ON u.id = t.{column} AND u.tenant_id = t.tenant_id
WHERE t.tenant_id = %s AND t.at <= %s {where}
GROUP BY t.{column}, u.{name} HAVING SUM(t.assigned) > 0""",
            [tenant_id, now],
        )
        return [(key_id, key, int(due), int(done), int(exempt)) for key_id, key, due, done, exempt in cursor.fetchall()]
