"""The plumbing of the tables PostgreSQL triggers keep (`tally`, `overdue_tally`): statement-level trigger
functions over the transition tables, installed by migrations and checked against the code."""

from collections.abc import Callable

from django.db import connection

# Each trigger: the table it is on and its clause, by the name of the trigger and of its function.
Triggers = dict[str, tuple[str, str]]


def changed_ids_sql(old: str, new: str, columns: tuple[str, ...]) -> str:
    """The ids of the rows whose `columns` an UPDATE changed (`old`, `new`: its transition tables)."""
    olds, news = ", ".join(f"o.{c}" for c in columns), ", ".join(f"n.{c}" for c in columns)
    return f"SELECT n.id FROM {new} n JOIN {old} o ON o.id = n.id WHERE ({olds}) IS DISTINCT FROM ({news})"


def function_sql(name: str, body: str) -> str:
    """A trigger function running `body` (SQL statements) once per statement."""
    header = f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS"
    return f"{header} $tally$\nBEGIN{body};\nRETURN NULL;\nEND\n$tally$"


def install_triggers(cursor, functions: dict[str, str], triggers: Triggers) -> None:
    """(Re)create each function and its statement-level trigger."""
    for name, sql in functions.items():
        table, clause = triggers[name]
        cursor.execute(sql)
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        cursor.execute(f"CREATE TRIGGER {name} {clause} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def uninstall_triggers(triggers: Triggers) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, (table, _) in triggers.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def installed_match(functions: dict[str, str]) -> bool:
    """Whether the database's functions of these names are the code's (a status rule change needs a migration
    that installs them again)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", [list(functions)])
        installed = dict(cursor.fetchall())
    return installed == {name: sql.split("$tally$")[1] for name, sql in functions.items()}


def assignment_tally_functions(
    prefix: str,
    rows: Callable[[str, str, str], str],
    append: Callable[[list[str]], str],
    facts: tuple[str, ...],
    person_columns: tuple[str, ...],
) -> dict[str, str]:
    """The SQL of the four statement-level trigger functions (`assignment_tally_triggers`) of a table kept from
    assignments and their people: `rows(assignments, people, sign)` is the SELECT of the kept rows of those
    assignments (sign 1 or -1), `append(parts)` the statement adding them up; an UPDATE of assignments counts
    only rows whose `facts` changed, an UPDATE of people only people whose `person_columns` changed."""
    changed = changed_ids_sql("old_rows", "new_rows", facts)
    moved = changed_ids_sql("old_people", "new_people", person_columns)
    bodies = {
        f"{prefix}_assignment_insert": append([rows("new_rows", "person", "1")]),
        f"{prefix}_assignment_delete": append([rows("old_rows", "person", "-1")]),
        f"{prefix}_assignment_update": append(
            [
                rows(f"(SELECT * FROM old_rows WHERE id IN ({changed}))", "person", "-1"),
                rows(f"(SELECT * FROM new_rows WHERE id IN ({changed}))", "person", "1"),
            ]
        ),
        f"{prefix}_person_update": append(
            [
                rows("assignment", f"(SELECT * FROM old_people WHERE id IN ({moved}))", "-1"),
                rows("assignment", f"(SELECT * FROM new_people WHERE id IN ({moved}))", "1"),
            ]
        ),
    }
    return {name: function_sql(name, body) for name, body in bodies.items()}


def assignment_tally_triggers(prefix: str) -> Triggers:
    """The four triggers, by the names of their functions: after each statement on `assignment`, and after
    an UPDATE of `person`."""
    return {
        f"{prefix}_assignment_insert": ("assignment", "AFTER INSERT ON assignment REFERENCING NEW TABLE AS new_rows"),
        f"{prefix}_assignment_delete": ("assignment", "AFTER DELETE ON assignment REFERENCING OLD TABLE AS old_rows"),
        f"{prefix}_assignment_update": (
            "assignment",
            "AFTER UPDATE ON assignment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
        f"{prefix}_person_update": (
            "person",
            "AFTER UPDATE ON person REFERENCING OLD TABLE AS old_people NEW TABLE AS new_people",
        ),
    }
