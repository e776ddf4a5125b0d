"""Clocks, scheduler ticks and inbox readers for the tests that depend on time (notifications, scheduler, policy, …)."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from duecourse.core import clock
from duecourse.notifications.models import Notification, ReminderSchedule
from duecourse.scheduler.tick import run_tick
from duecourse.testing.factories import assign, make_course

UTC = dt.UTC


def utc(text: str) -> dt.datetime:
    """'2026-03-29T23:00' → an aware UTC datetime."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def frozen_at(moment: dt.datetime):
    """An autouse fixture that runs each test of the module at `moment`: `frozen = frozen_at(NOW)`."""

    @pytest.fixture(autouse=True)
    def frozen():
        with time_machine.travel(moment, tick=False):
            yield

    return frozen


def tick(moment: dt.datetime):
    """One scheduler tick as if it were `moment` (what `duecourse worker --once --now` does)."""
    with clock.running_at(moment):
        return run_tick(now=moment)


def worker_once(moment: dt.datetime) -> None:
    call_command("worker", "--once", "--now", moment.isoformat())


def assign_at(moment: dt.datetime, actor, person, course=None, **fields):
    """Assign through the service as if it were `moment`."""
    with time_machine.travel(moment, tick=False):
        return assign(actor, person, course or make_course(actor.tenant), **fields)


def complete_at(api, person, course, when: str) -> None:
    """Report a completion of `course` through the progress API as if it were `when` ('2026-03-10T10:00:00', UTC)."""
    with time_machine.travel(utc(when), tick=False):
        response = api.post(
            "progress", {"person_id": person.pk, "course_id": course.pk, "progress": 100, "completed_at": when + "Z"}
        )
    assert response.status_code in (200, 201), response.content


def inbox(person, kind: str | None = None) -> list[Notification]:
    items = Notification.objects.filter(person=person).order_by("id")
    return list(items.filter(kind=kind) if kind else items)


def pending_reminders(assignment) -> list[tuple[str, str, dt.datetime]]:
    rows = ReminderSchedule.objects.filter(assignment=assignment, sent_at__isnull=True).order_by("remind_at")
    return [(r.rule_key, r.recipient_kind, r.remind_at) for r in rows]
