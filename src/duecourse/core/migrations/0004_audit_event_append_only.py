"""The database refuses to change or delete an audit event (append-only: docs/data-model.md, invariant 3).

`AppendOnly(table)` installs the triggers; `assignments` applies it to `completion` too (imported from
here, so the SQL has one home).

- PostgreSQL: a row trigger BEFORE UPDATE OR DELETE raises `restrict_violation` (SQLSTATE 23001, an
  `IntegrityError` in Django). TRUNCATE fires no row trigger, so the test suite's flush still works.
- SQLite: a BEFORE UPDATE trigger aborts (`RAISE(ABORT, …)`, also an `IntegrityError`). There is no
  DELETE trigger on SQLite: the test suite's flush empties tables with DELETE, and SQLite has no TRUNCATE
  to tell it apart. A migration that rebuilds the table on SQLite (Django copies it into a new one) drops
  the trigger and must create it again: `assignments/tests/test_append_only.py` fails until it does.

Nothing in the code updates or deletes these rows. A maintenance job that must (erasing a whole tenant,
say) disables the trigger for its own transaction: `ALTER TABLE audit_event DISABLE TRIGGER
audit_event_append_only` … `ENABLE TRIGGER …` on PostgreSQL (docs/architecture.md).
"""

from django.db import migrations


def _sql(vendor: str, table: str) -> tuple[list[str], list[str]]:
    """The statements that install and remove the append-only triggers of `table`."""
    name = f"{table}_append_only"
    if vendor == "postgresql":
        function = (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $append_only$\n"
            f"BEGIN\n  RAISE EXCEPTION '{table} is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';\n"
            "END\n$append_only$"
        )
        trigger = f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        return [function, trigger], [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    if vendor == "sqlite":
        trigger = (
            f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        )
        return [trigger], [f"DROP TRIGGER IF EXISTS {name}_update"]
    return [], []


class AppendOnly(migrations.operations.base.Operation):
    """Refuse UPDATE (and DELETE, on PostgreSQL) of every row of `table`, in the database itself."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str):
        self.table = table

    def deconstruct(self):
        return (self.__class__.__name__, [self.table], {})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in _sql(schema_editor.connection.vendor, self.table)[0]:
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in _sql(schema_editor.connection.vendor, self.table)[1]:
            schema_editor.execute(statement, params=None)

    def describe(self):
        return f"Refuse changes to the rows of {self.table} (append-only triggers)"

    @property
    def migration_name_fragment(self):
        return f"{self.table}_append_only"


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_event_actor_label")]

    operations = [AppendOnly("audit_event")]
