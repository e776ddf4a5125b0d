"""HR import: an idempotent, set-based upsert of people keyed by external id, then email.

The whole file is validated and matched in memory against one read of the tenant's directory;
then the writes are a handful of bulk statements in one transaction. A bad row fails alone with
its index and field errors; a dry run stops before the first write and reports the same counts.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from duecourse.core import clock
from duecourse.core.audit import audit_record
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.sql import bulk_insert_returning, bulk_update_by_pk, copy_rows, reserve_ids
from duecourse.people import permissions, roles
from duecourse.people.limits import MAX_IMPORT_ROWS
from duecourse.people.models import OrgUnit, Person
from duecourse.people.services import org_units_ensure
from duecourse.people.signals import people_changed
from duecourse.people.validation import INPUT_FIELDS, ORG_FIELDS, clean_person_input

BATCH = 2000
COMPARED_FIELDS = (
    "email",
    "name",
    "external_id",
    "job_title",
    "hire_date",
    "timezone",
    "locale",
    "active",
    "department_id",
    "site_id",
    "region_id",
    "is_admin",
    "is_instructor",
    "is_hr",
)
# The input field each compared column comes from (email and name are always present).
INPUT_OF_COLUMN = {
    "external_id": "external_id",
    "job_title": "job_title",
    "hire_date": "hire_date",
    "timezone": "timezone",
    "locale": "locale",
    "active": "active",
    **{f"{org}_id": org for org in ORG_FIELDS},
    **{f"is_{role}": "roles" for role in roles.STORED_ROLES},
}
ORG_COLUMNS = tuple((org, f"{org}_id") for org in ORG_FIELDS)
ROLE_COLUMNS = tuple((role, f"is_{role}") for role in roles.STORED_ROLES)
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    failed: list[dict] = field(default_factory=list)
    dry_run: bool = False
    created_ids: list[int] = field(default_factory=list)  # after a real import: the new people (not in the API)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "failed": self.failed,
            "dry_run": self.dry_run,
        }


def parse_people_csv(content: bytes | str) -> list[dict]:
    """CSV text to row dicts; unknown columns and undecodable files are file-level errors."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed.on("file", "is not UTF-8 text") from None
    if "\x00" in content:
        raise ValidationFailed.on("file", "is not a text CSV file (it contains NUL bytes)")
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise ValidationFailed.on("file", f"is not valid CSV: {exc}") from None
    if not header:
        raise ValidationFailed.on("file", "is empty: the first line must name the columns")
    columns = [(h or "").strip() for h in header]
    unknown = [c for c in columns if c not in INPUT_FIELDS]
    if unknown:
        raise ValidationFailed(
            detail=f"Unknown column(s): {', '.join(unknown)}; known columns are {', '.join(INPUT_FIELDS)}",
            errors=[FieldError(c or "(blank)", "is not a known column") for c in unknown],
        )
    if "email" not in columns:
        raise ValidationFailed.on("email", "column is required")
    reader.fieldnames = columns
    rows = []
    try:
        for line in reader:
            if None in line:
                line = {k: v for k, v in line.items() if k is not None} | {"__extra__": True}
            rows.append(line)
            if len(rows) > MAX_IMPORT_ROWS:
                raise ValidationFailed.on("file", f"has more than {MAX_IMPORT_ROWS} rows; split it")
    except csv.Error as exc:
        raise ValidationFailed.on("file", f"is not valid CSV at line {reader.line_num}: {exc}") from None
    return rows


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def people_import(
    *,
    actor: Person,
    rows: list[dict],
    dry_run: bool = False,
    deactivate_missing: bool = False,
    progress: Progress = _no_progress,
) -> ImportResult:
    if not permissions.can_manage_people(actor):
        raise forbidden("import people")
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed.on("rows", f"at most {MAX_IMPORT_ROWS} rows per import")
    tenant_id = actor.tenant_id
    plan = _ImportPlan(tenant_id=tenant_id, actor=actor, progress=progress)
    plan.match_rows(rows)
    result = plan.result(dry_run=dry_run, deactivate_missing=deactivate_missing)
    if dry_run or not (result.created or result.updated or result.deactivated):
        return result  # an unchanged re-import writes nothing, not even an audit event
    try:
        with transaction.atomic():
            plan.write(deactivate_missing=deactivate_missing)
            audit_record(
                tenant_id=tenant_id,
                actor_id=actor.pk,
                action="people.import",
                object_type="person",
                object_id=None,
                after={k: v for k, v in result.as_dict().items() if k != "failed"} | {"failed": len(result.failed)},
            )
    except IntegrityError as exc:
        raise Conflict(
            detail=f"The directory changed while importing ({exc.__class__.__name__}); run it again"
        ) from None
    result.created_ids = plan.created_ids
    return result


class _ImportPlan:
    def __init__(self, *, tenant_id: int, actor: Person, progress: Progress):
        self.tenant_id = tenant_id
        self.actor = actor
        self.progress = progress
        self.failed: list[dict] = []
        self.creates: list[tuple[int, dict]] = []  # (row index, values)
        self.updates: list[tuple[int, int, dict]] = []  # (row index, person id, changed values)
        self.unchanged_rows: dict[int, int] = {}  # row index -> person id
        self.manager_edges: list[tuple[object, int | str | None, int]] = []  # (person key, manager key, row)
        self.touched_ids: set[int] = set()
        self.created_ids: list[int] = []

    # --- reading ---------------------------------------------------------------------------
    def _load_directory(self) -> None:
        fields = ("id", "manager_id", *COMPARED_FIELDS)
        self.existing: dict[int, dict] = {}
        self.by_email: dict[str, int] = {}
        self.by_external: dict[str, int] = {}
        for values in Person.objects.filter(tenant_id=self.tenant_id).values_list(*fields).iterator(chunk_size=5000):
            record = dict(zip(fields, values, strict=True))
            self.existing[record["id"]] = record
            self.by_email[record["email"]] = record["id"]
            if record["external_id"]:
                self.by_external[record["external_id"]] = record["id"]
        self.org_ids = {
            (kind, name): pk
            for kind, name, pk in OrgUnit.objects.filter(tenant_id=self.tenant_id).values_list("kind", "name", "id")
        }

    def _fail(self, index: int, errors: list[FieldError]) -> None:
        self.failed.append({"row": index, "errors": [e.as_dict() for e in errors]})

    def match_rows(self, rows: list[dict]) -> None:
        self._load_directory()
        seen_email: dict[str, int] = {}
        seen_external: dict[str, int] = {}
        self.matched_ids: set[int] = set()
        self.row_emails: dict[str, object] = {}  # email -> person key, for manager_email references
        cleaned_rows: list[tuple[int, dict, object]] = []
        total = len(rows)
        for index, raw in enumerate(rows):
            if index % 5000 == 0:
                self.progress("validate", index, total)
            if not isinstance(raw, dict):
                self._fail(index, [FieldError("row", "must be an object of person fields")])
                continue
            if raw.get("__extra__"):
                self._fail(index, [FieldError("row", "has more cells than the header has columns")])
                continue
            if "id" in raw:
                raw = {k: v for k, v in raw.items() if k != "id"}
            clean, errors = clean_person_input(raw, partial=False)
            key = self._match(clean, errors, seen_email, seen_external, index)
            errors += [
                FieldError(name, message) for name, message in permissions.self_lockout_errors(self.actor, key, clean)
            ]
            if errors:
                if isinstance(key, int):
                    self.matched_ids.add(key)  # a failed row never deactivates the person it names
                self._fail(index, errors)
                continue
            self.row_emails[clean["email"]] = key
            cleaned_rows.append((index, clean, key))
        self.progress("validate", total, total)
        self._plan_rows(cleaned_rows)

    def _match(self, clean, errors, seen_email, seen_external, index) -> object:
        email, external_id = clean.get("email"), clean.get("external_id")
        key: object = ("new", index)
        if external_id:
            if external_id in seen_external:
                errors.append(FieldError("external_id", f"duplicates row {seen_external[external_id]}"))
            seen_external.setdefault(external_id, index)
        if email:
            if email in seen_email:
                errors.append(FieldError("email", f"duplicates row {seen_email[email]}"))
            seen_email.setdefault(email, index)
        by_ext = self.by_external.get(external_id) if external_id else None
        by_mail = self.by_email.get(email) if email else None
        if by_ext is not None:
            key = by_ext
            if by_mail is not None and by_mail != by_ext:
                errors.append(FieldError("email", f"{email} belongs to another person"))
        elif by_mail is not None:
            key = by_mail
            other_ext = self.existing[by_mail]["external_id"]
            if external_id and other_ext and other_ext != external_id:
                errors.append(FieldError("email", f"{email} belongs to the person with external id {other_ext}"))
        return key

    def _plan_rows(self, cleaned_rows) -> None:
        org_ids = self.org_ids
        for index, clean, key in cleaned_rows:
            values = {
                "email": clean["email"],
                "name": clean["name"],
                "external_id": clean.get("external_id"),
                "job_title": clean.get("job_title") or "",
                "hire_date": clean.get("hire_date"),
                "timezone": clean.get("timezone", "UTC"),
                "locale": clean.get("locale", "en"),
                "active": clean.get("active", True),
            }
            for org, column in ORG_COLUMNS:
                name = clean.get(org)
                # Unknown names are created on write; until then they compare as "different".
                values[column] = (org_ids.get((org, name)) or ("new-org", org, name)) if name else None
            held = clean.get("roles", ())
            for role, column in ROLE_COLUMNS:
                values[column] = role in held
            if isinstance(key, int):
                current = self.existing[key]
                # Columns a row does not carry keep their value (a JSON row may be partial).
                for name, source in INPUT_OF_COLUMN.items():
                    if source not in clean:
                        values[name] = current[name]
                changed = {k: v for k, v in values.items() if current[k] != v}
                self.matched_ids.add(key)
                if changed:
                    self.updates.append((index, key, changed))
                else:
                    self.unchanged_rows[index] = key
            else:
                self.creates.append((index, values))
            if "manager_id" in clean or "manager_email" in clean:
                self.manager_edges.append((key, clean.get("manager_id") or clean.get("manager_email"), index))
        self._plan_managers()

    def _plan_managers(self) -> None:
        """Resolve manager references and refuse edges that would close a reporting cycle."""
        manager_of: dict[object, object] = {pid: rec["manager_id"] for pid, rec in self.existing.items()}
        self.manager_changes: dict[object, object] = {}
        failed_rows: set[int] = set()
        for key, reference, index in self.manager_edges:
            target: object
            if reference is None:
                target = None
            elif isinstance(reference, int):
                target = reference if reference in self.existing else None
                if target is None:
                    failed_rows.add(index)
                    self._fail(index, [FieldError("manager_id", f"no person with id {reference}")])
                    continue
            else:
                target = self.row_emails.get(reference, self.by_email.get(reference))
                if target is None:
                    failed_rows.add(index)
                    self._fail(index, [FieldError("manager_email", f"no person with email {reference}")])
                    continue
            if target is not None and self._reaches(manager_of, target, key):
                failed_rows.add(index)
                self._fail(index, [FieldError("manager_email", "would make a reporting cycle")])
                continue
            if manager_of.get(key) != target:
                manager_of[key] = target
                self.manager_changes[key] = target
        if failed_rows:
            self._drop_rows(failed_rows)
        self.failed.sort(key=lambda f: f["row"])

    @staticmethod
    def _reaches(manager_of: dict, start, person_key) -> bool:
        current, steps = start, 0
        while current is not None and steps < 10_000:
            if current == person_key:
                return True
            current = manager_of.get(current)
            steps += 1
        return current is not None

    def _drop_rows(self, indexes: set[int]) -> None:
        """A row that fails late (manager) is not written at all: all-or-nothing per person."""
        dropped_keys: set = {("new", i) for i in indexes}
        dropped_keys |= {pid for i, pid, _ in self.updates if i in indexes}
        self.creates = [(i, v) for i, v in self.creates if i not in indexes]
        kept_updates = []
        for i, pid, changed in self.updates:
            if i not in indexes:
                kept_updates.append((i, pid, changed))
        self.updates = kept_updates
        dropped_keys |= {pid for i, pid in self.unchanged_rows.items() if i in indexes}
        self.unchanged_rows = {i: pid for i, pid in self.unchanged_rows.items() if i not in indexes}
        self.manager_changes = {k: v for k, v in self.manager_changes.items() if k not in dropped_keys}
        # Someone whose manager is a dropped new row keeps no manager rather than a dangling one.
        dropped_new = {("new", i) for i in indexes}
        self.manager_changes = {k: (None if v in dropped_new else v) for k, v in self.manager_changes.items()}

    def _deactivation_ids(self) -> list[int]:
        return sorted(
            pid
            for pid, rec in self.existing.items()
            if rec["active"] and pid not in self.matched_ids and pid != self.actor.pk
        )

    def result(self, *, dry_run: bool, deactivate_missing: bool) -> ImportResult:
        manager_only = [i for i, pid in self.unchanged_rows.items() if pid in self.manager_changes]
        return ImportResult(
            created=len(self.creates),
            updated=len(self.updates) + len(manager_only),
            unchanged=len(self.unchanged_rows) - len(manager_only),
            deactivated=len(self._deactivation_ids()) if deactivate_missing else 0,
            failed=self.failed,
            dry_run=dry_run,
        )

    # --- writing ---------------------------------------------------------------------------
    def _resolve_org_ids(self) -> None:
        needed: dict[str, set[str]] = {kind: set() for kind in ORG_FIELDS}
        for values in [v for _, v in self.creates] + [c for _, _, c in self.updates]:
            for kind in ORG_FIELDS:
                ref = values.get(f"{kind}_id")
                if isinstance(ref, tuple):
                    needed[kind].add(ref[2])
        for kind, names in needed.items():
            for name, pk in org_units_ensure(tenant_id=self.tenant_id, kind=kind, names=names).items():
                self.org_ids[(kind, name)] = pk
        for values in [v for _, v in self.creates] + [c for _, _, c in self.updates]:
            for kind in ORG_FIELDS:
                ref = values.get(f"{kind}_id")
                if isinstance(ref, tuple):
                    values[f"{kind}_id"] = self.org_ids[(kind, ref[2])]

    def write(self, *, deactivate_missing: bool) -> None:
        now = clock.now()
        self._resolve_org_ids()
        total = len(self.creates) + len(self.updates)
        key_to_id = self._insert_creates(now, total)
        self.created_ids = sorted(key_to_id.values())
        self.touched_ids.update(key_to_id.values())
        self._write_updates(now, len(self.creates), total)
        self._write_managers(key_to_id, now)
        if deactivate_missing:
            ids = self._deactivation_ids()
            for start in range(0, len(ids), BATCH):
                Person.objects.filter(tenant_id=self.tenant_id, pk__in=ids[start : start + BATCH]).update(
                    active=False, deactivated_at=now, updated_at=now
                )
            self.touched_ids.update(ids)
        if self.touched_ids:
            people_changed.send(
                sender=Person,
                tenant_id=self.tenant_id,
                person_ids=None if len(self.touched_ids) > 5000 else sorted(self.touched_ids),
            )

    def _insert_creates(self, now, total: int) -> dict[object, int]:
        """Insert the new people; returns their ids by row key.

        Where ids can be reserved up front (PostgreSQL), managers among the new rows are known before
        the insert, so each person is written once, by `COPY`; elsewhere `_write_managers` sets them
        afterwards.
        """
        fields = ["tenant", *COMPARED_FIELDS, "created_at", "updated_at", "deactivated_at"]
        reserved = reserve_ids(Person, len(self.creates))
        key_to_id: dict[object, int] = {}
        if reserved is not None:
            key_to_id = {("new", index): pid for (index, _), pid in zip(self.creates, reserved, strict=True)}
            fields = ["id", *fields, "manager"]
        for start in range(0, len(self.creates), BATCH * 5):
            batch = self.creates[start : start + BATCH * 5]
            rows = []
            for index, values in batch:
                row = (self.tenant_id, *(values[f] for f in COMPARED_FIELDS), now, now)
                row += (None if values["active"] else now,)
                if reserved is not None:
                    target = self.manager_changes.pop(("new", index), None)
                    row = (key_to_id[("new", index)], *row, key_to_id.get(target, target))
                rows.append(row)
            if reserved is not None:
                copy_rows(Person, fields, rows)
            else:
                ids_by_email = dict(bulk_insert_returning(Person, fields, rows, ["email", "id"]))
                key_to_id.update({("new", index): ids_by_email[values["email"]] for index, values in batch})
            self.progress("write", start + len(batch), total)
        return key_to_id

    def _write_updates(self, now, done: int, total: int) -> None:
        """One `UPDATE … FROM (VALUES …)` per set of changed columns (rows differ in what changed)."""
        by_fields: dict[tuple[str, ...], list[tuple]] = {}
        for _, pid, changed in self.updates:
            if "active" in changed:
                changed = changed | {"deactivated_at": None if changed["active"] else now}
            fields = tuple(sorted(changed))
            by_fields.setdefault(fields, []).append((pid, *(changed[f] for f in fields), now))
            self.touched_ids.add(pid)
        for fields, rows in by_fields.items():
            bulk_update_by_pk(Person, [*fields, "updated_at"], rows, tenant_id=self.tenant_id)
            done += len(rows)
            self.progress("write", done, total)

    def _write_managers(self, key_to_id: dict, now) -> None:
        rows = []
        for key, target in self.manager_changes.items():
            person_id = key_to_id.get(key, key)
            manager_id = key_to_id.get(target, target) if target is not None else None
            rows.append((person_id, manager_id, now))
            self.touched_ids.add(person_id)
        bulk_update_by_pk(Person, ["manager", "updated_at"], rows, tenant_id=self.tenant_id)
