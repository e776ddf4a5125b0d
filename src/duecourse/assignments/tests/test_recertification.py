"""Recertification: a completion with a validity comes back as work a window before it expires.

Through the services and the API, with the scheduler's sweeps called as the tick calls them: the window
(per rule, tenant default, exactly at expiry − window), the re-opened shape certificates rely on, renewal
from the later of completion and old expiry, exemptions, hidden items, recurrence, and the SQL form of
the window rule held to the pure one.
"""

import calendar
import datetime as dt
import itertools

import pytest
import time_machine
from django.db import connection

from duecourse.assignments import domain
from duecourse.assignments.domain import holds_valid_completion
from duecourse.assignments.fanout import recompute_due_dates
from duecourse.assignments.limits import DEFAULT_RECERT_WINDOW_DAYS, MAX_VALIDITY_MONTHS
from duecourse.assignments.models import Assignment, AssignmentRule, AssignmentSource
from duecourse.assignments.selectors import valid_completion_filter
from duecourse.assignments.sweeps import (
    RECERT_DUE_RULE,
    assignments_pass_expiries,
    assignments_recertify,
    assignments_start_new_cycles,
    recertification_due,
)
from duecourse.core import clock
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import make_course, make_path, target
from duecourse.testing.scheduling import assign_at, inbox, pending_reminders, utc
from duecourse.testing.scheduling import complete_at as complete

ASSIGNED = utc("2026-02-01T09:00")
COMPLETED = "2026-03-10T10:00:00"
EXPIRES = utc("2027-03-10T10:00")  # COMPLETED + 12 months
WINDOW_OPENS = EXPIRES - dt.timedelta(days=DEFAULT_RECERT_WINDOW_DAYS)


@pytest.fixture
def learner(tenant, make_person):
    return make_person(tenant, timezone="Europe/London", name="Lena Learner")


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Forklift safety")


def completed_item(api, admin, person, course, **fields) -> Assignment:
    """Assigned with a 12-month validity and completed on 10 Mar 2026 (it expires on 10 Mar 2027)."""
    assignment = assign_at(ASSIGNED, admin, person, course, due_date="2026-03-20", validity_months=12, **fields)
    complete(api, person, course, COMPLETED)
    assignment.refresh_from_db()
    assert assignment.expires_at == EXPIRES
    return assignment


def make_rule(api, course, person_ids, *, validity_months=12, **fields) -> dict:
    body = {
        "name": fields.pop("name", "Forklift drivers"),
        "audience": {"person_ids": person_ids},
        "items": [{"target": target(course), "validity_months": validity_months, **fields.pop("item", {})}],
        "due_date": "2026-03-20",
        **fields,
    }
    with time_machine.travel(ASSIGNED, tick=False):
        response = api.post("rules", body)
    assert response.status_code == 201, response.content
    return response.json()


def recertify(now: dt.datetime) -> int:
    """The tick's recertification step at `now` (a context variable, so each thread of a race has its own)."""
    with clock.running_at(now):
        return assignments_recertify(now=now)


def pass_expiries(now: dt.datetime) -> int:
    with clock.running_at(now):
        return assignments_pass_expiries(now=now)


def fresh(assignment: Assignment) -> Assignment:
    return Assignment.objects.get(pk=assignment.pk)


# --- the rules ------------------------------------------------------------------------------------
def test_renewal_counts_from_the_later_of_completion_and_old_expiry():
    old = utc("2027-03-10T10:00")
    early, late = utc("2027-02-20T08:00"), utc("2027-03-25T08:00")
    assert domain.renewed_expires_at(completed_at=early, validity_months=12, previous_expires_at=old) == utc(
        "2028-03-10T10:00"
    )
    assert domain.renewed_expires_at(completed_at=late, validity_months=12, previous_expires_at=old) == utc(
        "2028-03-25T08:00"
    )
    assert domain.renewed_expires_at(completed_at=early, validity_months=12, previous_expires_at=None) == utc(
        "2028-02-20T08:00"
    )
    assert domain.renewed_expires_at(completed_at=early, validity_months=None, previous_expires_at=old) is None


def test_the_window_is_the_widest_active_rules_else_the_tenant_default():
    assert domain.recert_window(rule_windows=[], tenant_default=30) == 30
    assert domain.recert_window(rule_windows=[10], tenant_default=30) == 10
    assert domain.recert_window(rule_windows=[10, None], tenant_default=30) == 30  # no window: the default
    assert domain.recert_window(rule_windows=[10, 60], tenant_default=30) == 60
    assert domain.recert_window_in({}) == DEFAULT_RECERT_WINDOW_DAYS
    assert domain.recert_window_in({"recert_window_days": 0}) == 0
    assert domain.recert_window_in({"recert_window_days": "soon"}) == DEFAULT_RECERT_WINDOW_DAYS
    assert domain.recert_window_in({"recert_window_days": 400}) == DEFAULT_RECERT_WINDOW_DAYS
    assert domain.recert_due_date(expires_at=utc("2027-03-10T23:30"), timezone_name="Europe/Berlin") == dt.date(
        2027, 3, 11
    )


def test_the_sql_form_of_the_window_matches_the_rule(admin, admin_api, tenant, make_person):
    """Every mix of holders (no rule, rules with and without windows, a paused rule) at expiries on and
    around each window's edge: the sweep's query picks exactly what `domain.recert_window` says is due."""
    now = utc("2027-01-01T12:00")
    default = 20
    people = [make_person(tenant) for _ in range(6)]
    course = make_course(tenant)
    narrow = make_rule(admin_api, course, [p.pk for p in people[1:4]], name="narrow", recert_window_days=5)
    wide = make_rule(admin_api, course, [people[2].pk], name="wide", recert_window_days=45)
    no_window = make_rule(admin_api, course, [p.pk for p in people[3:5]], name="default window")
    paused = make_rule(admin_api, course, [people[5].pk], name="paused", recert_window_days=90)
    AssignmentRule.objects.filter(pk=paused["id"]).update(active=False)
    windows = {narrow["id"]: 5, wide["id"]: 45, no_window["id"]: None}
    rule_sources = {person: list(AssignmentSource.objects.filter(assignment__person=person)) for person in people}
    expected: dict[int, bool] = {}
    for person, days in itertools.product(people, sorted({d + e for d in (0, 5, 20, 45, 90) for e in (-1, 0, 1)})):
        expires = now + dt.timedelta(days=days)
        row = Assignment.objects.create(
            tenant=tenant,
            person=person,
            target_type="course",
            target_id=course.pk + 1000 + days,  # one row per person and expiry, held as the rule rows are
            validity_months=12,
            completed_at=expires - dt.timedelta(days=365),
            expires_at=expires,
            progress=100,
            assigned_at=ASSIGNED,
        )
        for source in rule_sources[person] or [None]:
            AssignmentSource.objects.create(
                tenant=tenant,
                assignment=row,
                kind=source.kind if source else "individual",
                ref_id=source.ref_id if source else admin.pk,
                rule_id=source.rule_id if source else None,
                label=source.label if source else "Individual",
                created_at=ASSIGNED,
            )
        holders = [s.rule_id for s in rule_sources[person] if s.rule_id in windows]
        window = domain.recert_window(rule_windows=[windows[r] for r in holders], tenant_default=default)
        expected[row.pk] = (
            domain.recertifies_at(completed_at=row.completed_at, expires_at=expires, window_days=window) <= now
        )
    picked = set(recertification_due(tenant_id=tenant.pk, default_window=default, now=now).values_list("pk", flat=True))
    assert picked == {pk for pk, due in expected.items() if due}
    assert 0 < len(picked) < len(expected)


# --- the window and the validity: at most half of it ---------------------------------------------
def test_a_window_is_capped_at_half_the_completions_span():
    completed, expires = utc("2027-01-31T10:00"), utc("2027-02-28T10:00")  # one month: 28 days
    assert domain.effective_recert_window(window_days=30, completed_at=completed, expires_at=expires) == dt.timedelta(
        days=14
    )
    assert domain.recertifies_at(completed_at=completed, expires_at=expires, window_days=30) == utc("2027-02-14T10:00")
    assert domain.recertifies_at(completed_at=completed, expires_at=expires, window_days=10) == utc("2027-02-18T10:00")
    odd = expires + dt.timedelta(microseconds=1)  # an odd span: never a microsecond before halfway
    assert domain.recertifies_at(completed_at=completed, expires_at=odd, window_days=30) == utc(
        "2027-02-14T10:00:00.000001"
    )


def test_a_window_a_rule_is_allowed_is_never_capped():
    """`recert_window_limit` (what a rule may set) fits every span its validity can have: for each month count,
    completed on the first, the 28th and the last day of every month of a common and a leap year, the window
    applies in full (so it opens after the completion)."""
    completions = [
        utc(f"{year}-{month:02}-{day:02}T10:00")
        for year in (2027, 2028)
        for month in range(1, 13)
        for day in (1, 28, calendar.monthrange(year, month)[1])
    ]
    for months in [*range(1, 25), 36, 60, MAX_VALIDITY_MONTHS]:
        limit = domain.recert_window_limit(months)
        assert limit == 14 * months
        for completed in completions:
            expires = domain.add_months(completed, months)
            opens = domain.recertifies_at(completed_at=completed, expires_at=expires, window_days=limit)
            assert opens == expires - dt.timedelta(days=limit) > completed


def test_the_sql_form_of_the_halfway_cap_matches_the_rule(admin, tenant, make_person):
    """Rows whose halfway point falls on, a microsecond around and a day around now (odd and even spans),
    under and over the window: the sweep picks exactly what `domain.recertifies_at` says is due."""
    now = utc("2027-01-01T12:00")
    default = 120
    person, course = make_person(tenant), make_course(tenant)
    micro, day = dt.timedelta(microseconds=1), dt.timedelta(days=1)
    expected: dict[int, bool] = {}
    for index, (span_days, odd, shift) in enumerate(
        itertools.product((28, 92, 239, 241, 365), (False, True), (-day, -micro, dt.timedelta(0), micro, day))
    ):
        span = dt.timedelta(days=span_days) + (micro if odd else dt.timedelta(0))
        completed = now - span // 2 + shift  # halfway is `shift` after now, to the microsecond
        row = Assignment.objects.create(
            tenant=tenant,
            person=person,
            target_type="course",
            target_id=course.pk + 1000 + index,
            validity_months=1,
            completed_at=completed,
            expires_at=completed + span,
            progress=100,
            assigned_at=ASSIGNED,
        )
        AssignmentSource.objects.create(
            tenant=tenant, assignment=row, kind="individual", ref_id=admin.pk, label="Individual", created_at=ASSIGNED
        )
        row.refresh_from_db()  # as stored: the database's precision
        expected[row.pk] = (
            domain.recertifies_at(completed_at=row.completed_at, expires_at=row.expires_at, window_days=default) <= now
        )
    picked = set(recertification_due(tenant_id=tenant.pk, default_window=default, now=now).values_list("pk", flat=True))
    assert picked == {pk for pk, due in expected.items() if due}
    assert 0 < len(picked) < len(expected)


def test_a_window_wider_than_half_the_validity_reopens_halfway_not_at_once(admin, admin_api, learner, course):
    """The reviewer's case: a 3-month validity under a 120-day window (the tenant's; a rule may not set it)."""
    assert admin_api.patch("settings", {"recert_window_days": 120}).status_code == 200
    make_rule(admin_api, course, [learner.pk], validity_months=3)
    assignment = Assignment.objects.get(person=learner)
    complete(admin_api, learner, course, COMPLETED)
    expires = utc("2026-06-10T10:00")
    halfway = utc("2026-04-25T10:00")  # 46 of the 92 days
    assert fresh(assignment).expires_at == expires
    assert recertify(utc(COMPLETED) + dt.timedelta(minutes=5)) == 0
    assert recertify(halfway - dt.timedelta(seconds=1)) == 0
    assert (fresh(assignment).cycle, inbox(learner, "expiring")) == (1, [])
    assert recertify(halfway) == 1
    a = fresh(assignment)
    assert (a.cycle, a.expires_at, a.due_date) == (2, expires, dt.date(2026, 6, 10))
    assert len(inbox(learner, "expiring")) == 1


def test_one_month_under_the_default_window_reopens_halfway(admin, admin_api, learner, course):
    """Completed 31 Jan, valid one month: it expires 28 Feb, inside the default 30 days from the start."""
    assignment = assign_at(ASSIGNED, admin, learner, course, validity_months=1)
    complete(admin_api, learner, course, "2027-01-31T10:00:00")
    assert fresh(assignment).expires_at == utc("2027-02-28T10:00")
    assert recertify(utc("2027-01-31T10:05")) == 0
    assert recertify(utc("2027-02-14T09:59")) == 0
    assert recertify(utc("2027-02-14T10:00")) == 1
    assert (fresh(assignment).cycle, fresh(assignment).due_date) == (2, dt.date(2027, 2, 28))


def test_a_rules_window_wider_than_half_its_shortest_validity_is_refused(admin_api, learner, course, tenant):
    other = make_course(tenant)
    body = {
        "name": "Drivers",
        "audience": {"person_ids": [learner.pk]},
        "items": [{"target": target(course), "validity_months": 12}, {"target": target(other), "validity_months": 3}],
        "recert_window_days": 43,
    }
    response = admin_api.post("rules", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "recert_window_days",
            "message": "must be at most half the shortest validity among the items: at most 42 days for 3 months",
        }
    ]
    assert not AssignmentRule.objects.exists() and not Assignment.objects.exists()

    created = admin_api.post("rules", {**body, "recert_window_days": 42})
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert admin_api.patch(f"rules/{rule_id}", {"recert_window_days": 120}).json()["errors"][0]["field"] == (
        "recert_window_days"
    )
    shorter = [{"target": target(course), "validity_months": 1}, {"target": target(other), "validity_months": 3}]
    response = admin_api.patch(f"rules/{rule_id}", {"items": shorter})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["items[0].validity_months"]
    # Either side may give way: no window (the tenant default, capped at runtime) or no validity.
    assert admin_api.patch(f"rules/{rule_id}", {"items": shorter, "recert_window_days": None}).status_code == 200
    assert admin_api.patch(f"rules/{rule_id}", {"recert_window_days": 200}).status_code == 422
    rule = AssignmentRule.objects.get(pk=rule_id)
    assert rule.recert_window_days is None
    assert sorted(rule.items.values_list("validity_months", flat=True)) == [1, 3]


# --- re-opening -----------------------------------------------------------------------------------
def test_reopens_exactly_at_expiry_minus_the_window_keeping_the_old_expiry(admin, admin_api, learner, course):
    assignment = completed_item(admin_api, admin, learner, course)
    assert recertify(WINDOW_OPENS - dt.timedelta(seconds=1)) == 0
    assert fresh(assignment).cycle == 1

    assert recertify(WINDOW_OPENS) == 1
    a = fresh(assignment)
    assert (a.cycle, a.completed_at, a.expires_at, a.progress, a.started_at) == (2, None, EXPIRES, 0, None)
    assert a.completions_after == utc(COMPLETED)
    # Due on the expiry date in London, so overdue once that day has ended there.
    assert (a.due_date, a.due_at, a.due_date_manual) == (dt.date(2027, 3, 10), utc("2027-03-11T00:00"), False)
    assert [(s.due_date, s.due_rule) for s in a.sources.all()] == [(dt.date(2027, 3, 10), RECERT_DUE_RULE)]
    [notice] = inbox(learner, "expiring")
    assert notice.assignment_id == assignment.pk
    [event] = AuditEvent.objects.filter(action="assignment.recertification")
    assert (event.actor_id, event.actor_label, event.after["assignment_ids"]) == (None, "System", [assignment.pk])
    # The new cycle's reminders: the standard one, 3 days before the expiry date (local midnight).
    assert pending_reminders(a)[0] == ("r0:3", "learner", utc("2027-03-07T00:00"))

    # Idempotent: a later sweep (or a second worker after this one) finds nothing to do.
    assert recertify(WINDOW_OPENS + dt.timedelta(days=1)) == 0
    assert (fresh(assignment).cycle, len(inbox(learner, "expiring"))) == (2, 1)
    assert AuditEvent.objects.filter(action="assignment.recertification").count() == 1

    with time_machine.travel(WINDOW_OPENS, tick=False):
        body = admin_api.get(f"assignments/{assignment.pk}").json()
    assert (body["status"], body["cycle"], body["due_date"], body["completed_at"]) == (
        "assigned",
        2,
        "2027-03-10",
        None,
    )


def test_the_reopened_item_holds_its_completion_until_the_old_expiry(admin, admin_api, learner, course):
    """The shape certificates rely on: completed_at NULL, expires_at the old expiry, held until then."""
    assignment = completed_item(admin_api, admin, learner, course)
    recertify(WINDOW_OPENS)
    a = fresh(assignment)
    held = Assignment.objects.filter(pk=a.pk)
    for moment, valid in ((EXPIRES - dt.timedelta(seconds=1), True), (EXPIRES, False)):
        assert holds_valid_completion(completed_at=a.completed_at, expires_at=a.expires_at, now=moment) is valid
        assert held.filter(valid_completion_filter(moment)).exists() is valid


def test_a_rules_window_beats_the_tenant_default(admin, admin_api, tenant, learner, course):
    make_rule(admin_api, course, [learner.pk], recert_window_days=10)
    assignment = Assignment.objects.get(person=learner)
    complete(admin_api, learner, course, COMPLETED)
    assert recertify(WINDOW_OPENS) == 0
    assert recertify(EXPIRES - dt.timedelta(days=10, seconds=1)) == 0
    assert recertify(EXPIRES - dt.timedelta(days=10)) == 1
    assert fresh(assignment).cycle == 2


def test_the_widest_window_of_the_rules_holding_it_applies(admin, admin_api, learner, course):
    make_rule(admin_api, course, [learner.pk], name="short", recert_window_days=10)
    make_rule(admin_api, course, [learner.pk], name="long", recert_window_days=60)
    complete(admin_api, learner, course, COMPLETED)
    assert recertify(EXPIRES - dt.timedelta(days=61)) == 0
    assert recertify(EXPIRES - dt.timedelta(days=60)) == 1


def test_the_tenant_default_comes_from_the_settings(admin, admin_api, learner, course):
    assert admin_api.patch("settings", {"recert_window_days": 45}).status_code == 200
    assignment = completed_item(admin_api, admin, learner, course)
    assert recertify(WINDOW_OPENS - dt.timedelta(days=15, seconds=1)) == 0
    assert recertify(WINDOW_OPENS - dt.timedelta(days=15)) == 1
    assert fresh(assignment).due_date == dt.date(2027, 3, 10)


def test_a_zero_day_window_reopens_at_the_expiry(admin, admin_api, learner, course):
    admin_api.patch("settings", {"recert_window_days": 0})
    completed_item(admin_api, admin, learner, course)
    assert recertify(EXPIRES - dt.timedelta(seconds=1)) == 0
    assert recertify(EXPIRES) == 1


def test_an_item_found_past_its_expiry_reopens_overdue_with_both_notices_once(admin, admin_api, learner, course):
    assignment = completed_item(admin_api, admin, learner, course)
    later = EXPIRES + dt.timedelta(days=12)  # the worker was stopped for six weeks
    assert recertify(later) == 1
    assert pass_expiries(later) == 1
    with time_machine.travel(later, tick=False):
        body = admin_api.get(f"assignments/{assignment.pk}").json()
    assert (body["status"], body["due_date"], body["cycle"]) == ("overdue", "2027-03-10", 2)
    assert (len(inbox(learner, "expiring")), len(inbox(learner, "expired"))) == (1, 1)
    assert (recertify(later + dt.timedelta(days=1)), pass_expiries(later + dt.timedelta(days=1))) == (0, 0)


def test_a_hand_set_due_date_gives_way_and_a_recompute_keeps_the_expiry_date(admin, admin_api, learner, course):
    assignment = completed_item(admin_api, admin, learner, course)
    Assignment.objects.filter(pk=assignment.pk).update(due_date_manual=True, due_explanation="agreed with HR")
    recertify(WINDOW_OPENS)
    recompute_due_dates(Assignment.objects.filter(pk=assignment.pk))
    a = fresh(assignment)
    assert (a.due_date, a.due_date_manual, a.due_explanation) == (dt.date(2027, 3, 10), False, "")


# --- completing the recertification ---------------------------------------------------------------
def test_early_recertification_extends_from_the_old_expiry(admin, admin_api, learner, course):
    assignment = completed_item(admin_api, admin, learner, course)
    recertify(WINDOW_OPENS)
    complete(admin_api, learner, course, "2027-02-20T08:00:00")
    a = fresh(assignment)
    assert (a.cycle, a.completed_at, a.expires_at) == (2, utc("2027-02-20T08:00"), utc("2028-03-10T10:00"))
    with time_machine.travel(utc("2027-02-20T09:00"), tick=False):
        assert admin_api.get(f"assignments/{assignment.pk}").json()["status"] == "completed"
    # The next window opens a year on; the passing of the old expiry is nothing to tell.
    assert pass_expiries(EXPIRES + dt.timedelta(days=1)) == 0
    assert recertify(utc("2028-03-10T10:00") - dt.timedelta(days=30)) == 1
    assert fresh(assignment).cycle == 3


def test_late_recertification_counts_from_the_completion(admin, admin_api, learner, course):
    assignment = completed_item(admin_api, admin, learner, course)
    recertify(WINDOW_OPENS)
    pass_expiries(EXPIRES)
    complete(admin_api, learner, course, "2027-03-25T08:00:00")
    a = fresh(assignment)
    assert (a.completed_at, a.expires_at) == (utc("2027-03-25T08:00"), utc("2028-03-25T08:00"))
    assert len(inbox(learner, "expired")) == 1


def test_a_path_renews_from_its_earliest_course_or_the_old_expiry(admin, admin_api, tenant, learner):
    first, second = make_course(tenant), make_course(tenant)
    path = make_path(tenant, [(first, True), (second, True)])
    assignment = assign_at(ASSIGNED, admin, learner, path, validity_months=12)
    complete(admin_api, learner, first, "2026-03-01T10:00:00")
    complete(admin_api, learner, second, COMPLETED)
    assert fresh(assignment).expires_at == utc("2027-03-01T10:00")
    recertify(utc("2027-02-01T10:00"))
    complete(admin_api, learner, first, "2027-02-05T10:00:00")
    assert fresh(assignment).completed_at is None  # the second course is still to do in this cycle
    complete(admin_api, learner, second, "2027-02-06T10:00:00")
    assert fresh(assignment).expires_at == utc("2028-03-01T10:00")


def test_a_completion_recorded_before_the_window_completes_the_new_cycle_at_once(admin, admin_api, learner, course):
    assignment = completed_item(admin_api, admin, learner, course)
    complete(admin_api, learner, course, "2027-01-15T08:00:00")  # again, before the window: the item stays as it was
    assert fresh(assignment).expires_at == EXPIRES
    assert recertify(WINDOW_OPENS) == 1
    a = fresh(assignment)
    assert (a.cycle, a.completed_at, a.expires_at) == (2, utc("2027-01-15T08:00"), utc("2028-03-10T10:00"))
    assert inbox(learner, "expiring") == []
    [event] = AuditEvent.objects.filter(action="assignment.recertification")
    assert event.after["completed_at_once"] == [assignment.pk]


# --- exemptions, hidden items, recurrence ---------------------------------------------------------
def test_an_exempt_item_does_not_reopen_while_exempt_and_hears_nothing(admin, admin_api, learner, course):
    make_rule(admin_api, course, [learner.pk])
    assignment = Assignment.objects.get(person=learner)
    complete(admin_api, learner, course, COMPLETED)
    with time_machine.travel(utc("2027-01-05T09:00"), tick=False):
        response = admin_api.post(
            f"assignments/{assignment.pk}/exemption", {"reason": "On leave", "until": "2027-03-31"}
        )
    assert response.status_code == 200, response.content
    assert recertify(WINDOW_OPENS) == 0
    assert pass_expiries(EXPIRES + dt.timedelta(days=1)) == 1  # handled once, silently
    assert inbox(learner, "expiring") == inbox(learner, "expired") == []
    assert fresh(assignment).cycle == 1

    # The exemption ends with 31 March in London: the item re-opens, overdue since its expiry date.
    assert recertify(utc("2027-03-31T22:59")) == 0
    assert recertify(utc("2027-03-31T23:00")) == 1
    a = fresh(assignment)
    assert (a.cycle, a.due_date, a.expires_at) == (2, dt.date(2027, 3, 10), EXPIRES)
    assert len(inbox(learner, "expiring")) == 1
    assert inbox(learner, "expired") == []


def test_a_hidden_item_reopens_silently(admin, admin_api, learner, course):
    make_rule(admin_api, course, [learner.pk], item={"visibility": "hidden"})
    assignment = Assignment.objects.get(person=learner)
    complete(admin_api, learner, course, COMPLETED)
    assert recertify(WINDOW_OPENS) == 1
    assert pass_expiries(EXPIRES) == 1
    assert fresh(assignment).cycle == 2
    assert inbox(learner, "expiring") == inbox(learner, "expired") == []


def test_recurrence_and_validity_reopen_once_on_whichever_comes_first(admin, admin_api, learner, course):
    # Recurrence first: the item re-opens at its due date, and the recertification has nothing to re-open.
    recurring = completed_item(admin_api, admin, learner, course, recurrence_weeks=52)
    with time_machine.travel(utc("2026-03-21T01:00"), tick=False):
        assert assignments_start_new_cycles(now=utc("2026-03-21T01:00")) == 1
    assert recertify(WINDOW_OPENS) == 0
    assert fresh(recurring).cycle == 2

    # Recertification first (completed long before its due date): one cycle, then none from recurrence.
    other = make_course(learner.tenant)
    item = assign_at(ASSIGNED, admin, learner, other, due_date="2027-12-01", validity_months=12, recurrence_weeks=52)
    complete(admin_api, learner, other, COMPLETED)
    assert recertify(WINDOW_OPENS) == 1
    with time_machine.travel(WINDOW_OPENS, tick=False):
        assert assignments_start_new_cycles(now=WINDOW_OPENS) == 0
    assert (fresh(item).cycle, fresh(item).due_date) == (2, dt.date(2027, 3, 10))


def test_a_withdrawn_or_validity_free_item_never_reopens(admin, admin_api, tenant, learner, course):
    completed_item(admin_api, admin, learner, course)
    Assignment.objects.filter(person=learner).update(withdrawn_at=utc("2026-04-01T09:00"))
    other = make_course(tenant)
    assign_at(ASSIGNED, admin, learner, other)
    complete(admin_api, learner, other, COMPLETED)
    assert recertify(EXPIRES + dt.timedelta(days=400)) == 0
    assert pass_expiries(EXPIRES + dt.timedelta(days=400)) == 0


# --- two workers ----------------------------------------------------------------------------------
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: there is no race")
@pytest.mark.django_db(transaction=True)
def test_two_workers_reopen_and_tell_each_once(tenant, make_person):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from duecourse.assignments.sweeps import RECERT_BATCH

    course = make_course(tenant)
    people = [make_person(tenant) for _ in range(RECERT_BATCH + 40)]
    Assignment.objects.bulk_create(
        [
            Assignment(
                tenant=tenant,
                person=person,
                target_type="course",
                target_id=course.pk,
                validity_months=12,
                completed_at=utc("2026-03-10T10:00"),
                expires_at=EXPIRES,
                progress=100,
                assigned_at=ASSIGNED,
            )
            for person in people
        ]
    )
    barrier = threading.Barrier(2)

    def worker(_):
        try:
            barrier.wait(timeout=10)
            return recertify(WINDOW_OPENS), pass_expiries(EXPIRES)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(worker, range(2)))
    assert sum(r[0] for r in results) == len(people)
    assert sum(r[1] for r in results) == len(people)
    assert set(Assignment.objects.values_list("cycle", flat=True)) == {2}
    for kind in ("expiring", "expired"):
        notices = list(Notification.objects.filter(kind=kind).values_list("person_id", flat=True))
        assert sorted(notices) == sorted(p.pk for p in people)
