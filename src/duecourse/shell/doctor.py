"""`duecourse doctor`: the invariants the database does not enforce, each checked by one set-based query.

Many keys here carry no database-level foreign key (`db_constraint=False` and plain id columns such as
`assignment_source.ref_id` or `assignment.target_id`: docs/architecture.md "Constraints where they guard
something"), and a few invariants of docs/data-model.md are kept by the services alone. A bug, a hand-made
SQL statement or a half-restored backup can break them without the database noticing; these checks find
it. Each check is a function returning a `Finding`: how many rows are wrong and a few of them. Each runs
one SQL query, portable between SQLite and PostgreSQL, with no loop over rows in Python, so it stays quick
on a million assignments. The checks only read.

The module lives in the shell (the top layer) because it reads every app's tables.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, models

from duecourse.assignments.models import Assignment, AssignmentRule, AssignmentSource, RuleItem
from duecourse.catalog.models import Course, LearningPath, Skill
from duecourse.core import clock
from duecourse.core.models import Tenant, TenantScopedModel
from duecourse.groups.models import Group, GroupMember
from duecourse.notifications.models import Notification, ReminderSchedule
from duecourse.people.models import OrgUnit, Person

# How many wrong rows a finding names (the count is always complete).
EXAMPLES = 5
# A planned reminder this long past its time and still unsent means the worker is not running (it sends
# or skips every due row each tick, every 30 seconds): invariant 4, "sent at least once".
REMINDER_LATE_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    """What one check found: `count` wrong rows (or groups of rows), `examples` naming a few of them."""

    name: str
    description: str
    count: int
    examples: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.count == 0

    def line(self) -> str:
        """The check's one line of the report."""
        if self.ok:
            return f"{self.name}: ok"
        shown = ", ".join(self.examples)
        more = ", …" if self.count > len(self.examples) else ""
        return f"{self.name}: {self.count} wrong — {self.description}; e.g. {shown}{more}"


@dataclass(frozen=True)
class Reference:
    """A column of `table` holding the id of a row of `parent`, perhaps only on rows matching `when` (SQL on
    the child row, aliased `c`)."""

    table: str
    column: str
    parent: str
    when: str = ""

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"

    @classmethod
    def of(cls, model: type[models.Model], field_name: str) -> "Reference":
        """The reference a model's foreign key makes."""
        field = model._meta.get_field(field_name)
        assert isinstance(field, models.ForeignKey)  # noqa: S101 - a programming error, not input
        parent = field.related_model
        assert not isinstance(parent, str)  # noqa: S101 - resolved once apps are ready
        return cls(model._meta.db_table, field.column, parent._meta.db_table)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _orphans_sql(ref: Reference) -> str:
    """The rows whose reference is set and points at no row."""
    extra = f" AND ({ref.when})" if ref.when else ""
    return (
        f"SELECT '{ref.label}' AS what, c.id AS id FROM {_q(ref.table)} c "  # noqa: S608 - names from models
        f"WHERE c.{_q(ref.column)} IS NOT NULL{extra} "
        f"AND NOT EXISTS (SELECT 1 FROM {_q(ref.parent)} p WHERE p.id = c.{_q(ref.column)})"
    )


def _other_tenant_sql(ref: Reference) -> str:
    """The rows whose reference points at a row of another tenant."""
    extra = f" AND ({ref.when})" if ref.when else ""
    return (
        f"SELECT '{ref.label}' AS what, c.id AS id FROM {_q(ref.table)} c "  # noqa: S608 - names from models
        f"JOIN {_q(ref.parent)} p ON p.id = c.{_q(ref.column)} WHERE p.tenant_id <> c.tenant_id{extra}"
    )


def _found(name: str, description: str, sql: str, params: Sequence[Any] = ()) -> Finding:
    """Run `sql` (rows of `what`, `id`) once: the number of rows and the first few, in one query."""
    query = f"SELECT what, id, COUNT(*) OVER () FROM ({sql}) wrong ORDER BY what, id LIMIT {EXAMPLES}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, list(params))
        rows = cursor.fetchall()
    count = rows[0][2] if rows else 0
    return Finding(name, description, count, tuple(f"{what} #{pk}" for what, pk, _ in rows))


def _union(parts: Iterable[str]) -> str:
    return " UNION ALL ".join(parts)


# --- References the database does not check -------------------------------------------------------------

SOURCE_KIND_PARENTS = {"individual": Person, "rule": AssignmentRule, "org_unit": OrgUnit}
TARGET_TYPE_PARENTS = {"course": Course, "path": LearningPath, "skill": Skill}


def source_references() -> list[Reference]:
    """An assignment source's assignment, assigner, rule and the reference its kind names. A "group" source
    is not checked: a deleted group's sources stay as history (their label keeps its name)."""
    table = AssignmentSource._meta.db_table
    by_kind = [
        Reference(table, "ref_id", model._meta.db_table, f"c.kind = '{kind}'")
        for kind, model in SOURCE_KIND_PARENTS.items()
    ]
    rule = Reference(table, "rule_id", AssignmentRule._meta.db_table)
    return [Reference.of(AssignmentSource, "assignment"), Reference.of(AssignmentSource, "assigned_by"), *by_kind, rule]


def notification_references() -> list[Reference]:
    return [Reference.of(Notification, name) for name in ("person", "assignment", "about")]


def reminder_references() -> list[Reference]:
    return [Reference.of(ReminderSchedule, "assignment")]


def group_member_references() -> list[Reference]:
    return [Reference.of(GroupMember, "group"), Reference.of(GroupMember, "person")]


def target_references() -> list[Reference]:
    """An assignment's and a rule item's target: a plain id whose table its type names."""
    return [
        Reference(model._meta.db_table, "target_id", parent._meta.db_table, f"c.target_type = '{kind}'")
        for model in (Assignment, RuleItem)
        for kind, parent in TARGET_TYPE_PARENTS.items()
    ]


def _named_references() -> list[Reference]:
    return [*source_references(), *notification_references(), *reminder_references(), *group_member_references()]


def unchecked_foreign_keys() -> list[Reference]:
    """Every foreign key declared without a database constraint, but the tenant's (`rows_without_tenant`)."""
    return [
        Reference.of(model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        # `db_constraint` is missing from django-stubs.
        if isinstance(field, models.ForeignKey) and not getattr(field, "db_constraint", True) and field.name != "tenant"
    ]


def other_references() -> list[Reference]:
    """The unchecked foreign keys that no named check covers (people's managers and org units, certificates,
    progress samples, …)."""
    named = {(ref.table, ref.column) for ref in _named_references()}
    return [ref for ref in unchecked_foreign_keys() if (ref.table, ref.column) not in named]


def tenant_scoped_tables() -> list[str]:
    return sorted(
        {model._meta.db_table for model in apps.get_models() if issubclass(model, TenantScopedModel)}
        - {Tenant._meta.db_table}
    )


def cross_references() -> list[Reference]:
    """Every reference from a tenant's row to another tenant-scoped row: foreign keys (checked by the database
    or not) and the plain ids above."""
    scoped = set(tenant_scoped_tables())
    keys = [
        Reference.of(model, field.name)
        for model in apps.get_models()
        if issubclass(model, TenantScopedModel)
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.name != "tenant"
    ]
    groups = Reference(AssignmentSource._meta.db_table, "ref_id", Group._meta.db_table, "c.kind = 'group'")
    plain = [ref for ref in (*source_references(), *target_references()) if ref.column in ("ref_id", "target_id")]
    plain.append(groups)
    unique = {(ref.table, ref.column, ref.parent, ref.when): ref for ref in (*keys, *plain)}
    return [ref for ref in unique.values() if ref.parent in scoped]


# --- The checks -------------------------------------------------------------------------------------------


def sources_orphaned() -> Finding:
    return _found(
        "sources_orphaned",
        "assignment sources pointing at a missing assignment, person, rule or org unit",
        _union(_orphans_sql(ref) for ref in source_references()),
    )


def notifications_orphaned() -> Finding:
    return _found(
        "notifications_orphaned",
        "inbox notifications pointing at a missing person or assignment",
        _union(_orphans_sql(ref) for ref in notification_references()),
    )


def reminders_orphaned() -> Finding:
    return _found(
        "reminders_orphaned",
        "planned or sent reminders of a missing assignment",
        _union(_orphans_sql(ref) for ref in reminder_references()),
    )


def group_members_orphaned() -> Finding:
    """Checked by the database's foreign keys too; cheap, and a restore with checks off may have skipped them."""
    return _found(
        "group_members_orphaned",
        "group memberships of a missing group or person",
        _union(_orphans_sql(ref) for ref in group_member_references()),
    )


def assignment_targets_missing() -> Finding:
    return _found(
        "assignment_targets_missing",
        "assignments and rule items whose course, learning path or skill is missing",
        _union(_orphans_sql(ref) for ref in target_references()),
    )


def other_references_orphaned() -> Finding:
    return _found(
        "other_references_orphaned",
        "rows whose unchecked reference (manager, org unit, certificate, progress sample, …) points at nothing",
        _union(_orphans_sql(ref) for ref in other_references()),
    )


def rows_without_tenant() -> Finding:
    tenant = _q(Tenant._meta.db_table)
    parts = (
        f"SELECT '{table}' AS what, c.id AS id FROM {_q(table)} c "  # noqa: S608 - names from models
        f"WHERE NOT EXISTS (SELECT 1 FROM {tenant} t WHERE t.id = c.tenant_id)"
        for table in tenant_scoped_tables()
    )
    return _found("rows_without_tenant", "rows whose tenant_id names no tenant", _union(parts))


def rows_of_another_tenant() -> Finding:
    return _found(
        "rows_of_another_tenant",
        "rows pointing at a row of another tenant (invariant 5)",
        _union(_other_tenant_sql(ref) for ref in cross_references()),
    )


def open_assignments_duplicated() -> Finding:
    """Also a database constraint (the partial unique index `assignment_one_open_per_target`): checked anyway."""
    table = _q(Assignment._meta.db_table)
    sql = (
        f"SELECT 'assignment' AS what, MAX(id) AS id FROM {table} WHERE withdrawn_at IS NULL "  # noqa: S608
        "GROUP BY tenant_id, person_id, target_type, target_id HAVING COUNT(*) > 1"
    )
    return _found(
        "open_assignments_duplicated", "more than one open assignment for a person and target (invariant 1)", sql
    )


def open_assignments_without_source() -> Finding:
    assignment, source = _q(Assignment._meta.db_table), _q(AssignmentSource._meta.db_table)
    sql = (
        f"SELECT 'assignment' AS what, a.id AS id FROM {assignment} a "  # noqa: S608
        "WHERE a.withdrawn_at IS NULL AND a.completed_at IS NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {source} s WHERE s.assignment_id = a.id)"
    )
    return _found(
        "open_assignments_without_source",
        "open, uncompleted assignments that no source holds: they should be withdrawn (invariant 2)",
        sql,
    )


def withdrawn_assignments_with_sources() -> Finding:
    assignment, source = _q(Assignment._meta.db_table), _q(AssignmentSource._meta.db_table)
    sql = (
        f"SELECT 'assignment' AS what, a.id AS id FROM {assignment} a "  # noqa: S608
        f"WHERE a.withdrawn_at IS NOT NULL AND EXISTS (SELECT 1 FROM {source} s WHERE s.assignment_id = a.id)"
    )
    return _found(
        "withdrawn_assignments_with_sources", "withdrawn assignments that still have sources (invariant 2)", sql
    )


def reminders_late() -> Finding:
    table = _q(ReminderSchedule._meta.db_table)
    sql = f"SELECT 'reminder_schedule' AS what, id FROM {table} WHERE sent_at IS NULL AND remind_at < %s"  # noqa: S608
    return _found(
        "reminders_late",
        f"reminders due more than {REMINDER_LATE_AFTER.total_seconds() / 60:.0f} minutes ago and neither sent "
        "nor skipped: is the worker running? (invariant 4)",
        sql,
        [clock.now() - REMINDER_LATE_AFTER],
    )


CHECKS: tuple[Callable[[], Finding], ...] = (
    sources_orphaned,
    notifications_orphaned,
    reminders_orphaned,
    group_members_orphaned,
    assignment_targets_missing,
    other_references_orphaned,
    rows_without_tenant,
    rows_of_another_tenant,
    open_assignments_duplicated,
    open_assignments_without_source,
    withdrawn_assignments_with_sources,
    reminders_late,
)


def run_checks() -> list[Finding]:
    """Every check, in order."""
    return [check() for check in CHECKS]
