"""The maintained compliance tally (PostgreSQL triggers) always equals a fresh computation, at any moment."""

import datetime as dt
import random

import pytest
import time_machine
from django.db import connection

from duecourse.assignments import progress, services
from duecourse.assignments.models import Assignment
from duecourse.people.models import Person
from duecourse.reports import tally
from duecourse.reports.models import ComplianceTally
from duecourse.reports.selectors import compliance_rows
from duecourse.testing.factories import assign, make_course, org_unit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the tally is kept by PostgreSQL triggers"),
]

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


def assert_equal_at(tenant_id: int, moment: dt.datetime) -> None:
    for by in tally.TALLIED:
        live = sorted(
            (key_id, *counts) for key_id, _, *counts in compliance_rows(tenant_id=tenant_id, by=by, now=moment)
        )
        kept = sorted(
            (key_id, *counts) for key_id, _, *counts in tally.tally_rows(tenant_id=tenant_id, by=by, now=moment)
        )
        assert kept == live, (by, moment)


def moments(rng: random.Random) -> list[dt.datetime]:
    """Now, days around it, and instants where figures change (a due instant, an expiry, an exemption's end)."""
    around = [NOW + dt.timedelta(days=d, hours=rng.randint(0, 23)) for d in (-40, -3, 0, 2, 9, 45, 400)]
    edges = Assignment.objects.exclude(due_at=None).values_list("due_at", flat=True)[:3]
    expiries = Assignment.objects.exclude(expires_at=None).values_list("expires_at", flat=True)[:2]
    ends = Assignment.objects.exclude(exempt_ends_at=None).values_list("exempt_ends_at", flat=True)[:2]
    instants = [*edges, *expiries, *ends]
    return [NOW, *around, *instants, *(i - dt.timedelta(microseconds=1) for i in instants)]


def test_the_installed_triggers_are_the_codes():
    """A change of the status rule changes the generated SQL: a migration must call `tally.install` again."""
    assert tally.installed_matches_code()


@pytest.mark.parametrize("seed", [1, 2, 3, 12])
def test_equals_a_fresh_computation_after_random_changes(admin, tenant, other_tenant, make_person, seed):
    rng = random.Random(seed)
    units = [org_unit(tenant, kind, f"{kind} {i}") for kind in ("department", "site", "region") for i in range(2)]
    by_kind = {kind: [u for u in units if u.kind == kind] + [None] for kind in ("department", "site", "region")}
    courses = [make_course(tenant, title=f"Course {i}") for i in range(3)]
    people = [
        make_person(tenant, **{kind: rng.choice(by_kind[kind]) for kind in by_kind}, timezone="Europe/London")
        for _ in range(6)
    ]
    theirs = make_person(other_tenant, roles=("admin",))
    with time_machine.travel(NOW - dt.timedelta(days=60), tick=False):
        for person in people:
            for course in rng.sample(courses, 2):
                due = (NOW + dt.timedelta(days=rng.randint(-30, 30))).date().isoformat()
                assign(admin, person, course, due_date=due)
        assign(theirs, theirs, make_course(other_tenant), due_date="2026-06-01")
    assert_equal_at(tenant.pk, NOW)

    for step in range(12):
        items = list(Assignment.objects.filter(tenant=tenant).order_by("id"))
        item = rng.choice(items)
        action = rng.choice(
            ["complete", "expire", "reopen", "exempt", "withdraw", "optional", "move", "move_many", "due", "delete"]
        )
        with time_machine.travel(NOW, tick=False):
            if action == "complete" and item.withdrawn_at is None and item.completed_at is None:
                progress.progress_record(actor=admin, person_id=item.person_id, course_id=item.target_id, progress=100)
            elif action == "expire":
                days = rng.randint(-20, 60)
                Assignment.objects.filter(pk=item.pk).update(expires_at=NOW + dt.timedelta(days=days, minutes=7))
            elif action == "reopen":  # recertification: no completion now, the previous one still valid a while
                Assignment.objects.filter(pk=item.pk).update(
                    completed_at=None, expires_at=NOW + dt.timedelta(days=rng.randint(-5, 20), seconds=13)
                )
            elif action == "exempt":
                ends = NOW + dt.timedelta(days=rng.randint(-5, 20), hours=3)
                Assignment.objects.filter(pk=item.pk).update(exempt_at=NOW, exempt_ends_at=rng.choice([None, ends]))
            elif action == "withdraw" and item.withdrawn_at is None and item.completed_at is None:
                services.assignment_withdraw(actor=admin, assignment=item)
            elif action == "optional":
                Assignment.objects.filter(pk=item.pk).update(visibility=rng.choice(["optional", "hidden", "required"]))
            elif action == "move":
                person = Person.objects.get(pk=item.person_id)
                person.department = rng.choice(by_kind["department"])
                person.save()
            elif action == "move_many":
                Person.objects.filter(tenant=tenant, pk__in=[p.pk for p in people[:3]]).update(
                    site=rng.choice(by_kind["site"]), region=rng.choice(by_kind["region"])
                )
            elif action == "due":
                Assignment.objects.filter(tenant=tenant, pk__in=[i.pk for i in rng.sample(items, 4)]).update(
                    due_at=NOW + dt.timedelta(days=rng.randint(-10, 10), minutes=rng.randint(0, 600))
                )
            elif action == "delete":
                Assignment.objects.filter(pk=item.pk).delete()
        if step == 6:  # the worker folds the past into the start rows; the figures stay the same
            rows = ComplianceTally.objects.count()
            tally.tally_fold(now=NOW)
            assert ComplianceTally.objects.count() <= rows
        for moment in moments(rng):
            if step < 6 or moment >= NOW:  # a read before the fold computes live (`tally.in_use`)
                assert_equal_at(tenant.pk, moment)
    assert_equal_at(other_tenant.pk, NOW)


def test_a_progress_report_writes_no_tally_rows(admin, tenant, make_person):
    course = make_course(tenant)
    person = make_person(tenant)
    assign(admin, person, course, due_date="2030-01-01")
    rows = ComplianceTally.objects.count()
    progress.progress_record(actor=admin, person_id=person.pk, course_id=course.pk, progress=40)
    assert ComplianceTally.objects.count() == rows


def test_a_clock_before_the_fold_computes_live(admin, tenant, make_person):
    assert tally.in_use(NOW)
    tally.tally_fold(now=NOW)
    assert tally.in_use(NOW) and not tally.in_use(NOW - dt.timedelta(seconds=1))


def test_the_report_reads_the_tally_in_one_query(admin_api, admin, tenant, make_person):
    from django.test.utils import CaptureQueriesContext

    sales = org_unit(tenant, "department", "Sales")
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        assign(admin, make_person(tenant, department=sales), make_course(tenant), due_date="2026-06-01")
    with time_machine.travel(NOW, tick=False):
        admin_api.get("reports/compliance")
        with CaptureQueriesContext(connection) as queries:
            response = admin_api.get("reports/compliance")
    assert response.json()["items"] == [
        {
            "key": "Sales",
            "key_id": sales.pk,
            "required_due": 1,
            "completed": 0,
            "rate": 0.0,
            "exempt": 0,
            "target_id": None,
        }
    ]
    assert [q["sql"] for q in queries if "compliance_tally" in q["sql"]] and not [
        q["sql"] for q in queries if 'FROM "assignment"' in q["sql"]
    ]
