"""The scheduler's notification services: expiry notices are written once and audited once per run by the
system; due reminders are claimed and written set-based (their behaviour is in scheduler/tests)."""

import datetime as dt

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.notifications.sweeps import expiry_notices_send
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, inbox, utc

NOW = utc("2026-06-15T09:00")


def test_expiry_notices_are_written_once_and_audited_once_by_the_system(admin, tenant, make_person):
    course = make_course(tenant)
    learners = [make_person(tenant) for _ in range(3)]
    for person in learners:
        assignment = assign_at(utc("2026-01-05T09:00"), admin, person, course, validity_months=12)
        Assignment.objects.filter(pk=assignment.pk).update(
            completed_at=utc("2025-07-01T09:00"), expires_at=NOW + dt.timedelta(days=29, hours=12), progress=100
        )

    assert expiry_notices_send(now=NOW) == 3
    assert all(len(inbox(person, "expiring")) == 1 for person in learners)
    [event] = AuditEvent.objects.filter(action="notification.expiry_notices")
    assert (event.actor_id, event.actor_label, event.after) == (None, "System", {"expiring": 3, "expired": 0})

    assert expiry_notices_send(now=NOW + dt.timedelta(hours=1)) == 0
    assert AuditEvent.objects.filter(action="notification.expiry_notices").count() == 1
