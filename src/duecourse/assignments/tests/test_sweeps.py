"""What the clock does to assignments (the scheduler's services): set-based, and audited once per set
operation by the system; the SQL forms of the recurrence rules are held to the pure functions."""

import datetime as dt

import pytest

from duecourse.assignments import domain
from duecourse.assignments.models import Assignment
from duecourse.assignments.sweeps import (
    assignments_flag_noncompliant,
    assignments_start_new_cycles,
    due_for_next_cycle,
    next_cycle_due_date,
)
from duecourse.core.actors import SystemActor
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, utc

NOW = utc("2026-06-15T09:00")


@pytest.fixture
def course(tenant):
    return make_course(tenant)


def assigned(admin, person, course, **fields) -> Assignment:
    return assign_at(utc("2026-01-05T09:00"), admin, person, course, **fields)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- compliance flag -----------------------------------------------------------------------------
def test_flagging_is_one_update_and_one_system_audit_event(admin, tenant, make_person, course):
    long_overdue = [assigned(admin, make_person(tenant), course, due_date="2026-05-01") for _ in range(3)]
    recently_overdue = assigned(admin, make_person(tenant), course, due_date="2026-06-10")

    flagged = assignments_flag_noncompliant(actor=SystemActor(tenant_id=tenant.pk), overdue_days=15, now=NOW)

    assert flagged == 3
    assert set(Assignment.objects.filter(compliance_flag=True)) == set(long_overdue)
    assert recently_overdue not in Assignment.objects.filter(compliance_flag=True)
    [event] = events("assignment.compliance_flag")
    assert (event.tenant_id, event.actor_id, event.actor_label) == (tenant.pk, None, "System")
    assert event.after == {"flagged": 3, "overdue_days": 15}

    # Again: nothing left to flag, so nothing is written or audited.
    assert assignments_flag_noncompliant(actor=SystemActor(tenant_id=tenant.pk), overdue_days=15, now=NOW) == 0
    assert len(events("assignment.compliance_flag")) == 1


# --- new cycles ----------------------------------------------------------------------------------
def completed_recurring(admin, person, course, *, due_date: str, completed_at: str, weeks: int = 4) -> Assignment:
    assignment = assigned(admin, person, course, due_date=due_date, recurrence_weeks=weeks)
    Assignment.objects.filter(pk=assignment.pk).update(completed_at=utc(completed_at), progress=100)
    return assignment


def test_new_cycles_are_set_based_and_audited_once_per_batch_by_the_system(admin, tenant, make_person, course):
    items = [
        completed_recurring(admin, make_person(tenant), course, due_date="2026-06-01", completed_at="2026-05-20T10:00")
        for _ in range(3)
    ]
    not_yet = completed_recurring(
        admin, make_person(tenant), course, due_date="2026-07-01", completed_at="2026-05-20T10:00"
    )

    assert assignments_start_new_cycles(now=NOW, batch=2) == 3

    for item in items:
        item.refresh_from_db()
        assert (item.cycle, item.due_date, item.completed_at) == (2, dt.date(2026, 6, 29), None)
        assert item.completions_after == utc("2026-05-20T10:00")
        assert [s.due_date for s in item.sources.all()] == [dt.date(2026, 6, 29)]
    not_yet.refresh_from_db()
    assert not_yet.cycle == 1
    batches = events("assignment.new_cycle")
    assert [e.after["started"] for e in batches] == [2, 1]
    assert all((e.actor_id, e.actor_label) == (None, "System") for e in batches)
    assert sorted(i for e in batches for i in e.after["assignment_ids"]) == sorted(i.pk for i in items)

    assert assignments_start_new_cycles(now=NOW) == 0
    assert len(events("assignment.new_cycle")) == 2


CYCLE_CASES = [
    # (due_date, completed_at, recurrence_weeks)
    ("2026-03-20", "2026-03-10T10:00", 4),
    ("2026-03-20", "2026-04-02T10:00", 4),  # late: the rhythm stays on the due date
    (None, "2026-03-10T23:30", 1),  # no due date: counted from the completion's day (UTC)
    (None, "2026-12-31T00:00", 52),
    ("2024-02-29", "2024-02-01T00:00", 52),
]


@pytest.mark.parametrize(("due_date", "completed_at", "weeks"), CYCLE_CASES)
def test_the_sql_next_due_date_is_the_pure_rule(admin, make_person, tenant, course, due_date, completed_at, weeks):
    assignment = assigned(admin, make_person(tenant, timezone="Pacific/Auckland"), course, recurrence_weeks=weeks)
    Assignment.objects.filter(pk=assignment.pk).update(
        due_date=dt.date.fromisoformat(due_date) if due_date else None, completed_at=utc(completed_at)
    )
    in_sql = Assignment.objects.annotate(next_due=next_cycle_due_date()).get(pk=assignment.pk).next_due
    _, in_python = domain.next_cycle(
        cycle=1,
        due_date=dt.date.fromisoformat(due_date) if due_date else None,
        completed_at=utc(completed_at),
        recurrence_weeks=weeks,
    )
    assert in_sql == in_python


START_CASES = [
    # (due_at, completed_at, now)
    ("2026-03-20T23:59", "2026-03-10T10:00", "2026-03-20T23:58"),
    ("2026-03-20T23:59", "2026-03-10T10:00", "2026-03-20T23:59"),
    (None, "2026-03-10T10:00", "2026-03-11T09:59"),
    (None, "2026-03-10T10:00", "2026-03-11T10:00"),
    (None, "2026-03-10T10:00", "2026-03-12T00:00"),
]


@pytest.mark.parametrize(("due_at", "completed_at", "now"), START_CASES)
def test_the_sql_start_of_the_next_cycle_is_the_pure_rule(
    admin, make_person, tenant, course, due_at, completed_at, now
):
    assignment = assigned(admin, make_person(tenant), course, recurrence_weeks=4)
    Assignment.objects.filter(pk=assignment.pk).update(
        due_at=utc(due_at) if due_at else None, completed_at=utc(completed_at)
    )
    in_sql = Assignment.objects.filter(pk=assignment.pk).filter(due_for_next_cycle(utc(now))).exists()
    starts_at = domain.next_cycle_starts_at(due_at=utc(due_at) if due_at else None, completed_at=utc(completed_at))
    assert in_sql == (starts_at <= utc(now))


# --- completion ----------------------------------------------------------------------------------
JAN, MAR, MAY = utc("2026-01-10T09:00"), utc("2026-03-10T09:00"), utc("2026-05-10T09:00")


@pytest.mark.parametrize(
    ("required", "completions", "after", "validity_months", "complete"),
    [
        ([], {}, None, None, False),  # nothing required can never be complete
        ([{1}], {}, None, None, False),
        ([{1}], {1: [JAN]}, None, None, True),
        ([{1}, {2}], {1: [JAN]}, None, None, False),
        ([{1}, {2, 3}], {1: [JAN], 3: [MAR]}, None, None, True),  # 3 is an equivalent of 2
        ([{1}], {1: [JAN]}, MAR, None, False),  # the previous cycle's completion no longer counts
        ([{1}], {1: [JAN, MAY]}, MAR, None, True),
        ([{1}], {1: [JAN]}, None, 3, False),  # expired by June
        ([{1}], {1: [MAY]}, None, 3, True),
    ],
)
def test_is_complete(required, completions, after, validity_months, complete):
    now = utc("2026-06-15T09:00")
    assert domain.is_complete(required, completions, after, validity_months=validity_months, now=now) is complete
