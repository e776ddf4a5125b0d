import json
from pathlib import Path
from typing import TextIO, cast

from django.core.management.base import CommandError
from tqdm import tqdm

from duecourse.core.management.base import DuecourseCommand
from duecourse.people import roles
from duecourse.people.imports import parse_people_csv, people_import
from duecourse.people.models import Person
from duecourse.people.services import tenant_by_name

PROGRESS_BAR_MIN_ROWS = 1000


class Command(DuecourseCommand):
    help = (
        "Import people from a CSV file: an idempotent upsert keyed by external_id, then email. "
        "Columns: email,name,external_id,manager_email,manager_id,department,site,region,job_title,"
        "hire_date,timezone,locale,active,roles. Prints a JSON summary on stdout; exits with status 1 "
        "when any row failed (the valid rows are still imported unless --dry-run)."
    )
    requires_system_checks = []  # like createsuperuser: an operator command that needs no URL/model checks

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a UTF-8 CSV file with a header line.")
        parser.add_argument("--tenant", required=True, help="Tenant name.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument(
            "--deactivate-missing", action="store_true", help="Deactivate active people not in the file."
        )
        parser.add_argument("--as-email", default=None, help="Admin the import is recorded as (default: first admin).")

    def handle(self, *args, **options):
        tenant = tenant_by_name(options["tenant"])
        if tenant is None:
            raise CommandError(f"--tenant: no tenant named {options['tenant']!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"FILE: {path} does not exist")
        admins = Person.objects.filter(roles.holders_condition("admin"), tenant=tenant).order_by("id")
        if options["as_email"]:
            admins = admins.filter(email=options["as_email"].lower())
        actor = admins.first()
        if actor is None:
            raise CommandError("--as-email: the tenant has no such active admin to record the import as")
        rows = parse_people_csv(path.read_bytes())
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                # Only large files get a bar, and only on a terminal (tqdm's disable=None).
                bar = bars[stage] = tqdm(
                    total=total,
                    desc=stage,
                    unit="rows",
                    file=cast(TextIO, self.stderr._out),  # the real stream: tqdm redraws in place
                    leave=True,
                    disable=None if total >= PROGRESS_BAR_MIN_ROWS else True,
                )
            bar.update(done - bar.n)

        result = people_import(
            actor=actor,
            rows=rows,
            dry_run=options["dry_run"],
            deactivate_missing=options["deactivate_missing"],
            progress=progress,
        )
        for bar in bars.values():
            bar.close()
        self.stdout.write(json.dumps(result.as_dict(), indent=2, default=str))
        if result.failed:
            raise CommandError(f"{len(result.failed)} row(s) failed; see 'failed' above", returncode=1)
