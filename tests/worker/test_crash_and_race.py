"""Workers as real processes on PostgreSQL: two racing over the same due work, and one killed mid-tick.

Either way every reminder reaches the inbox exactly once, every person gets exactly one email row, and
every email reaches the SMTP server; a second copy can only come from a worker killed between the
server's acceptance and the commit that marks the email sent (the documented at-least-once boundary,
same Message-ID).
"""

import asyncio
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection

from duecourse.assignments import services
from duecourse.assignments.inputs import BulkAssignInput
from duecourse.core import clock
from duecourse.notifications.delivery import compose_emails
from duecourse.notifications.models import EMAIL_SENT, Notification, OutboxMessage, ReminderSchedule
from duecourse.notifications.sweeps import reminders_send_due
from duecourse.people.models import Person
from duecourse.testing.factories import make_course, target

pytestmark = [
    pytest.mark.slow,  # worker processes
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DUECOURSE_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (DUECOURSE_TEST_DATABASE_URL): the SQLite test database lives in memory, "
        "invisible to worker processes, and SQLite deployments run a single worker",
    ),
]

_script = Path(sys.executable).with_name("duecourse")
DUECOURSE = [str(_script)] if _script.exists() else [sys.executable, "-m", "duecourse.config.cli"]
ASSIGNED_AT = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
REMINDER_AT = dt.datetime(2026, 3, 17, 0, 0, tzinfo=dt.UTC)  # due 20 Mar, learners in UTC


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(tmp_path: Path, smtp_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUECOURSE_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DUECOURSE_DATA_DIR=str(tmp_path),
        DUECOURSE_DATABASE_URL=database_url(),
        DUECOURSE_DB_POOL="0",
        DUECOURSE_EMAIL_URL=smtp_url,
        DUECOURSE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def start_worker(env: dict, now: dt.datetime, log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [*DUECOURSE, "worker", "--once", "--now", now.isoformat()],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def due_reminders(tenant, admin):
    """`count` learners whose default reminder (3 days before 20 Mar) is due at REMINDER_AT; no other mail pending."""

    def build(count: int) -> list[Person]:
        Person.objects.bulk_create(
            [Person(tenant=tenant, email=f"l{i}@acme.test", name=f"Learner {i}") for i in range(count)]
        )
        with time_machine.travel(ASSIGNED_AT, tick=False):
            services.bulk_assign(
                actor=admin,
                data=BulkAssignInput.model_validate(
                    {
                        "targets": [target(make_course(tenant))],
                        "assignees": {"everyone": True},
                        "due_date": "2026-03-20",
                    }
                ),
            )
        Notification.objects.update(email_state="skipped")  # the "assigned" emails are not what this is about
        return list(Person.objects.filter(tenant=tenant))  # everyone: the learners and the admin

    return build


def assert_exactly_once(
    learners: list[Person], smtp_server, *, tolerated_duplicates: int = 0, log: Path | None = None
) -> None:
    try:
        _assert_exactly_once(learners, smtp_server, tolerated_duplicates)
    except AssertionError as failure:  # the workers' own account of their ticks says why
        raise AssertionError(f"{failure}\n--- workers' log ---\n{log.read_text() if log else ''}") from None


def _assert_exactly_once(learners: list[Person], smtp_server, tolerated_duplicates: int) -> None:
    reminders = Notification.objects.filter(kind="reminder")
    assert reminders.count() == len(learners)
    assert Counter(reminders.values_list("person_id", flat=True)) == Counter({p.pk: 1 for p in learners})
    rows = ReminderSchedule.objects.filter(rule_key="r0:3")
    assert rows.count() == len(learners) and not rows.filter(sent_at__isnull=True).exists()
    assert not Notification.objects.filter(email_state="pending").exists()

    outbox = OutboxMessage.objects.all()
    assert outbox.count() == len(learners)
    assert Counter(outbox.values_list("to_email", flat=True)) == Counter({p.email: 1 for p in learners})
    assert set(outbox.values_list("state", flat=True)) == {"sent"}
    expected = {f"<outbox-{m.tenant_id}-{m.pk}@duecourse>" for m in outbox}
    received = Counter(smtp_server.handler.message_ids())
    assert set(received) == expected, "every email arrives"
    extra = sum(n - 1 for n in received.values())
    assert extra <= tolerated_duplicates, f"{extra} duplicate deliveries"


def run_together(env: dict, now: dt.datetime, log: Path, count: int = 2) -> None:
    workers = [start_worker(env, now, log) for _ in range(count)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, log.read_text()


def test_two_workers_racing_send_every_reminder_exactly_once(due_reminders, smtp_server, tmp_path):
    learners = due_reminders(150)
    env = worker_env(tmp_path, smtp_server.url)
    log = tmp_path / "workers.log"
    run_together(env, REMINDER_AT + dt.timedelta(minutes=5), log)
    # Whatever the interleaving, nothing went out twice: one reminder and at most one email per person.
    reminders = Notification.objects.filter(kind="reminder")
    assert not [p for p, n in Counter(reminders.values_list("person_id", flat=True)).items() if n > 1], log.read_text()
    assert not [m for m, n in Counter(smtp_server.handler.message_ids()).items() if n > 1], log.read_text()
    # Later ticks of both workers finish whatever the race left to the next tick (a worker that found the
    # composing lock taken leaves its freshly committed reminders for it; an SMTP hiccup waits out its
    # backoff) and send nothing twice.
    run_together(env, REMINDER_AT + dt.timedelta(hours=5), log)
    assert_exactly_once(learners, smtp_server, log=log)
    run_together(env, REMINDER_AT + dt.timedelta(hours=6), log)
    assert_exactly_once(learners, smtp_server, log=log)


def test_two_workers_racing_over_the_same_outbox_deliver_each_email_once(due_reminders, smtp_server, tmp_path):
    learners = due_reminders(90)
    with clock.running_at(REMINDER_AT):
        reminders_send_due(now=REMINDER_AT)
        compose_emails(now=REMINDER_AT)
    assert OutboxMessage.objects.filter(state="pending").count() == len(learners)
    env = worker_env(tmp_path, smtp_server.url)
    log = tmp_path / "workers.log"
    run_together(env, REMINDER_AT + dt.timedelta(minutes=5), log, count=3)
    assert_exactly_once(learners, smtp_server, log=log)
    delivered = [int(n) for n in re.findall(r"deliver=(\d+)", log.read_text())]
    assert sum(delivered) == len(learners)


def test_a_worker_killed_mid_tick_then_restarted_loses_nothing_and_doubles_nothing(
    due_reminders, smtp_server, tmp_path
):
    learners = due_reminders(300)
    original = smtp_server.handler.handle_DATA

    async def slow_data(server, session, envelope):
        await asyncio.sleep(0.004)
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = slow_data
    env = worker_env(tmp_path, smtp_server.url)
    log = tmp_path / "worker.log"
    sent = OutboxMessage.objects.filter(state="sent")
    kill_points = [
        ("reminders committed, composing or delivering", lambda: Notification.objects.filter(kind="reminder").exists()),
        ("delivering", lambda: sent.count() >= 40),
        ("delivering again", lambda: sent.count() >= 120),
    ]
    for _, reached in kill_points:
        worker = start_worker(env, REMINDER_AT + dt.timedelta(minutes=5), log)
        deadline = time.monotonic() + 60
        while not reached() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.poll() is None, f"the worker finished before the kill point:\n{log.read_text()}"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    kills = len(kill_points)
    assert 0 < sent.count() < len(learners), "the kills landed in the middle of the work"
    # Restarted after any backoff has passed, it finishes the job.
    finisher = start_worker(env, REMINDER_AT + dt.timedelta(hours=2), log)
    assert finisher.wait(timeout=180) == 0, log.read_text()
    assert_exactly_once(learners, smtp_server, tolerated_duplicates=kills, log=log)


def test_two_workers_fan_out_big_operations_once_and_every_notice_reaches_an_email(tenant, admin, tmp_path):
    """Operations over 1,000 assignments leave their inbox rows to the worker: with two workers racing
    over two such operations, each person gets each "assigned" notice once, and every notice is in
    an email that exists (composing while the other worker writes new notices loses none)."""
    people = Person.objects.bulk_create(
        [Person(tenant=tenant, email=f"big{i}@acme.test", name=f"Big {i}") for i in range(1001)]
    )
    courses = [make_course(tenant, title=f"Course {n}") for n in range(2)]
    with time_machine.travel(ASSIGNED_AT, tick=False):
        for course in courses:
            result = services.bulk_assign(
                actor=admin,
                data=BulkAssignInput.model_validate(
                    {"targets": [target(course)], "assignees": {"everyone": True}, "due_date": "2026-03-20"}
                ),
            )
            assert result.created == len(people) + 1  # and the admin
    assert not Notification.objects.exists()  # nothing written inline for a big operation

    env = worker_env(tmp_path, "console://")
    run_together(env, ASSIGNED_AT + dt.timedelta(minutes=1), tmp_path / "workers.log")
    # Whatever one worker fanned out while the other held the composing turn goes in the next tick.
    run_together(env, ASSIGNED_AT + dt.timedelta(minutes=2), tmp_path / "workers.log")

    assigned = Notification.objects.filter(kind="assigned")
    assert assigned.count() == 2 * (len(people) + 1)
    assert set(Counter(assigned.values_list("person_id", "assignment__target_id")).values()) == {1}
    assert not assigned.exclude(email_state=EMAIL_SENT).exists(), "every notice is put in an email"
    keys = set(assigned.values_list("email_key", flat=True))
    emails = dict(OutboxMessage.objects.values_list("dedup_key", "to_email"))
    assert keys <= set(emails), "a notice marked as emailed without its email"
    for person_id, key in assigned.values_list("person__email", "email_key")[:50]:
        assert emails[key] == person_id
