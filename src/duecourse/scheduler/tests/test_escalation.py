"""Overdue items escalate by tenant policy: manager, then HR, then a compliance flag on the assignment."""

import datetime as dt

import pytest
import time_machine

from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, inbox, tick, utc

DUE_END = utc("2026-03-21T00:00")  # end of the due date 20 Mar for someone in UTC


@pytest.fixture
def team(tenant, make_person):
    manager = make_person(tenant, name="Mia Manager")
    learner = make_person(tenant, manager=manager, name="Leo Learner")
    hr = make_person(tenant, roles=("hr",), name="Hal HR")
    return manager, learner, hr


def daily_ticks(first_day: int, last_day: int) -> None:
    for day in range(first_day, last_day + 1):
        tick(DUE_END + dt.timedelta(days=day, hours=1))


def test_default_tiers_manager_then_hr_then_compliance_flag(admin, admin_api, team):
    manager, learner, hr = team
    assignment = assign_at(utc("2026-03-01T09:00"), admin, learner, due_date="2026-03-20")

    tick(DUE_END - dt.timedelta(minutes=5))
    assert inbox(manager, "escalation") == [] and inbox(learner, "overdue") == []

    daily_ticks(0, 7)
    assert len(inbox(learner, "overdue")) == 1
    [nudge] = inbox(manager, "escalation")
    assert nudge.about_id == learner.pk
    assert inbox(hr, "escalation") == []
    assert admin_api.get(f"assignments/{assignment.pk}").json()["compliance_flag"] is False

    daily_ticks(8, 14)
    assert len(inbox(hr, "escalation")) == 1
    assert admin_api.get(f"assignments/{assignment.pk}").json()["compliance_flag"] is False

    daily_ticks(15, 20)
    body = admin_api.get(f"assignments/{assignment.pk}").json()
    assert body["compliance_flag"] is True and body["status"] == "overdue"
    assert len(inbox(manager, "escalation")) == 1 and len(inbox(hr, "escalation")) == 1
    assert len(inbox(learner, "overdue")) == 1


def test_tenant_tiers_replace_the_default(admin, admin_api, tenant, team):
    manager, learner, hr = team
    tenant.settings = {"escalation": [{"after_days": 5, "flag": True}, {"after_days": 2, "to": "hr"}]}
    tenant.save()
    assignment = assign_at(utc("2026-03-01T09:00"), admin, learner, due_date="2026-03-20")
    daily_ticks(0, 1)
    assert inbox(manager, "escalation") == [] and inbox(hr, "escalation") == []
    daily_ticks(2, 4)
    assert len(inbox(hr, "escalation")) == 1
    assert admin_api.get(f"assignments/{assignment.pk}").json()["compliance_flag"] is False
    daily_ticks(5, 6)
    assert admin_api.get(f"assignments/{assignment.pk}").json()["compliance_flag"] is True
    assert inbox(manager, "escalation") == []


def test_a_worker_back_after_ten_days_nudges_the_tier_the_item_is_in(admin, team):
    manager, learner, hr = team
    assign_at(utc("2026-03-01T09:00"), admin, learner, due_date="2026-03-20")
    daily_ticks(10, 10)
    assert len(inbox(hr, "escalation")) == 1
    assert inbox(manager, "escalation") == []
    assert len(inbox(learner, "overdue")) == 1


def test_completed_items_do_not_escalate(admin, admin_api, team, tenant):
    manager, learner, _ = team
    course = make_course(tenant)
    assign_at(utc("2026-03-01T09:00"), admin, learner, course, due_date="2026-03-20")
    with time_machine.travel(utc("2026-03-15T09:00"), tick=False):
        admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 100})
    daily_ticks(0, 16)
    assert inbox(manager, "escalation") == [] and inbox(learner, "overdue") == []


def test_the_manager_hears_within_ten_minutes_even_when_ticks_come_every_few_seconds(admin, team):
    """The escalation sweep runs at most every 10 minutes, so a nudge may come that much after its moment."""
    manager, learner, _ = team
    assign_at(utc("2026-03-01T09:00"), admin, learner, due_date="2026-03-20")

    tick(DUE_END - dt.timedelta(seconds=30))  # sweeps: nothing overdue yet
    tick(DUE_END + dt.timedelta(seconds=30))  # overdue now, but the sweep ran a minute ago
    assert inbox(manager, "escalation") == []
    assert len(inbox(learner, "overdue")) == 1  # the learner's own overdue notice is not delayed

    tick(DUE_END + dt.timedelta(minutes=10))
    assert len(inbox(manager, "escalation")) == 1
    tick(DUE_END + dt.timedelta(minutes=25))
    assert len(inbox(manager, "escalation")) == 1


def test_a_failed_sweep_is_retried_a_minute_later_not_a_whole_period_later(admin, team, monkeypatch):
    from duecourse.scheduler import tick as tick_module

    manager, learner, _ = team
    assign_at(utc("2026-03-01T09:00"), admin, learner, due_date="2026-03-20")
    real, calls = tick_module.escalate, []

    def fails_once(*, now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("lock timeout")
        return real(now=now)

    monkeypatch.setattr(tick_module, "escalate", fails_once)
    tick(DUE_END + dt.timedelta(hours=1))  # the sweep fails: nothing sent, the step is logged
    assert inbox(manager, "escalation") == []
    tick(DUE_END + dt.timedelta(hours=1, seconds=30))  # too soon to retry
    assert len(calls) == 1
    tick(DUE_END + dt.timedelta(hours=1, minutes=1))
    assert len(calls) == 2 and len(inbox(manager, "escalation")) == 1
