"""`escalation.escalation_tier` is the rule; the ORM CASE, the tier filter and the hot page's SQL are held to it."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments import selectors
from duecourse.assignments.escalation import DEFAULT_ESCALATION, escalation_tier, reachable_tiers
from duecourse.assignments.models import Assignment
from duecourse.testing.factories import assign, make_course, make_person

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SAME_DAY = [
    {"after_days": 0, "to": "manager", "flag": False},
    {"after_days": 3, "to": "manager", "flag": False},
    {"after_days": 3, "to": "hr", "flag": False},
    {"after_days": 10, "to": None, "flag": True},
]
LATE_START = [{"after_days": 5, "to": "hr", "flag": True}]
POLICIES = {"default": DEFAULT_ESCALATION, "same-day": SAME_DAY, "late-start": LATE_START, "none": []}


@pytest.mark.parametrize(
    ("overdue_for", "tiers", "expected"),
    [
        (None, DEFAULT_ESCALATION, 0),
        (dt.timedelta(0), DEFAULT_ESCALATION, 1),
        (7 * DAY, DEFAULT_ESCALATION, 1),
        (8 * DAY, DEFAULT_ESCALATION, 2),
        (15 * DAY - dt.timedelta(seconds=1), DEFAULT_ESCALATION, 2),
        (15 * DAY, DEFAULT_ESCALATION, 3),
        (400 * DAY, DEFAULT_ESCALATION, 3),
        (2 * DAY, SAME_DAY, 1),
        (3 * DAY, SAME_DAY, 3),  # both tiers of day 3 are reached at once: the last of them
        (4 * DAY, LATE_START, 0),
        (5 * DAY, LATE_START, 1),
        (9 * DAY, [], 0),
    ],
)
def test_the_rule(overdue_for, tiers, expected):
    assert escalation_tier(overdue_for=overdue_for, tiers=tiers) == expected


def test_reachable_tiers():
    assert reachable_tiers(DEFAULT_ESCALATION) == [0, 1, 2, 3]
    assert reachable_tiers(SAME_DAY) == [0, 1, 3, 4]
    assert reachable_tiers([]) == [0]


@pytest.mark.django_db
@pytest.mark.parametrize("policy", list(POLICIES))
def test_every_sql_form_agrees_with_the_rule(tenant, admin, policy):
    tiers = POLICIES[policy]
    tenant.settings = {"escalation": tiers}
    tenant.save()
    learner = make_person(tenant, name="Lena", timezone="UTC")
    expected = {}
    with time_machine.travel(NOW, tick=False):
        for days in (-3, 0, 1, 3, 4, 5, 8, 10, 15, 30):
            course = make_course(tenant)
            item = assign(admin, learner, course, due_date=str((NOW - days * DAY).date()))
            item.refresh_from_db()
            overdue_for = NOW - item.due_at if item.due_at <= NOW else None
            expected[item.pk] = escalation_tier(overdue_for=overdue_for, tiers=tiers)
        optional = assign(admin, learner, make_course(tenant), due_date="2026-05-01")
        Assignment.objects.filter(pk=optional.pk).update(visibility="optional")  # never overdue: tier 0
        expected[optional.pk] = 0
        assert len(set(expected.values())) > 1 or policy == "none"

        annotated = dict(selectors.assignment_list(actor=admin).values_list("pk", "escalation_tier"))
        assert annotated == expected
        for tier in range(len(tiers) + 2):
            filtered = set(selectors.assignment_list(actor=admin, escalation_tier=tier).values_list("pk", flat=True))
            assert filtered == {pk for pk, t in expected.items() if t == tier}, tier
        _, rows = selectors.my_assignments_page(actor=learner, offset=0, limit=100)
        assert {row.id: row.escalation_tier for row in rows} == expected
        one = next(pk for pk, t in expected.items() if t == max(expected.values()))
        assert selectors.access_assignment(actor=admin, assignment_id=one).escalation_tier == expected[one]
