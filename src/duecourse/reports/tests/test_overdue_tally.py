"""The trigger-kept overdue tally (PostgreSQL) always equals a fresh count of the overdue items per department
and escalation tier, at any moment, after any change."""

import datetime as dt
import random

import pytest
import time_machine
from django.db import connection

from duecourse.assignments import progress, services
from duecourse.assignments.escalation import escalation_tiers
from duecourse.assignments.models import Assignment
from duecourse.people.models import Person
from duecourse.reports import overdue_tally
from duecourse.reports.dashboard import overdue_counts_live
from duecourse.reports.models import OverdueTally
from duecourse.testing.factories import assign, make_course, org_unit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the tally is kept by PostgreSQL triggers"),
]

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
TIERS = escalation_tiers(
    {
        "escalation": [
            {"after_days": 0, "to": None},
            {"after_days": 3, "to": "manager"},
            {"after_days": 15, "to": None, "flag": True},
        ]
    }
)


def fresh(tenant_id: int, moment: dt.datetime) -> dict:
    return overdue_counts_live(tenant_id=tenant_id, tiers=TIERS, now=moment)


def assert_equal_at(tenant_id: int, moment: dt.datetime) -> None:
    kept = overdue_tally.overdue_by_department_and_tier(tenant_id=tenant_id, tiers=TIERS, now=moment)
    assert kept == fresh(tenant_id, moment), moment


def moments(rng: random.Random) -> list[dt.datetime]:
    """Now, days around it, and the instants where figures change (a due moment, a tier's day, an exemption's end)."""
    around = [NOW + dt.timedelta(days=d, hours=rng.randint(0, 23)) for d in (-40, -3, 0, 2, 9, 45)]
    dues = list(Assignment.objects.exclude(due_at=None).values_list("due_at", flat=True)[:3])
    ends = list(Assignment.objects.exclude(exempt_ends_at=None).values_list("exempt_ends_at", flat=True)[:2])
    instants = [*dues, *(d + dt.timedelta(days=3) for d in dues), *ends]
    return [NOW, *around, *instants, *(i - dt.timedelta(microseconds=1) for i in instants)]


def test_the_table_has_the_columns_the_overdue_rule_compares_with_now():
    fields = {f.column for f in OverdueTally._meta.get_fields() if hasattr(f, "column")}
    assert set(overdue_tally.KEYS) <= fields


def test_the_installed_triggers_are_the_codes():
    """A change of the status rule changes the generated SQL: a migration must call `overdue_tally.install`."""
    assert overdue_tally.installed_matches_code()


@pytest.mark.parametrize("seed", [1, 2, 3, 12])
def test_equals_a_fresh_count_after_random_changes(admin, tenant, other_tenant, make_person, seed):
    rng = random.Random(seed)
    departments = [org_unit(tenant, "department", f"Department {i}") for i in range(3)] + [None]
    courses = [make_course(tenant, title=f"Course {i}") for i in range(3)]
    zones = ["Europe/London", "America/New_York", "Asia/Tokyo"]
    people = [make_person(tenant, department=rng.choice(departments), timezone=rng.choice(zones)) for _ in range(7)]
    theirs = make_person(other_tenant, roles=("admin",))
    with time_machine.travel(NOW - dt.timedelta(days=60), tick=False):
        for person in people:
            for course in rng.sample(courses, 2):
                due = (NOW + dt.timedelta(days=rng.randint(-30, 30))).date().isoformat()
                assign(admin, person, course, due_date=rng.choice([due, due, None]))
        assign(theirs, theirs, make_course(other_tenant), due_date="2026-06-01")
    assert_equal_at(tenant.pk, NOW)

    for step in range(12):
        items = list(Assignment.objects.filter(tenant=tenant).order_by("id"))
        item = rng.choice(items)
        action = rng.choice(
            ["complete", "reopen", "exempt", "unexempt", "withdraw", "optional", "move", "move_many", "due", "delete"]
        )
        with time_machine.travel(NOW, tick=False):
            if action == "complete" and item.withdrawn_at is None and item.completed_at is None:
                progress.progress_record(actor=admin, person_id=item.person_id, course_id=item.target_id, progress=100)
            elif action == "reopen":  # recertification: the completion cleared
                Assignment.objects.filter(pk=item.pk).update(completed_at=None, expires_at=None)
            elif action == "exempt":
                ends = NOW + dt.timedelta(days=rng.randint(-5, 20), hours=3)
                Assignment.objects.filter(pk=item.pk).update(exempt_at=NOW, exempt_ends_at=rng.choice([None, ends]))
            elif action == "unexempt":
                Assignment.objects.filter(pk=item.pk).update(exempt_at=None, exempt_ends_at=None)
            elif action == "withdraw" and item.withdrawn_at is None and item.completed_at is None:
                services.assignment_withdraw(actor=admin, assignment=item)
            elif action == "optional":
                Assignment.objects.filter(pk=item.pk).update(visibility=rng.choice(["optional", "hidden", "required"]))
            elif action == "move":
                person = Person.objects.get(pk=item.person_id)
                person.department = rng.choice(departments)
                person.save()
            elif action == "move_many":
                Person.objects.filter(tenant=tenant, pk__in=[p.pk for p in people[:3]]).update(
                    department=rng.choice(departments)
                )
            elif action == "due":
                Assignment.objects.filter(tenant=tenant, pk__in=[i.pk for i in rng.sample(items, 4)]).update(
                    due_at=NOW + dt.timedelta(days=rng.randint(-10, 10), minutes=rng.randint(0, 600))
                )
            elif action == "delete":
                Assignment.objects.filter(pk=item.pk).delete()
        if step == 6:  # the worker folds the rows; the figures stay the same
            rows = OverdueTally.objects.count()
            overdue_tally.overdue_tally_fold()
            assert OverdueTally.objects.count() <= rows
        for moment in moments(rng):
            assert_equal_at(tenant.pk, moment)
    assert_equal_at(other_tenant.pk, NOW)
    assert fresh(tenant.pk, NOW + dt.timedelta(days=45)), "the data has overdue items to compare"


def test_a_progress_report_writes_no_rows(admin, tenant, make_person):
    course = make_course(tenant)
    person = make_person(tenant)
    assign(admin, person, course, due_date="2030-01-01")
    rows = OverdueTally.objects.count()
    progress.progress_record(actor=admin, person_id=person.pk, course_id=course.pk, progress=40)
    assert OverdueTally.objects.count() == rows


def test_items_due_at_one_moment_share_one_row_after_the_fold(admin, tenant, make_person):
    course = make_course(tenant)
    for _ in range(5):
        assign(admin, make_person(tenant, timezone="Europe/London"), course, due_date="2026-06-01")
    overdue_tally.overdue_tally_fold()
    assert list(OverdueTally.objects.filter(tenant=tenant).values_list("items", flat=True)) == [5]


def test_an_exemption_keeps_an_item_off_until_it_ends_then_its_tier_counts_from_the_due_date(
    admin, tenant, make_person
):
    sales = org_unit(tenant, "department", "Sales")
    person = make_person(tenant, department=sales, timezone="UTC")
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        item = assign(admin, person, make_course(tenant), due_date="2026-06-01")
    ends = NOW + dt.timedelta(days=5)
    Assignment.objects.filter(pk=item.pk).update(exempt_at=NOW, exempt_ends_at=ends)
    kept = overdue_tally.overdue_by_department_and_tier
    assert kept(tenant_id=tenant.pk, tiers=TIERS, now=NOW) == {}
    assert kept(tenant_id=tenant.pk, tiers=TIERS, now=ends) == {("Sales", 3): 1}  # 19 days past its due date
    assert_equal_at(tenant.pk, ends)
    assert_equal_at(tenant.pk, ends - dt.timedelta(microseconds=1))
