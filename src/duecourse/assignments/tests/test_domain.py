"""Pure rules: due-date instants across zones and DST, month arithmetic, reminder plans."""

import datetime as dt

import pytest

from duecourse.assignments.domain import (
    DueSpec,
    add_months,
    completion_expires_at,
    completion_is_valid,
    local_date,
    validate_reminder_plan,
)
from duecourse.core.timezones import local_day_end

UTC = dt.UTC


class TestLocalDayEnd:
    def test_utc_day_ends_at_next_midnight(self):
        assert local_day_end(dt.date(2026, 3, 10), "UTC") == dt.datetime(2026, 3, 11, tzinfo=UTC)

    def test_london_in_winter_is_utc(self):
        assert local_day_end(dt.date(2026, 1, 15), "Europe/London") == dt.datetime(2026, 1, 16, tzinfo=UTC)

    def test_london_in_summer_ends_an_hour_earlier_in_utc(self):
        assert local_day_end(dt.date(2026, 7, 15), "Europe/London") == dt.datetime(2026, 7, 15, 23, tzinfo=UTC)

    def test_london_on_the_day_clocks_go_forward(self):
        # 29 March 2026: clocks go forward at 01:00 UTC; the day ends at local midnight BST = 23:00 UTC.
        assert local_day_end(dt.date(2026, 3, 29), "Europe/London") == dt.datetime(2026, 3, 29, 23, tzinfo=UTC)
        # The day before the change still ends at GMT midnight.
        assert local_day_end(dt.date(2026, 3, 28), "Europe/London") == dt.datetime(2026, 3, 29, 0, tzinfo=UTC)

    def test_london_on_the_day_clocks_go_back(self):
        # 25 October 2026: clocks go back; the following midnight is GMT again.
        assert local_day_end(dt.date(2026, 10, 25), "Europe/London") == dt.datetime(2026, 10, 26, 0, tzinfo=UTC)
        assert local_day_end(dt.date(2026, 10, 24), "Europe/London") == dt.datetime(2026, 10, 24, 23, tzinfo=UTC)

    def test_auckland_ends_the_day_before_in_utc(self):
        # NZDT (UTC+13) in January: 16 Jan 00:00 local is 15 Jan 11:00 UTC.
        assert local_day_end(dt.date(2026, 1, 15), "Pacific/Auckland") == dt.datetime(2026, 1, 15, 11, tzinfo=UTC)
        # NZST (UTC+12) in July.
        assert local_day_end(dt.date(2026, 7, 15), "Pacific/Auckland") == dt.datetime(2026, 7, 15, 12, tzinfo=UTC)

    def test_chicago_ends_after_utc_midnight(self):
        # CST (UTC-6) in January, CDT (UTC-5) in July.
        assert local_day_end(dt.date(2026, 1, 15), "America/Chicago") == dt.datetime(2026, 1, 16, 6, tzinfo=UTC)
        assert local_day_end(dt.date(2026, 7, 15), "America/Chicago") == dt.datetime(2026, 7, 16, 5, tzinfo=UTC)

    def test_chicago_on_the_day_clocks_go_forward(self):
        # 8 March 2026 is the US change day; the day ends at CDT midnight.
        assert local_day_end(dt.date(2026, 3, 8), "America/Chicago") == dt.datetime(2026, 3, 9, 5, tzinfo=UTC)
        assert local_day_end(dt.date(2026, 3, 7), "America/Chicago") == dt.datetime(2026, 3, 8, 6, tzinfo=UTC)

    def test_the_same_date_ends_first_in_auckland_then_london_then_chicago(self):
        day = dt.date(2026, 5, 1)
        ends = [local_day_end(day, tz) for tz in ("Pacific/Auckland", "Europe/London", "America/Chicago")]
        assert ends == sorted(ends)
        assert ends[2] - ends[0] > dt.timedelta(hours=12)

    def test_unknown_zone_falls_back_to_utc(self):
        assert local_day_end(dt.date(2026, 3, 10), "Mars/Olympus") == dt.datetime(2026, 3, 11, tzinfo=UTC)
        assert local_day_end(dt.date(2026, 3, 10), "") == dt.datetime(2026, 3, 11, tzinfo=UTC)

    def test_local_date_of_an_instant(self):
        moment = dt.datetime(2026, 1, 15, 12, tzinfo=UTC)
        assert local_date(moment, "Pacific/Auckland") == dt.date(2026, 1, 16)
        assert local_date(moment, "America/Chicago") == dt.date(2026, 1, 15)


class TestAddMonths:
    @pytest.mark.parametrize(
        "start, months, expected",
        [
            (dt.datetime(2026, 1, 31, 9, tzinfo=UTC), 1, dt.datetime(2026, 2, 28, 9, tzinfo=UTC)),
            (dt.datetime(2028, 1, 31, 9, tzinfo=UTC), 1, dt.datetime(2028, 2, 29, 9, tzinfo=UTC)),
            (dt.datetime(2026, 3, 31, tzinfo=UTC), 1, dt.datetime(2026, 4, 30, tzinfo=UTC)),
            (dt.datetime(2026, 5, 15, tzinfo=UTC), 12, dt.datetime(2027, 5, 15, tzinfo=UTC)),
            (dt.datetime(2026, 11, 30, tzinfo=UTC), 3, dt.datetime(2027, 2, 28, tzinfo=UTC)),
            (dt.datetime(2026, 3, 31, tzinfo=UTC), -1, dt.datetime(2026, 2, 28, tzinfo=UTC)),
            (dt.datetime(2026, 1, 15, tzinfo=UTC), -13, dt.datetime(2024, 12, 15, tzinfo=UTC)),
            (dt.datetime(2024, 2, 29, tzinfo=UTC), 12, dt.datetime(2025, 2, 28, tzinfo=UTC)),
        ],
    )
    def test_clamps_to_the_last_day_of_the_month(self, start, months, expected):
        assert add_months(start, months) == expected

    def test_validity(self):
        done = dt.datetime(2025, 1, 31, tzinfo=UTC)
        assert completion_expires_at(done, None) is None
        assert completion_expires_at(done, 12) == dt.datetime(2026, 1, 31, tzinfo=UTC)
        assert completion_is_valid(done, 12, dt.datetime(2026, 1, 30, tzinfo=UTC))
        assert not completion_is_valid(done, 12, dt.datetime(2026, 1, 31, tzinfo=UTC))
        assert completion_is_valid(done, None, dt.datetime(2099, 1, 1, tzinfo=UTC))


class TestDueSpec:
    today = dt.date(2026, 4, 1)

    def test_fixed_date_wins_whatever_the_hire_date(self):
        spec = DueSpec(fixed=dt.date(2026, 5, 1))
        assert spec.date_for(today=self.today, hire_date=dt.date(2020, 1, 1)) == dt.date(2026, 5, 1)
        assert spec.describe() == "fixed date 2026-05-01"

    def test_days_after_assignment(self):
        assert DueSpec(days=30).date_for(today=self.today, hire_date=None) == dt.date(2026, 5, 1)

    def test_days_after_hire_date_falls_back_to_today_without_one(self):
        spec = DueSpec(days=10, from_hire_date=True)
        assert spec.date_for(today=self.today, hire_date=dt.date(2026, 3, 1)) == dt.date(2026, 3, 11)
        assert spec.date_for(today=self.today, hire_date=None) == dt.date(2026, 4, 11)
        assert spec.describe() == "10 days after hire date"

    def test_no_due_date(self):
        assert DueSpec().date_for(today=self.today, hire_date=None) is None
        assert DueSpec().describe() == "no due date"


class TestReminderPlan:
    def test_none_means_the_default(self):
        assert validate_reminder_plan(None) is None

    def test_clean_plan_sorts_and_dedups_recipients(self):
        plan = validate_reminder_plan(
            [{"days": 3, "recipients": ["manager", "learner", "manager"]}, {"days": -2, "recipients": ["hr"]}]
        )
        assert plan == [{"days": 3, "recipients": ["learner", "manager"]}, {"days": -2, "recipients": ["hr"]}]

    def test_recipients_default_to_the_learner_and_template_is_kept(self):
        assert validate_reminder_plan([{"days": 1, "template": "gentle"}]) == [
            {"days": 1, "recipients": ["learner"], "template": "gentle"}
        ]

    def test_template_names_are_checked_against_the_known_ones_when_given(self):
        plan = [{"days": 1, "template": "gentle"}, {"days": 0, "template": ""}]
        assert validate_reminder_plan(plan, templates={"gentle"}) == [
            {"days": 1, "recipients": ["learner"], "template": "gentle"},
            {"days": 0, "recipients": ["learner"], "template": ""},
        ]
        with pytest.raises(
            ValueError, match=r"\[0\]\.template: there is no message template named 'gentle' \(known: stern\)"
        ):
            validate_reminder_plan(plan, templates={"stern"})

    @pytest.mark.parametrize(
        "plan, message",
        [
            ({"days": 3}, "must be a list"),
            (["soon"], "[0] must be an object"),
            ([{"days": "3"}], "[0].days must be a whole number"),
            ([{"days": True}], "[0].days must be a whole number"),
            ([{"days": 400}], "[0].days must be a whole number from -365 to 365"),
            ([{"days": 1}, {"days": 2, "recipients": []}], "[1].recipients must be a non-empty list"),
            ([{"days": 1, "recipients": ["ceo"]}], "[0].recipients must be a non-empty list"),
            ([{"days": 1, "template": 7}], "[0].template must be a template name"),
            ([{"days": 1}] * 21, "at most 20 reminder rules"),
        ],
    )
    def test_errors_say_which_rule_and_what(self, plan, message):
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            validate_reminder_plan(plan)
