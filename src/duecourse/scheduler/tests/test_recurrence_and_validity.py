"""Recurring training comes back at the previous due date; completions with a validity come back for
recertification before they run out, with notice (more in test_recertification.py)."""

import datetime as dt

import pytest
import time_machine

from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, inbox, pending_reminders, tick, utc
from duecourse.testing.scheduling import complete_at as complete


@pytest.fixture
def learner(tenant, make_person):
    return make_person(tenant, timezone="Europe/London", name="Lena Learner")


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Forklift safety")


def read(api, assignment, when: dt.datetime) -> dict:
    with time_machine.travel(when, tick=False):
        return api.get(f"assignments/{assignment.pk}").json()


def test_recurrence_reopens_at_the_previous_due_date_with_a_new_cycle(admin, admin_api, learner, course):
    assignment = assign_at(utc("2026-02-01T09:00"), admin, learner, course, due_date="2026-03-20", recurrence_weeks=4)
    complete(admin_api, learner, course, "2026-03-10T10:00:00")

    tick(utc("2026-03-17T00:30"))  # the cycle-1 reminder day: completed, so nothing is sent
    tick(utc("2026-03-20T23:30"))  # 20 Mar ends at 00:00 GMT on 21 Mar
    body = read(admin_api, assignment, utc("2026-03-20T23:30"))
    assert (body["status"], body["cycle"], body["due_date"]) == ("completed", 1, "2026-03-20")

    tick(utc("2026-03-21T00:05"))
    body = read(admin_api, assignment, utc("2026-03-21T00:05"))
    assert (body["status"], body["cycle"], body["due_date"]) == ("assigned", 2, "2026-04-17")
    assert body["completed_at"] is None and body["progress"] == 0
    [again] = inbox(learner, "recurrence")
    assert again.assignment_id == assignment.pk
    assert inbox(learner, "reminder") == []

    # Reminders run again for the new cycle: 14 Apr is BST, so local midnight is 23:00 UTC on 13 Apr.
    assert pending_reminders(assignment)[0] == ("r0:3", "learner", utc("2026-04-13T23:00"))
    tick(utc("2026-04-13T23:05"))
    tick(utc("2026-04-14T23:05"))
    [reminder] = inbox(learner, "reminder")
    assert reminder.assignment_id == assignment.pk
    tick(utc("2026-04-21T00:05"))
    assert len(inbox(learner, "recurrence")) == 1
    assert read(admin_api, assignment, utc("2026-04-21T00:05"))["status"] == "overdue"


def test_late_completion_starts_the_next_cycle_from_the_previous_due_date(admin, admin_api, learner, course):
    assignment = assign_at(utc("2026-02-01T09:00"), admin, learner, course, due_date="2026-03-20", recurrence_weeks=52)
    complete(admin_api, learner, course, "2026-03-25T10:00:00")
    tick(utc("2026-03-25T11:00"))
    body = read(admin_api, assignment, utc("2026-03-25T11:00"))
    assert (body["status"], body["cycle"], body["due_date"]) == ("assigned", 2, "2027-03-19")
    tick(utc("2026-03-26T11:00"))
    assert len(inbox(learner, "recurrence")) == 1


def test_validity_reopens_for_recertification_with_notice_and_expires_with_notice(admin, admin_api, learner, course):
    assignment = assign_at(utc("2026-02-01T09:00"), admin, learner, course, due_date="2026-03-20", validity_months=12)
    complete(admin_api, learner, course, "2026-03-10T10:00:00")
    body = admin_api.get(f"assignments/{assignment.pk}").json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires == utc("2027-03-10T10:00")

    tick(expires - dt.timedelta(days=31))
    assert inbox(learner, "expiring") == []
    assert read(admin_api, assignment, expires - dt.timedelta(days=31))["status"] == "completed"
    tick(expires - dt.timedelta(days=30) + dt.timedelta(hours=1))
    tick(expires - dt.timedelta(days=29))
    assert len(inbox(learner, "expiring")) == 1
    body = read(admin_api, assignment, expires - dt.timedelta(days=29))
    assert (body["status"], body["cycle"], body["due_date"]) == ("assigned", 2, "2027-03-10")
    assert (body["completed_at"], body["expires_at"]) == (None, "2027-03-10T10:00:00Z")

    tick(expires - dt.timedelta(minutes=1))
    assert inbox(learner, "expired") == []
    tick(expires + dt.timedelta(minutes=5))
    tick(expires + dt.timedelta(days=1))
    assert len(inbox(learner, "expired")) == 1
    # Due on the expiry date: overdue once that day has ended in London (midnight GMT).
    assert read(admin_api, assignment, utc("2027-03-10T23:59"))["status"] == "assigned"
    assert read(admin_api, assignment, utc("2027-03-11T00:01"))["status"] == "overdue"
    assert len(inbox(learner, "expiring")) == 1


def test_a_new_cycle_is_not_completed_by_the_previous_cycles_completion(admin, admin_api, learner, course):
    assignment = assign_at(utc("2026-02-01T09:00"), admin, learner, course, due_date="2026-03-20", recurrence_weeks=4)
    complete(admin_api, learner, course, "2026-03-10T10:00:00")
    tick(utc("2026-03-21T00:05"))
    with time_machine.travel(utc("2026-03-25T09:00"), tick=False):
        admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 40})
    body = read(admin_api, assignment, utc("2026-03-25T09:00"))
    assert (body["status"], body["cycle"], body["progress"]) == ("in_progress", 2, 40)

    complete(admin_api, learner, course, "2026-04-02T10:00:00")
    body = read(admin_api, assignment, utc("2026-04-02T11:00"))
    assert (body["status"], body["cycle"]) == ("completed", 2)
    assert body["completed_at"].startswith("2026-04-02")


def test_an_earlier_due_date_from_a_new_source_moves_the_pending_reminders(admin, admin_api, learner, course):
    assignment = assign_at(utc("2026-02-01T09:00"), admin, learner, course, due_date="2026-03-20")
    assert pending_reminders(assignment)[0][2] == utc("2026-03-17T00:00")
    with time_machine.travel(utc("2026-02-02T09:00"), tick=False):
        response = admin_api.post(
            "assignments/bulk",
            {
                "targets": [{"type": "course", "id": course.pk}],
                "assignees": {"person_ids": [learner.pk]},
                "due_date": "2026-03-10",
            },
        )
    assert response.json()["skipped"] == 1
    assert read(admin_api, assignment, utc("2026-02-02T09:00"))["due_date"] == "2026-03-10"
    assert pending_reminders(assignment)[0] == ("r0:3", "learner", utc("2026-03-07T00:00"))
