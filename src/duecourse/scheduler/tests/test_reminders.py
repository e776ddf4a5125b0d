"""Reminders arrive shortly after local midnight of the right day, in the recipient's own time zone, once."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from duecourse.assignments.inputs import AssignmentChange
from duecourse.assignments.services import assignment_update, assignment_withdraw
from duecourse.notifications import events
from duecourse.notifications.models import OutboxMessage, ReminderPlanBacklog, ReminderSchedule
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, inbox, pending_reminders, tick, utc, worker_once

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def assigned_early():
    """Assignments are made on 1 Jan 2026, well before every reminder below."""
    return utc("2026-01-01T09:00")


@pytest.mark.parametrize(
    "zone, due_date, reminder_instant",
    [
        # Europe/London: the clocks go forward on 29 Mar 2026 (01:00 UTC) and back on 25 Oct 2026.
        ("Europe/London", "2026-04-01", "2026-03-29T00:00"),  # reminder day 29 Mar: still GMT at midnight
        ("Europe/London", "2026-04-02", "2026-03-29T23:00"),  # reminder day 30 Mar: BST midnight
        ("Europe/London", "2026-10-28", "2026-10-24T23:00"),  # reminder day 25 Oct: still BST at midnight
        ("Europe/London", "2026-10-29", "2026-10-26T00:00"),  # reminder day 26 Oct: GMT again
        # Pacific/Auckland: NZDT (+13) ends 5 Apr 2026, NZST (+12) ends 27 Sep 2026.
        ("Pacific/Auckland", "2026-04-08", "2026-04-04T11:00"),
        ("Pacific/Auckland", "2026-04-09", "2026-04-05T12:00"),
        ("Pacific/Auckland", "2026-09-30", "2026-09-26T12:00"),
        ("Pacific/Auckland", "2026-10-01", "2026-09-27T11:00"),
        # America/Chicago: CDT from 8 Mar 2026, CST again from 1 Nov 2026.
        ("America/Chicago", "2026-03-11", "2026-03-08T06:00"),
        ("America/Chicago", "2026-03-12", "2026-03-09T05:00"),
        ("America/Chicago", "2026-11-04", "2026-11-01T05:00"),
        ("America/Chicago", "2026-11-05", "2026-11-02T06:00"),
    ],
)
def test_default_reminder_arrives_just_after_local_midnight_three_days_before(
    admin, tenant, make_person, assigned_early, zone, due_date, reminder_instant
):
    learner = make_person(tenant, timezone=zone)
    assignment = assign_at(assigned_early, admin, learner, due_date=due_date)
    instant = utc(reminder_instant)

    tick(instant - MINUTE)
    assert inbox(learner, "reminder") == []

    tick(instant + 2 * MINUTE)
    reminders = inbox(learner, "reminder")
    assert len(reminders) == 1
    assert reminders[0].assignment_id == assignment.pk

    tick(instant + dt.timedelta(hours=6))
    tick(instant + dt.timedelta(days=1))
    assert len(inbox(learner, "reminder")) == 1


def test_worker_command_with_now_sends_the_reminder(admin, tenant, make_person, assigned_early):
    learner = make_person(tenant, timezone="Europe/London")
    assign_at(assigned_early, admin, learner, due_date="2026-04-02")
    worker_once(utc("2026-03-29T22:59"))
    assert inbox(learner, "reminder") == []
    worker_once(utc("2026-03-29T23:01"))
    assert len(inbox(learner, "reminder")) == 1


def test_manager_in_another_zone_hears_at_their_own_midnight(admin, tenant, make_person, assigned_early):
    manager = make_person(tenant, timezone="America/Chicago")
    learner = make_person(tenant, timezone="Pacific/Auckland", manager=manager)
    assign_at(
        assigned_early,
        admin,
        learner,
        due_date="2026-03-12",
        reminders=[{"days": 1, "recipients": ["learner", "manager"]}],
    )
    # Reminder day 11 Mar: Auckland midnight is 10 Mar 11:00 UTC, Chicago (CDT) midnight is 11 Mar 05:00 UTC.
    tick(utc("2026-03-10T11:05"))
    assert len(inbox(learner, "reminder")) == 1
    assert inbox(manager, "reminder") == []
    tick(utc("2026-03-11T04:59"))
    assert inbox(manager, "reminder") == []
    tick(utc("2026-03-11T05:05"))
    [nudge] = inbox(manager, "reminder")
    assert nudge.about_id == learner.pk
    assert len(inbox(learner, "reminder")) == 1


def test_a_late_tick_sends_everything_due_and_nothing_twice(admin, tenant, make_person, assigned_early):
    learner = make_person(tenant, timezone="UTC")
    assignment = assign_at(
        assigned_early,
        admin,
        learner,
        due_date="2026-03-20",
        reminders=[{"days": 7, "recipients": ["learner"]}, {"days": 3, "recipients": ["learner"]}],
    )
    # The worker was down from 1 Mar to 19 Mar: both reminders (13 and 17 Mar) are due at once.
    tick(utc("2026-03-01T00:00"))
    assert inbox(learner, "reminder") == []
    tick(utc("2026-03-19T10:00"))
    assert len(inbox(learner, "reminder")) == 2
    for day in range(19, 25):
        tick(utc(f"2026-03-{day}T12:00"))
    assert len(inbox(learner, "reminder")) == 2
    assert len(inbox(learner, "overdue")) == 1
    assert pending_reminders(assignment) == []


def test_the_reminder_key_is_unique(admin, tenant, make_person, assigned_early):
    learner = make_person(tenant)
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    row = ReminderSchedule.objects.get(assignment=assignment, rule_key="r0:3")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSchedule.objects.create(
            tenant=tenant,
            assignment=assignment,
            cycle=row.cycle,
            rule_key=row.rule_key,
            recipient_kind=row.recipient_kind,
            due_date=row.due_date,
            remind_at=row.remind_at,
        )


def test_default_plan_is_the_learner_three_days_before(admin, tenant, make_person, assigned_early):
    manager = make_person(tenant)
    learner = make_person(tenant, manager=manager)
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    assert pending_reminders(assignment) == [
        ("r0:3", "learner", utc("2026-03-17T00:00")),
        ("overdue", "learner", utc("2026-03-21T00:00")),
    ]


def test_tenant_default_plan_applies_when_the_assignment_has_none(admin, tenant, make_person, assigned_early):
    tenant.settings = {"default_reminder_plan": [{"days": 10, "recipients": ["learner"]}]}
    tenant.save()
    learner = make_person(tenant)
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    assert ("r0:10", "learner", utc("2026-03-10T00:00")) in pending_reminders(assignment)


def test_negative_days_remind_after_the_due_date(admin, tenant, make_person, assigned_early):
    learner = make_person(tenant, timezone="America/Chicago")
    assign_at(
        assigned_early, admin, learner, due_date="2026-03-06", reminders=[{"days": -2, "recipients": ["learner"]}]
    )
    # Due Fri 6 Mar; two days after is Sun 8 Mar, whose midnight is still CST (06:00 UTC).
    tick(utc("2026-03-08T05:59"))
    assert [n.data for n in inbox(learner, "overdue")] == [{}]  # only the "now overdue" notice of 7 Mar
    tick(utc("2026-03-08T06:01"))
    assert len(inbox(learner, "overdue")) == 2


def test_moving_the_due_date_recalculates_pending_reminders(admin, admin_api, tenant, make_person, assigned_early):
    learner = make_person(tenant, timezone="Europe/London")
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    with time_machine.travel(utc("2026-03-01T09:00"), tick=False):
        response = admin_api.patch(f"assignments/{assignment.pk}", {"due_date": "2026-04-10"})
    assert response.status_code == 200, response.content
    assert inbox(learner, "due_date_changed")
    # The old reminder day (17 Mar) passes in silence ...
    tick(utc("2026-03-17T06:00"))
    tick(utc("2026-03-21T06:00"))
    assert inbox(learner, "reminder") == [] and inbox(learner, "overdue") == []
    # ... and the new one (7 Apr, BST) sends exactly once.
    assert pending_reminders(assignment)[0] == ("r0:3", "learner", utc("2026-04-06T23:00"))
    tick(utc("2026-04-06T23:05"))
    tick(utc("2026-04-07T23:05"))
    assert len(inbox(learner, "reminder")) == 1


def test_moving_the_due_date_back_to_a_date_already_reminded_does_not_remind_again(
    admin, admin_api, tenant, make_person, assigned_early
):
    learner = make_person(tenant)
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    tick(utc("2026-03-17T01:00"))
    assert len(inbox(learner, "reminder")) == 1
    for when, due in (("2026-03-17T02:00", "2026-03-27"), ("2026-03-17T03:00", "2026-03-20")):
        with time_machine.travel(utc(when), tick=False):
            assert admin_api.patch(f"assignments/{assignment.pk}", {"due_date": due}).status_code == 200
    tick(utc("2026-03-18T01:00"))
    assert len(inbox(learner, "reminder")) == 1


def test_changing_the_plan_drops_the_rules_no_longer_in_it(admin, admin_api, tenant, make_person, assigned_early):
    learner = make_person(tenant)
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    with time_machine.travel(utc("2026-03-01T09:00"), tick=False):
        response = admin_api.patch(
            f"assignments/{assignment.pk}", {"reminders": [{"days": 1, "recipients": ["learner"]}]}
        )
    assert response.status_code == 200, response.content
    assert [key for key, _, _ in pending_reminders(assignment)] == ["r0:1", "overdue"]
    tick(utc("2026-03-17T01:00"))
    assert inbox(learner, "reminder") == []
    tick(utc("2026-03-19T01:00"))
    assert len(inbox(learner, "reminder")) == 1


def test_completed_and_withdrawn_assignments_are_not_reminded(admin, admin_api, tenant, make_person, assigned_early):
    learner = make_person(tenant)
    course = make_course(tenant)
    done = assign_at(assigned_early, admin, learner, course, due_date="2026-03-20")
    gone = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    with time_machine.travel(utc("2026-03-10T09:00"), tick=False):
        recorded = admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 100})
        assert recorded.status_code in (200, 201), recorded.content
        assert admin_api.delete(f"assignments/{gone.pk}").status_code == 200
    for day in range(16, 25):
        tick(utc(f"2026-03-{day}T01:00"))
    heard = [n.kind for n in inbox(learner) if n.assignment_id in (done.pk, gone.pk)]
    assert heard == ["assigned", "assigned", "withdrawn"]


def test_hidden_assignments_are_prepared_silently(admin, tenant, make_person, assigned_early):
    learner = make_person(tenant)
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-03-20")
    type(assignment).objects.filter(pk=assignment.pk).update(visibility="hidden")
    for day in range(16, 25):
        tick(utc(f"2026-03-{day}T01:00"))
    assert [n.kind for n in inbox(learner)] == ["assigned"]


def test_a_big_operation_leaves_its_inbox_rows_and_planning_to_the_next_tick_and_loses_nothing(
    admin, tenant, make_person, monkeypatch
):
    """Operations over PLAN_INLINE_LIMIT assignments get their "assigned" inbox rows and their reminder
    plan from the worker, once, dated as of the operation."""
    monkeypatch.setattr("duecourse.notifications.reminders.PLAN_INLINE_LIMIT", 0)
    learner = make_person(tenant, timezone="UTC")
    # Assigned on 1 Apr, due 5 Apr: the default reminder (3 days before) falls at 2 Apr 00:00.
    assignment = assign_at(utc("2026-04-01T09:00"), admin, learner, due_date="2026-04-05")
    assert pending_reminders(assignment) == []
    assert inbox(learner) == []
    assert ReminderPlanBacklog.objects.filter(tenant=tenant).count() == 1

    # The worker was down until after the reminder's moment: the tick works as of the assignment's
    # time, so the inbox row is dated then and the reminder is planned and sent in the same tick, once.
    tick(utc("2026-04-02T08:00"))
    assert ReminderPlanBacklog.objects.filter(tenant=tenant).count() == 0
    [assigned] = inbox(learner, "assigned")
    assert (assigned.assignment_id, assigned.created_at) == (assignment.pk, utc("2026-04-01T09:00"))
    assert [n.assignment_id for n in inbox(learner, "reminder")] == [assignment.pk]
    # One email for both, as for any operation.
    assert OutboxMessage.objects.filter(to_email=learner.email).count() == 1
    tick(utc("2026-04-02T09:00"))
    assert len(inbox(learner, "reminder")) == 1 and len(inbox(learner, "assigned")) == 1
    assert [(key, who) for key, who, _ in pending_reminders(assignment)] == [("overdue", "learner")]


@pytest.fixture
def big_operations(monkeypatch):
    """Every operation counts as big: its inbox rows and reminders wait for the worker."""
    monkeypatch.setattr("duecourse.notifications.reminders.PLAN_INLINE_LIMIT", 0)


@pytest.mark.usefixtures("big_operations")
def test_an_item_withdrawn_before_the_tick_gets_no_assigned_notice(admin, tenant, make_person):
    learner = make_person(tenant, timezone="UTC")
    assignment = assign_at(utc("2026-04-01T09:00"), admin, learner, due_date="2026-04-30")
    with time_machine.travel(utc("2026-04-01T09:01"), tick=False):
        assignment_withdraw(actor=admin, assignment=assignment, reason="Wrong course")
    tick(utc("2026-04-01T09:02"))
    assert [n.kind for n in inbox(learner)] == ["withdrawn"]
    assert pending_reminders(assignment) == []


@pytest.mark.usefixtures("big_operations")
def test_a_due_date_moved_before_the_tick_keeps_the_plan_its_change_made(admin, tenant, make_person):
    learner = make_person(tenant, timezone="UTC")
    assignment = assign_at(utc("2026-04-01T09:00"), admin, learner, due_date="2026-04-30")
    # On 3 Apr the date moves to 5 Apr: the "3 days before" moment (2 Apr) has passed, so only the
    # overdue notice is ahead. The worker's late fan-out must not bring the passed reminder back.
    with time_machine.travel(utc("2026-04-03T10:00"), tick=False):
        assignment_update(
            actor=admin, assignment=assignment, data=AssignmentChange.model_validate({"due_date": dt.date(2026, 4, 5)})
        )
    tick(utc("2026-04-03T10:01"))
    assert inbox(learner, "reminder") == []
    assert [(key, who) for key, who, _ in pending_reminders(assignment)] == [("overdue", "learner")]
    assert len(inbox(learner, "assigned")) == 1


@pytest.mark.usefixtures("big_operations")
def test_an_operation_that_fails_to_fan_out_does_not_hold_up_the_others(admin, tenant, make_person, monkeypatch):
    first, second = make_person(tenant), make_person(tenant)
    stuck = assign_at(utc("2026-04-01T09:00"), admin, first, due_date="2026-04-30")
    assign_at(utc("2026-04-01T09:00"), admin, second, due_date="2026-04-30")
    real = events._fan_out_operation

    def failing_for_the_first(item):
        if item.operation_id == stuck.operation_id:
            raise RuntimeError("statement timeout")
        return real(item)

    monkeypatch.setattr(events, "_fan_out_operation", failing_for_the_first)
    tick(utc("2026-04-01T09:05"))
    assert inbox(first) == [] and len(inbox(second, "assigned")) == 1
    assert ReminderPlanBacklog.objects.filter(operation_id=stuck.operation_id).exists()

    monkeypatch.setattr(events, "_fan_out_operation", real)
    tick(utc("2026-04-01T09:06"))
    assert len(inbox(first, "assigned")) == 1 and not ReminderPlanBacklog.objects.exists()


def test_a_malformed_standard_plan_stored_outside_the_api_falls_back_to_the_built_in_one(admin, tenant, make_person):
    tenant.settings = {"default_reminder_plan": [{"when": 3}]}
    tenant.save()
    learner = make_person(tenant, timezone="UTC")
    assignment = assign_at(utc("2026-04-01T09:00"), admin, learner, due_date="2026-04-30")
    assert ("learner", utc("2026-04-27T00:00")) in [(who, at) for _, who, at in pending_reminders(assignment)]


def test_a_reminder_the_worker_missed_until_after_the_due_date_is_skipped_not_sent_late(
    admin, tenant, make_person, assigned_early
):
    """The worker was down from before the "due in 3 days" reminder until after the due date: the person
    hears that the item is overdue, not that it is due in 3 days."""
    learner = make_person(tenant, timezone="Europe/London")
    assignment = assign_at(assigned_early, admin, learner, due_date="2026-04-02")

    tick(utc("2026-04-03T09:00"))  # the first tick since 1 Jan: the due date has passed in London

    assert inbox(learner, "reminder") == []
    assert [n.assignment_id for n in inbox(learner, "overdue")] == [assignment.pk]
    missed = ReminderSchedule.objects.get(assignment=assignment, kind="reminder")
    assert missed.sent_at is not None and missed.skipped is True


def test_a_reminder_sent_late_but_before_the_due_moment_still_goes_out(admin, tenant, make_person, assigned_early):
    learner = make_person(tenant, timezone="Europe/London")
    assign_at(assigned_early, admin, learner, due_date="2026-04-02")

    tick(utc("2026-04-02T20:00"))  # late, but 2 Apr is not over in London (BST): still due, not overdue

    assert len(inbox(learner, "reminder")) == 1
    assert inbox(learner, "overdue") == []
