"""Expiry notices follow the assignments' sweeps: each is written once and the sweep that caused it is
audited once, by the system; due reminders are claimed and written set-based (their behaviour is in
scheduler/tests)."""

import datetime as dt

from duecourse.assignments.models import Assignment
from duecourse.assignments.sweeps import assignments_pass_expiries, assignments_recertify
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, inbox, utc

NOW = utc("2026-06-15T09:00")


def test_expiry_notices_are_written_once_and_audited_once_by_the_system(admin, tenant, make_person):
    course = make_course(tenant)
    learners = [make_person(tenant) for _ in range(3)]
    expires = NOW + dt.timedelta(days=29, hours=12)
    for person in learners:
        assignment = assign_at(utc("2026-01-05T09:00"), admin, person, course, validity_months=12)
        Assignment.objects.filter(pk=assignment.pk).update(
            completed_at=utc("2025-07-01T09:00"), expires_at=expires, progress=100
        )

    assert assignments_recertify(now=NOW) == 3
    assert all(len(inbox(person, "expiring")) == 1 for person in learners)
    [event] = AuditEvent.objects.filter(action="assignment.recertification")
    assert (event.actor_id, event.actor_label, event.after["reopened"]) == (None, "System", 3)
    assert assignments_recertify(now=NOW + dt.timedelta(hours=1)) == 0
    assert AuditEvent.objects.filter(action="assignment.recertification").count() == 1

    assert assignments_pass_expiries(now=expires - dt.timedelta(seconds=1)) == 0
    assert assignments_pass_expiries(now=expires) == 3
    assert all(len(inbox(person, "expired")) == 1 for person in learners)
    [event] = AuditEvent.objects.filter(action="assignment.expired")
    assert (event.actor_id, event.actor_label, event.after["expired"]) == (None, "System", 3)
    assert assignments_pass_expiries(now=expires + dt.timedelta(days=20)) == 0
    assert AuditEvent.objects.filter(action="assignment.expired").count() == 1
    assert all(len(inbox(person, "expiring")) == 1 for person in learners)
