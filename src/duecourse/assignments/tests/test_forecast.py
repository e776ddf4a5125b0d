"""The forecast (`forecast.py` is the rule): its pieces, its edges under frozen clocks through real progress
intake, and its SQL form (`selectors.at_risk_filter`) held to it on random data."""

import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duecourse.assignments import forecast, selectors
from duecourse.assignments.forecast import (
    NEVER,
    Trend,
    assess,
    first_working_day,
    needed_days,
    nth_working_day,
    trend_of,
    working_days,
)
from duecourse.assignments.models import Assignment, ProgressSample
from duecourse.assignments.progress import HISTORY_DAYS, progress_record
from duecourse.assignments.status import derive_status
from duecourse.core.timezones import local_day_end
from duecourse.testing.factories import assign, make_course, make_path, make_person, make_skill

AUCKLAND, LOS_ANGELES = "Pacific/Auckland", "America/Los_Angeles"
FRI, SAT, SUN, MON = dt.date(2026, 3, 6), dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 9)
DAY = dt.timedelta(days=1)


# --- the pure pieces -------------------------------------------------------------------------------------
def test_working_days_count_both_ends_and_skip_weekends():
    assert working_days(FRI, MON) == 2
    assert working_days(SAT, MON) == 1
    assert working_days(SAT, SUN) == 0
    assert working_days(MON, FRI) == 0  # the due date before today
    assert working_days(dt.date(2026, 3, 5), SUN) == 2  # Thursday to a Sunday due date: Thu, Fri
    assert working_days(MON, MON + 13 * DAY) == 10


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), st.integers(1, 400), st.integers(-10, 600))
def test_the_nth_working_day_is_the_threshold_the_sql_compares_with(today, n, offset):
    due = today + dt.timedelta(days=offset)
    assert (working_days(today, due) >= n) == (due >= nth_working_day(today, n))
    assert first_working_day(today).weekday() < 5


def test_needed_days_round_up():
    assert needed_days(0, 30) == 0
    assert needed_days(30, 30) == 1
    assert needed_days(31, 30) == 2
    assert needed_days(180, 30) == 6


def test_the_setting_falls_back_to_the_default_when_malformed():
    assert forecast.learning_minutes_per_day_in({}) == 30
    assert forecast.learning_minutes_per_day_in({"learning_minutes_per_day": 45}) == 45
    for bad in (0, 481, True, "60", None, 2.5):
        assert forecast.learning_minutes_per_day_in({"learning_minutes_per_day": bad}) == 30


def test_a_trend_needs_two_samples_and_projects_from_the_first_to_the_latest():
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    assert trend_of([(start, 0)], "UTC") is None
    trend = trend_of([(start, 0), (start + 2 * DAY, 20)], "UTC")
    assert trend is not None and trend.pace == 10 and trend.projected_finish == dt.date(2026, 3, 12)
    stalled = trend_of([(start, 40), (start + DAY, 30)], "UTC")
    assert stalled is not None and (stalled.pace, stalled.projected_finish) == (0, NEVER)


def test_the_reasons_in_words():
    today = dt.date(2026, 3, 5)
    now = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)
    common = {"status": "assigned", "visibility": "required", "today": today, "now": now, "per_day": 30}
    late = assess(**common, due_date=SUN, remaining_minutes=180, progress=0, trend=None)
    assert late == forecast.Forecast(True, "not started; needs 3 h; 2 working days left")
    trend = Trend(pace=5, projected_finish=dt.date(2026, 3, 14), latest_at=now)
    slow = assess(**common, due_date=dt.date(2026, 3, 10), remaining_minutes=0, progress=40, trend=trend)
    assert slow.reason == "at 40 % and 5 %/day: finishes about 14 Mar, due 10 Mar"
    for status in ("completed", "overdue", "exempt", "expired"):
        other = {**common, "status": status}
        assert not assess(**other, due_date=SUN, remaining_minutes=180, progress=0, trend=None).at_risk
    optional = {**common, "visibility": "optional"}
    assert not assess(**optional, due_date=SUN, remaining_minutes=180, progress=0, trend=None).at_risk


# --- the edges, through assignment and progress intake, with frozen clocks --------------------------------
def _forecast_of(actor, assignment) -> tuple[bool, str | None]:
    fresh = selectors.access_assignment(actor=actor, assignment_id=assignment.pk)
    return fresh.at_risk, fresh.risk_reason


def _at_risk_ids(actor) -> set[int]:
    return set(selectors.assignment_list(actor=actor, at_risk=True).values_list("pk", flat=True))


@pytest.mark.django_db
def test_friday_evening_in_los_angeles_is_saturday_in_auckland(tenant, admin):
    la = make_person(tenant, timezone=LOS_ANGELES)
    nz = make_person(tenant, timezone=AUCKLAND)
    course = make_course(tenant, minutes=60)  # two days at 30 minutes a day
    instant = dt.datetime(2026, 3, 7, 2, tzinfo=dt.UTC)  # Friday 18:00 in Los Angeles, Saturday 15:00 in Auckland
    with time_machine.travel(instant, tick=False):
        in_la = assign(admin, la, course, due_date=str(MON))
        in_nz = assign(admin, nz, course, due_date=str(MON))
        assert _forecast_of(admin, in_la) == (False, None)  # Friday and Monday: exactly enough
        assert _forecast_of(admin, in_nz) == (True, "not started; needs 1 h; 1 working day left")
        assert _at_risk_ids(admin) == {in_nz.pk}
    # Monday 01:00 in Auckland has passed the due date there (overdue, not at risk); it is Monday 05:00 in LA.
    with time_machine.travel(dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC), tick=False):
        assert selectors.access_assignment(actor=admin, assignment_id=in_nz.pk).status == "overdue"
        assert _forecast_of(admin, in_nz) == (False, None)
        assert _forecast_of(admin, in_la) == (True, "not started; needs 1 h; 1 working day left")
        assert _at_risk_ids(admin) == {in_la.pk}


@pytest.mark.django_db
def test_a_due_date_on_a_weekend_counts_the_weekdays_before_it(tenant, admin):
    person = make_person(tenant, timezone="UTC")
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):  # a Thursday
        enough = assign(admin, person, make_course(tenant, minutes=60), due_date=str(SUN))
        short = assign(admin, person, make_course(tenant, minutes=90), due_date=str(SUN))
        no_estimate = assign(admin, person, make_course(tenant, minutes=0), due_date="2026-03-05")
        assert _forecast_of(admin, enough) == (False, None)
        assert _forecast_of(admin, short) == (True, "not started; needs 1 h 30 min; 2 working days left")
        assert _forecast_of(admin, no_estimate) == (False, None)
        assert _at_risk_ids(admin) == {short.pk}


@pytest.mark.django_db
def test_the_daily_minutes_are_the_tenants(tenant, admin):
    person = make_person(tenant, timezone="UTC")
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        item = assign(admin, person, make_course(tenant, minutes=90), due_date=str(SUN))
        assert _forecast_of(admin, item)[0] is True
        tenant.settings = {"learning_minutes_per_day": 45}
        tenant.save()
        assert _forecast_of(admin, item) == (False, None)


@pytest.mark.django_db
def test_a_path_needs_only_its_courses_not_yet_completed(tenant, admin):
    done_first, other = make_course(tenant, minutes=120), make_course(tenant, minutes=60)
    path = make_path(tenant, [(done_first, True), (other, True), (make_course(tenant, minutes=500), False)])
    skill = make_skill(tenant, [done_first, other])
    ahead, fresh = make_person(tenant, timezone="UTC"), make_person(tenant, timezone="UTC")
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        progress_record(actor=admin, person_id=ahead.pk, course_id=done_first.pk, progress=100)
        # Thursday to Friday: two working days; 60 minutes left need two, 180 need six.
        credited = assign(admin, ahead, path, due_date="2026-03-06")
        whole = assign(admin, fresh, path, due_date="2026-03-06")
        credited_skill = assign(admin, ahead, skill, due_date="2026-03-06")
        assert credited.progress == 50
        assert _forecast_of(admin, credited) == (False, None)
        assert _forecast_of(admin, credited_skill) == (False, None)
        assert _forecast_of(admin, whole) == (True, "not started; needs 3 h; 2 working days left")


@pytest.mark.django_db
def test_started_progress_is_judged_by_its_pace(tenant, admin):
    person = make_person(tenant, timezone="UTC")
    fast_course, slow_course = make_course(tenant, minutes=600), make_course(tenant, minutes=600)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):  # a Monday
        fast = assign(admin, person, fast_course, due_date="2026-03-20")
        slow = assign(admin, person, slow_course, due_date="2026-03-20")
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), tick=False):
        progress_record(actor=admin, person_id=person.pk, course_id=fast_course.pk, progress=50)
        assert _forecast_of(admin, fast) == (False, None)  # 50 %/day: done on the 4th
    with time_machine.travel(dt.datetime(2026, 3, 12, 9, tzinfo=dt.UTC), tick=False):
        progress_record(actor=admin, person_id=person.pk, course_id=slow_course.pk, progress=10)
        assert _forecast_of(admin, slow) == (True, "at 10 % and 1 %/day: finishes about 10 Jun, due 20 Mar")
        assert _forecast_of(admin, fast) == (False, None)
        assert _at_risk_ids(admin) == {slow.pk}
        samples = ProgressSample.objects.filter(assignment_id=slow.pk).order_by("at")
        assert [(s.percent, s.opening) for s in samples] == [(0, True), (10, False)]


@pytest.mark.django_db
def test_stalled_progress_is_at_risk(tenant, admin):
    person = make_person(tenant, timezone="UTC")
    course, other = make_course(tenant, minutes=60), make_course(tenant, minutes=60)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        item = assign(admin, person, course, due_date="2026-06-30")
        fell_back = assign(admin, person, other, due_date="2026-06-30")
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), tick=False):
        progress_record(actor=admin, person_id=person.pk, course_id=course.pk, progress=40)
        progress_record(actor=admin, person_id=person.pk, course_id=other.pk, progress=40)
        progress_record(actor=admin, person_id=person.pk, course_id=other.pk, progress=0)
        assert _forecast_of(admin, item) == (False, None)
        assert _forecast_of(admin, fell_back) == (True, "at 0 % with no gain since it started; due 30 Jun")
    with time_machine.travel(dt.datetime(2026, 3, 17, 8, tzinfo=dt.UTC), tick=False):
        assert _forecast_of(admin, item) == (False, None)  # 13 days 23 hours without news
    with time_machine.travel(dt.datetime(2026, 3, 17, 9, tzinfo=dt.UTC), tick=False):
        assert _forecast_of(admin, item) == (True, "at 40 %, no progress since 3 Mar; due 30 Jun")
        assert _at_risk_ids(admin) == {item.pk, fell_back.pk}


@pytest.mark.django_db
def test_history_is_pruned_to_the_first_sample_and_recent_ones(tenant, admin):
    person = make_person(tenant, timezone="UTC")
    course = make_course(tenant, minutes=60)
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        item = assign(admin, person, course, due_date="2026-12-31")
    for day, percent in ((1, 10), (2, 20), (100, 30), (101, 40)):
        with time_machine.travel(start + day * DAY, tick=False):
            progress_record(actor=admin, person_id=person.pk, course_id=course.pk, progress=percent)
    kept = list(ProgressSample.objects.filter(assignment_id=item.pk).order_by("at").values_list("percent", flat=True))
    assert kept == [0, 30, 40]  # 10 and 20 were more than HISTORY_DAYS old when 40 came
    assert HISTORY_DAYS < 99


# --- the SQL form equals the rule ------------------------------------------------------------------------
ZONES = ["UTC", AUCKLAND, LOS_ANGELES, "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kolkata"]
BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

row_strategy = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "due_in_days": st.one_of(st.none(), st.integers(-3, 30)),
        "estimated": st.sampled_from([0, 1, 29, 30, 31, 60, 90, 125, 240, 600, 3000]),
        "current_facts": st.booleans(),
        "remaining": st.one_of(st.none(), st.integers(0, 400)),
        "trend": st.one_of(
            st.none(),
            st.tuples(st.floats(0, 60), st.one_of(st.just(NEVER), st.integers(-5, 40)), st.integers(-30 * 24, 0)),
        ),
        "progress": st.integers(0, 99),
        "visibility": st.sampled_from(["required", "required", "optional"]),
        "completed": st.booleans(),
    }
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(row_strategy, min_size=1, max_size=12),
    hours=st.integers(0, 24 * 14),
    per_day=st.sampled_from([1, 15, 30, 45, 60, 480]),
)
def test_the_sql_form_equals_the_rule(tenant, admin, rows, hours, per_day):
    now = BASE + dt.timedelta(hours=hours, minutes=17)
    people = {zone: make_person(tenant, timezone=zone) for zone in ZONES}
    created = []
    for n, row in enumerate(rows):
        person = people[row["zone"]]
        today = forecast.local_today(now, row["zone"])
        due_date = today + dt.timedelta(days=row["due_in_days"]) if row["due_in_days"] is not None else None
        pace, finish, progress_at = None, None, None
        if row["trend"] is not None:
            pace, finish_in, ago_hours = row["trend"]
            finish = finish_in if finish_in == NEVER else today + dt.timedelta(days=finish_in)
            progress_at = now + dt.timedelta(hours=ago_hours)
        created.append(
            Assignment(
                tenant=tenant,
                person=person,
                target_type="course",
                target_id=10_000 + n,
                due_date=due_date,
                due_at=local_day_end(due_date, row["zone"]) if due_date else None,
                visibility=row["visibility"],
                progress=row["progress"],
                estimated_minutes=row["estimated"],
                completed_at=now - DAY if row["completed"] else None,
                forecast_cycle=1 if row["current_facts"] else 0,
                remaining_minutes=row["remaining"],
                trend_pace=pace,
                projected_finish=finish,
                progress_at=progress_at,
                assigned_at=now - 30 * DAY,
            )
        )
    Assignment.objects.bulk_create(created)
    ids = [a.pk for a in created]
    expected = set()
    for a, row in zip(created, rows, strict=True):
        a.status = derive_status(
            withdrawn_at=None,
            completed_at=a.completed_at,
            expires_at=None,
            due_at=a.due_at,
            progress=a.progress,
            now=now,
            visibility=a.visibility,
        )
        today = forecast.local_today(now, row["zone"])
        if forecast.assess_stored(a, per_day=per_day, today=today, now=now).at_risk:
            expected.add(a.pk)
    mine = Assignment.objects.filter(pk__in=ids)
    assert set(mine.filter(selectors.at_risk_filter(now, per_day)).values_list("pk", flat=True)) == expected
    annotated = selectors.with_forecast(mine, per_day, now)
    assert {pk for pk, risky in annotated.values_list("pk", "at_risk") if risky} == expected
    Assignment.objects.filter(pk__in=ids).delete()
