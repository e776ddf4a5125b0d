"""`reminder_due_at` (the pure rule) and the SQL that plans reminder rows give the same instants."""

import datetime as dt

import pytest

from duecourse.assignments.domain import reminder_due_at
from duecourse.notifications.models import ReminderSchedule
from duecourse.testing.scheduling import assign_at, utc

pytestmark = pytest.mark.django_db

ZONES = ["UTC", "Europe/London", "Pacific/Auckland", "America/Chicago", "Asia/Kolkata"]
# Due dates next to the 2026 clock changes of those zones, and one far from any.
DUE_DATES = ["2026-03-30", "2026-04-01", "2026-04-06", "2026-09-28", "2026-10-26", "2026-11-02", "2026-07-15"]
PLAN = [{"days": days, "recipients": ["learner"]} for days in (7, 3, 1, 0, -1, -3)]


def test_known_instants():
    # London: reminder day 30 Mar 2026 begins at BST midnight, 23:00 UTC the day before.
    assert reminder_due_at(due_date=dt.date(2026, 4, 2), days_before=3, timezone_name="Europe/London") == utc(
        "2026-03-29T23:00"
    )
    # days_before=-1 is the end of the due day itself, when the item becomes overdue.
    assert reminder_due_at(due_date=dt.date(2026, 4, 2), days_before=-1, timezone_name="UTC") == utc("2026-04-03T00:00")


@pytest.mark.parametrize("zone", ZONES)
def test_planned_rows_fall_when_the_pure_rule_says(admin, tenant, make_person, zone):
    learner = make_person(tenant, timezone=zone)
    for due_date in DUE_DATES:
        assign_at(utc("2026-01-01T09:00"), admin, learner, due_date=due_date, reminders=PLAN)
    rows = ReminderSchedule.objects.filter(assignment__person=learner, rule_key__startswith="r")
    assert rows.count() == len(DUE_DATES) * len(PLAN)
    for row in rows:
        days_before = int(row.rule_key.partition(":")[2])
        assert row.remind_at == reminder_due_at(due_date=row.due_date, days_before=days_before, timezone_name=zone), (
            row.due_date,
            days_before,
        )
