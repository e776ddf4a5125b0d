"""One open assignment per person and target, however many identical requests race."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.testing.factories import make_course, target

THREADS = 6


def race(fn, n=THREADS):
    """Run fn(i) in n threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=10)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers on one file lock (and the test database is in memory), so there is no race",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_single_assignments_create_exactly_one(api_as, tenant, make_person):
    admin = make_person(tenant, roles=("admin",))
    instructor = make_person(tenant, roles=("instructor",))
    learner = make_person(tenant)
    course = make_course(tenant)
    clients = [api_as(admin if i % 2 else instructor) for i in range(THREADS)]
    body = {"person_id": learner.pk, "target": target(course), "due_in_days": 10}

    responses = race(lambda i: clients[i].post("assignments", body))

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * (THREADS - 1) + [201], [r.content for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Assignment.objects.filter(person=learner, withdrawn_at__isnull=True).count() == 1
    sources = AssignmentSource.objects.filter(assignment__person=learner)
    assert sorted(sources.values_list("ref_id", flat=True)) == sorted([admin.pk, instructor.pk])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_bulk_calls_never_duplicate(api_as, tenant, make_person):
    admin = make_person(tenant, roles=("admin",))
    people = [make_person(tenant) for _ in range(25)]
    courses = [make_course(tenant), make_course(tenant)]
    clients = [api_as(admin) for _ in range(THREADS)]
    body = {"targets": [target(c) for c in courses], "assignees": {"person_ids": [p.pk for p in people]}}

    responses = race(lambda i: clients[i].post("assignments/bulk", body))

    assert [r.status_code for r in responses] == [200] * THREADS, [r.content for r in responses]
    assert sum(r.json()["created"] for r in responses) == 50
    assert all(r.json()["created"] + r.json()["skipped"] == 50 for r in responses)
    assert Assignment.objects.filter(withdrawn_at__isnull=True).count() == 50
    assert AssignmentSource.objects.count() == 50


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_single_and_bulk_racing_each_other(api_as, tenant, make_person):
    admin = make_person(tenant, roles=("admin",))
    people = [make_person(tenant) for _ in range(10)]
    course = make_course(tenant)
    clients = [api_as(admin) for _ in range(THREADS)]

    def call(i):
        if i % 2:
            return clients[i].post("assignments", {"person_id": people[i].pk, "target": target(course)})
        return clients[i].post("assignments/bulk", {"targets": [target(course)], "assignees": {"everyone": True}})

    responses = race(call)

    assert all(r.status_code in (200, 201) for r in responses), [r.content for r in responses]
    per_person = Assignment.objects.filter(withdrawn_at__isnull=True).values_list("person_id", flat=True)
    assert sorted(per_person) == sorted([admin.pk, *(p.pk for p in people)])


@pytest.mark.django_db
def test_the_database_rejects_a_second_open_row(admin, tenant, make_person):
    learner = make_person(tenant)
    course = make_course(tenant)
    row = {
        "tenant": tenant,
        "person": learner,
        "target_type": "course",
        "target_id": course.pk,
        "assigned_at": timezone.now(),
    }
    first = Assignment.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(**row)
    # A withdrawn row does not count: history may hold many, next to one open row.
    first.withdrawn_at = timezone.now()
    first.save()
    Assignment.objects.create(**row)
    Assignment.objects.create(**{**row, "withdrawn_at": timezone.now()})
    assert Assignment.objects.filter(person=learner).count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(**row)
