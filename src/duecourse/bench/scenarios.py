"""Each scenario times real product code against a raw-SQL baseline doing the bare minimum, in the same run."""

import datetime as dt
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from duecourse.assignments import services as assignment_services
from duecourse.assignments.inputs import BulkAssignInput
from duecourse.assignments.models import Assignment, AssignmentOperation
from duecourse.bench.dataset import Dataset
from duecourse.core import clock
from duecourse.core.actors import SystemActor
from duecourse.notifications.models import Notification, OutboxMessage, ReminderPlanBacklog, ReminderSchedule
from duecourse.people.imports import people_import
from duecourse.people.models import Person
from duecourse.people.services import api_token_create, person_set_password
from duecourse.reports.at_risk import at_risk_counts_refresh
from duecourse.reports.selectors import compliance
from duecourse.scheduler.tick import run_tick


@dataclass
class Result:
    scenario: str
    size: int
    value: float
    unit: str
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        return round(self.value / self.baseline, 3) if self.baseline else None

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "size": self.size,
            "value": round(self.value, 6),
            "unit": self.unit,
            "baseline": round(self.baseline, 6) if self.baseline is not None else None,
            "ratio": self.ratio,
        }


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_of(repeat: int, run, reset=None) -> float:
    samples = []
    for _ in range(repeat):
        if reset:
            reset()
        samples.append(timed(run))
    return statistics.median(samples)


def _admin(ds: Dataset) -> Person:
    return Person.objects.get(pk=ds.admin_id)


def _clear_course(ds: Dataset, course_id: int) -> None:
    """Undo a bulk assignment of the spare course (not timed; its audit events stay, they are append-only)."""
    scope = "SELECT id FROM assignment WHERE tenant_id = %s AND target_type = 'course' AND target_id = %s"
    params = [ds.tenant_id, course_id]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fresh statistics, so the deletes use the indexes.
            cursor.execute("ANALYZE reminder_schedule, notification, assignment_source, assignment")
        cursor.execute(f"SELECT DISTINCT operation_id FROM assignment WHERE id IN ({scope})", params)
        op_ids = [row[0] for row in cursor.fetchall() if row[0] is not None]
        for table in ("reminder_schedule", "notification", "assignment_source"):
            cursor.execute(f"DELETE FROM {table} WHERE assignment_id IN ({scope})", params)  # noqa: S608
        cursor.execute(f"DELETE FROM assignment WHERE id IN ({scope})", params)  # noqa: S608
    AssignmentOperation.objects.filter(pk__in=op_ids).delete()
    ReminderPlanBacklog.objects.filter(tenant_id=ds.tenant_id, operation_id__in=op_ids).delete()
    if connection.vendor == "postgresql":
        # Reclaim the deleted rows, so the next run does not wade through their dead index entries.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE assignment, assignment_source, notification, reminder_schedule")


def _raw_insert_select(ds: Dataset, course_id: int, now: dt.datetime) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO assignment (tenant_id, person_id, target_type, target_id, priority, due_date_manual,
                due_explanation, note, reason, visibility, cycle, progress, estimated_minutes, withdrawn_reason,
                compliance_flag, assigned_at)
            SELECT %s, person_id, 'course', %s, 'medium', false, '', '', '', 'required', 1, 0, 0, '', false, %s
            FROM group_member WHERE group_id = %s
            """,
            [ds.tenant_id, course_id, now, ds.group_id],
        )


def bulk_scenarios(ds: Dataset, repeat: int) -> list[Result]:
    course = ds.spare_course_id
    admin = _admin(ds)
    data = BulkAssignInput.model_validate(
        {"targets": [{"type": "course", "id": course}], "assignees": {"group_ids": [ds.group_id]}, "due_in_days": 30}
    )
    dry_run = data.model_copy(update={"dry_run": True})
    now = clock.now()
    baseline = median_of(repeat, lambda: _raw_insert_select(ds, course, now), reset=lambda: _clear_course(ds, course))
    _clear_course(ds, course)
    bulk = median_of(
        repeat, lambda: assignment_services.bulk_assign(actor=admin, data=data), reset=lambda: _clear_course(ds, course)
    )
    repeat_call = median_of(repeat, lambda: assignment_services.bulk_assign(actor=admin, data=data))
    preview = median_of(repeat, lambda: assignment_services.bulk_assign(actor=admin, data=dry_run))
    # Everyone already holds it through the group; a second call (everyone, a note, a higher priority)
    # adds a source to every held row and recomputes their effective terms.
    second = BulkAssignInput.model_validate(
        {
            "targets": [{"type": "course", "id": course}],
            "assignees": {"everyone": True},
            "due_in_days": 30,
            "priority": "high",
            "note": "Refresher for everyone",
        }
    )

    def held_through_the_group() -> None:
        _clear_course(ds, course)
        assignment_services.bulk_assign(actor=admin, data=data)

    second_source = median_of(
        repeat, lambda: assignment_services.bulk_assign(actor=admin, data=second), reset=held_through_the_group
    )
    _clear_course(ds, course)
    return [
        Result("bulk_assign", ds.people, bulk, "s", baseline),
        Result("bulk_assign_repeat", ds.people, repeat_call, "s", baseline),
        Result("bulk_preview", ds.people, preview, "s", baseline),
        Result("bulk_assign_second_source", ds.people, second_source, "s", baseline),
    ]


def plan_due_reminders(ds: Dataset, count: int, now: dt.datetime) -> int:
    """Schedule `count` reminders due just before `now` on open, not completed assignments (set-based)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO reminder_schedule (tenant_id, assignment_id, cycle, rule_key, recipient_kind, kind, template,
                due_date, remind_at, skipped)
            SELECT tenant_id, id, cycle, %s, 'learner', 'reminder', '', due_date, %s, false
            FROM assignment WHERE tenant_id = %s AND completed_at IS NULL AND withdrawn_at IS NULL
              AND due_date IS NOT NULL
            ORDER BY id LIMIT {int(count)}
            """,
            [f"bench:{uuid.uuid4().hex[:8]}", now - dt.timedelta(minutes=1), ds.tenant_id],
        )
        return cursor.rowcount


def tick_scenarios(ds: Dataset, reminders: int, repeat: int) -> list[Result]:
    open_count = Assignment.objects.filter(tenant_id=ds.tenant_id, withdrawn_at__isnull=True).count()
    # Settle first: the synthetic tenant is born with overdue items whose one-time escalation nudges
    # would otherwise land in the first timed tick.
    run_tick(now=clock.now(), deliver=False)
    _reset_tick_outputs(ds)
    _analyze()
    samples = []
    for _ in range(repeat):
        now = clock.now()
        plan_due_reminders(ds, reminders, now)
        with clock.running_at(now):
            samples.append(timed(lambda now=now: run_tick(now=now, deliver=False)))
        _reset_tick_outputs(ds)
    due = statistics.median(samples)
    now = clock.now()
    run_tick(now=now)  # settle anything left (periodic jobs) so the idle tick is idle
    idle = median_of(max(repeat, 3), lambda: run_tick(now=clock.now(), deliver=False))
    return [Result("tick_due", open_count, due, "s"), Result("tick_idle", open_count, idle, "s")]


def _analyze() -> None:
    """Fresh planner statistics, as autovacuum would have them minutes after a bulk load (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _reset_tick_outputs(ds: Dataset) -> None:
    """Drop what a timed tick wrote (not timed); sent escalation rows stay, as they would in production."""
    with transaction.atomic():
        Notification.objects.filter(tenant_id=ds.tenant_id).delete()
        OutboxMessage.objects.filter(tenant_id=ds.tenant_id).delete()
        ReminderSchedule.objects.filter(tenant_id=ds.tenant_id, rule_key__startswith="bench:").delete()


def compliance_scenario(ds: Dataset, repeat: int) -> Result:
    admin = _admin(ds)
    total = Assignment.objects.filter(tenant_id=ds.tenant_id).count()
    return Result("compliance_report", total, median_of(repeat, lambda: compliance(actor=admin, by="department")), "s")


def import_scenarios(people: int, tenant_name: str, repeat: int) -> list[Result]:
    from duecourse.people.services import tenant_create

    _, admin = tenant_create(name=tenant_name, admin_email="admin@import.bench.test")
    rows = [
        {
            "email": f"i{i}@import.bench.test",
            "name": f"Imported {i}",
            "external_id": f"X{i}",
            "department": f"Department {i % 20:02d}",
            "site": f"Site {i % 10:02d}",
            "region": ("EMEA", "Americas")[i % 2],
            "job_title": "Staff",
            "hire_date": "2024-01-01",
            "manager_email": f"i{i // 20}@import.bench.test" if i >= 20 else "",
        }
        for i in range(people)
    ]
    from duecourse.groups.inputs import GroupInput
    from duecourse.groups.services import group_create

    group_create(
        actor=admin,
        data=GroupInput(
            name="Imported Dept 01",
            kind="dynamic",
            rule={"all": [{"field": "department", "op": "eq", "value": "Department 01"}]},
        ),
    )
    first = timed(lambda: people_import(actor=admin, rows=rows))
    unchanged = median_of(repeat, lambda: people_import(actor=admin, rows=rows))
    return [Result("import_people", people, first, "s"), Result("import_people_unchanged", people, unchanged, "s")]


# --- HTTP scenarios against the real server --------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(database_url: str):
    port = _free_port()
    env = {
        **os.environ,
        "DUECOURSE_DATABASE_URL": database_url,
        "DUECOURSE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "duecourse.config.settings",
    }
    # The benchmark process itself runs without a connection pool; the server runs as deployed (pooled).
    env.pop("DUECOURSE_DB_POOL", None)
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [
            sys.executable,
            "-m",
            "duecourse.config.cli",
            "serve",
            "--no-worker",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/xapi/about", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _request(url: str, token: str, body: bytes | None = None) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback http only
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        response.read()
        if response.status >= 400:
            raise RuntimeError(f"{url} answered {response.status}")
    return time.perf_counter() - started


def latency_p95(
    url: str, token: str, requests: int, concurrency: int = 4, cookie: str = "", server_time: bool = False
) -> float:
    """p95 over every request of `concurrency` keep-alive clients, run in a process of their own so the
    load generator does not share this process's GIL (or steal its time) while it measures the server:
    the latency the clients saw, or with `server_time` the server's own time (its Server-Timing header,
    what the performance targets for pages name), which leaves out the wait for a free server process."""
    command = [sys.executable, "-m", "duecourse.bench.load", url, "--requests", str(requests)]
    done = subprocess.run(  # noqa: S603 - our own module
        [*command, "--concurrency", str(concurrency)],
        env={**os.environ, "DUECOURSE_BENCH_TOKEN": token, **({"DUECOURSE_BENCH_COOKIE": cookie} if cookie else {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed on {url}: {done.stderr.strip()[-2000:]}")
    measured = json.loads(done.stdout)
    latencies = sorted(measured["server" if server_time else "latency"])
    if not latencies:
        raise RuntimeError(f"{url} sent no Server-Timing header")
    return latencies[int(0.95 * (len(latencies) - 1))] * 1000


def session_cookie(person: Person) -> str:
    """A signed-in session for `person` (as the login form makes one), as a Cookie header's value."""
    if person.user is None:
        person_set_password(person=person, password=secrets.token_urlsafe(24), enforce_policy=False)
        person.refresh_from_db()
    assert person.user is not None
    client = Client()
    client.force_login(person.user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def http_scenarios(ds: Dataset, database_url: str, requests: int, batches: int) -> list[Result]:
    learner = Person.objects.get(pk=ds.learner_id)
    manager = Person.objects.get(pk=ds.manager_id)
    admin = _admin(ds)
    _, learner_token = api_token_create(actor=SystemActor(tenant_id=learner.tenant_id), person=learner, name="bench")
    _, manager_token = api_token_create(actor=SystemActor(tenant_id=manager.tenant_id), person=manager, name="bench")
    _, admin_token = api_token_create(actor=SystemActor(tenant_id=admin.tenant_id), person=admin, name="bench")
    total = Assignment.objects.filter(tenant_id=ds.tenant_id).count()
    with running_server(database_url) as base:
        mine = latency_p95(f"{base}/api/v1/me/assignments?limit=10", learner_token, requests)
        team = latency_p95(f"{base}/api/v1/reports/team-status?manager_id={manager.pk}", manager_token, requests)
        admin_cookie = session_cookie(admin)
        admin_cookie, manager_cookie, learner_cookie = (session_cookie(p) for p in (admin, manager, learner))
        # The server runs without its worker here: count what the worker keeps fresh (every 10 minutes) for
        # the overview and the dashboard, as a running worker would have.
        at_risk_counts_refresh(now=clock.now())

        def page_p95(path: str, cookie: str) -> float:
            """A page of the workspace as it is first shown; its target is the server's own time."""
            return latency_p95(f"{base}{path}", "", requests, cookie=cookie, server_time=True)

        tasks = page_p95("/tasks/", admin_cookie)
        # The pages HR and leadership open every Monday: the compliance dashboard, the home overview and a
        # manager's team page; and the learner's own list.
        compliance_page = page_p95("/reports/compliance/", admin_cookie)
        overview_page = page_p95("/", admin_cookie)
        team_page = page_p95("/team/", manager_cookie)
        my_learning_page = page_p95("/learning/", learner_cookie)
        people = list(
            Person.objects.filter(tenant_id=ds.tenant_id, pk__gte=ds.base_person_id).values_list("email", flat=True)[
                :500
            ]
        )
        course_url = f"https://lms.bench.test/course/{0}"
        statements = 0
        started = time.perf_counter()
        for b in range(batches):
            batch = [
                {
                    "id": str(uuid.uuid4()),
                    "actor": {"mbox": f"mailto:{people[(b * 100 + i) % len(people)]}"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/progressed"},
                    "object": {"id": course_url},
                    "result": {"score": {"scaled": 0.5}},
                }
                for i in range(100)
            ]
            _request(f"{base}/api/v1/xapi/statements", admin_token, json.dumps(batch).encode())
            statements += len(batch)
        rate = statements / (time.perf_counter() - started)
    return [
        Result("my_assignments_p95", total, mine, "ms"),
        Result("team_view_p95", total, team, "ms"),
        Result("page_mandatory_tasks_p95", total, tasks, "ms"),
        Result("page_compliance_p95", total, compliance_page, "ms"),
        Result("page_overview_p95", total, overview_page, "ms"),
        Result("page_team_p95", total, team_page, "ms"),
        Result("page_my_learning_p95", total, my_learning_page, "ms"),
        Result("xapi_ingest", statements, rate, "statements/s"),
    ]


def worker_rss_scenario(ds: Dataset, database_url: str, reminders: int) -> Result:
    """Peak RSS of a real `duecourse worker --once` process running the big tick."""
    now = clock.now()
    plan_due_reminders(ds, reminders, now)
    env = {
        **os.environ,
        "DUECOURSE_DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "duecourse.config.settings",
        "DUECOURSE_EMAIL_URL": "console://",
    }
    worker = [sys.executable, "-m", "duecourse.config.cli", "worker", "--once", "--now", now.isoformat()]
    # Through a small launcher: a direct child of this (large) process would report our size, not its own.
    launcher = [sys.executable, "-m", "duecourse.bench.peak_memory", "--", *worker]
    measured = json.loads(subprocess.run(launcher, env=env, capture_output=True, text=True, check=True).stdout)  # noqa: S603
    _reset_tick_outputs(ds)
    if measured["exit"] != 0:
        raise RuntimeError(f"the worker exited with {measured['exit']}")
    total = Assignment.objects.filter(tenant_id=ds.tenant_id, withdrawn_at__isnull=True).count()
    return Result("worker_peak_rss", total, measured["peak_rss_mb"], "MB")


def database_url_of_connection() -> str:
    """A URL for the current default database, so subprocesses use the very same one."""
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgresql://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
