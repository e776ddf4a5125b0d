import json
import os
import sys
import tempfile

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from duecourse.bench import dataset, scenarios
from duecourse.core import clock
from duecourse.core.management.base import DuecourseCommand

TARGETS = {
    "bulk_assign": "≤ 2.0 × baseline",
    "bulk_assign_repeat": "≤ 0.5 × baseline",
    "bulk_preview": "≤ 1.0 × baseline",
    "tick_due": "≤ 3 s",
    "tick_idle": "≤ 0.1 s",
    "my_assignments_p95": "≤ 15 ms",
    "team_view_p95": "≤ 30 ms",
    "page_mandatory_tasks_p95": "< 200 ms",
    "page_compliance_p95": "< 200 ms",
    "page_overview_p95": "< 200 ms",
    "page_team_p95": "< 200 ms",
    "page_my_learning_p95": "< 200 ms",
    "compliance_report": "≤ 1 s",
    "xapi_ingest": "≥ 1,000 /s",
    "import_people": "≤ 15 s",
    "import_people_unchanged": "≤ 5 s",
    "worker_peak_rss": "≤ 300 MB",
}
# The embedded default's target (performance.md): a 5,000-person company, every scenario under a second.
SQLITE_TARGET = "< 1 s (SQLite, 5,000 people)"


class Command(DuecourseCommand):
    help = (
        "Benchmark duecourse on a synthetic tenant it builds itself (people with managers, org units, a group, "
        "courses, about 10 assignments per person), against raw-SQL baselines in the same run. Prints a table and "
        "optionally writes JSON. Use an empty database: `--database postgresql://…/bench` (default: a temporary "
        "SQLite file)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=5000, help="People in the synthetic tenant (default 5000).")
        parser.add_argument(
            "--database", default=None, help="Database URL to benchmark (default: a temporary SQLite file)."
        )
        parser.add_argument("--json", dest="json_path", default=None, help="Write the results as JSON to this file.")
        parser.add_argument("--repeat", type=int, default=3, help="Repetitions per scenario; the median is reported.")
        parser.add_argument(
            "--reminders", type=int, default=None, help="Reminders due in the tick (default people/10)."
        )
        parser.add_argument("--requests", type=int, default=200, help="HTTP requests per latency scenario.")
        parser.add_argument("--xapi-batches", type=int, default=20, help="Batches of 100 xAPI statements to send.")
        parser.add_argument("--skip-http", action="store_true", help="Skip the scenarios that need the HTTP server.")

    def handle(self, *args, **options):
        if options["people"] < 100 or options["people"] > 2_000_000:
            raise CommandError("--people: must be from 100 to 2,000,000")
        if options["repeat"] < 1:
            raise CommandError("--repeat: must be at least 1")
        wanted = options["database"] or os.environ.get("DUECOURSE_BENCH_DATABASE_URL")
        if not wanted:
            wanted = f"sqlite:///{tempfile.mkdtemp(prefix='duecourse-bench-')}/bench.sqlite3"
        if os.environ.get("DUECOURSE_DATABASE_URL") != wanted:
            self._reexec(wanted)
            return
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        self.stderr.write(f"database: {scenarios.database_url_of_connection().split('@')[-1]}")
        call_command("migrate", verbosity=0)
        people, repeat = options["people"], options["repeat"]
        reminders = options["reminders"] or max(10, people // 10)
        now = clock.now()
        self.stderr.write(f"building a synthetic tenant of {people} people …")
        ds = dataset.build(
            people=people, name=f"bench {now:%Y%m%d-%H%M%S}", now=now, progress=lambda m: self.stderr.write(f"  {m}")
        )
        results = []
        steps = [
            ("bulk assignment", lambda: scenarios.bulk_scenarios(ds, repeat)),
            ("scheduler tick", lambda: scenarios.tick_scenarios(ds, reminders, repeat)),
            ("compliance report", lambda: [scenarios.compliance_scenario(ds, repeat)]),
            ("people import", lambda: scenarios.import_scenarios(people, f"bench import {now:%Y%m%d-%H%M%S}", repeat)),
        ]
        if not options["skip_http"]:
            url = scenarios.database_url_of_connection()
            steps.append(
                (
                    "HTTP (real server)",
                    lambda: scenarios.http_scenarios(ds, url, options["requests"], options["xapi_batches"]),
                )
            )
            steps.append(("worker memory", lambda: [scenarios.worker_rss_scenario(ds, url, reminders)]))
        for index, (label, step) in enumerate(steps, start=1):
            self.stderr.write(f"[{index}/{len(steps)}] {label} …")
            results.extend(step())
        self._print_table(results)
        if options["json_path"]:
            with open(options["json_path"], "w") as handle:
                json.dump([r.as_dict() for r in results], handle, indent=2)
            self.stderr.write(f"wrote {options['json_path']}")

    def _reexec(self, database_url: str) -> None:
        env = {
            **os.environ,
            "DUECOURSE_DATABASE_URL": database_url,
            "DUECOURSE_BENCH_DATABASE_URL": database_url,
            "DUECOURSE_DB_POOL": "0",
            "DJANGO_SETTINGS_MODULE": "duecourse.config.settings",
        }
        argv = (
            [sys.executable, "-m", "duecourse.config.cli", "bench", *sys.argv[2:]]
            if sys.argv[1:2] == ["bench"]
            else None
        )
        if argv is None:
            raise CommandError("run the benchmark as `duecourse bench …`")
        os.execve(sys.executable, argv, env)  # noqa: S606 - replaces this process with the same command

    def _print_table(self, results) -> None:
        targets = dict(TARGETS)
        if connection.vendor != "postgresql":
            timed = [r.scenario for r in results if r.unit in ("s", "ms")]
            targets.update(dict.fromkeys(timed, SQLITE_TARGET))
        header = f"{'scenario':<26}{'size':>10}{'value':>12} {'unit':<13}{'baseline':>10}{'ratio':>8}  target"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in results:
            baseline = f"{r.baseline:.3f}" if r.baseline is not None else "-"
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
            self.stdout.write(
                f"{r.scenario:<26}{r.size:>10}{r.value:>12.3f} {r.unit:<13}{baseline:>10}{ratio:>8}  "
                f"{targets.get(r.scenario, '')}"
            )
