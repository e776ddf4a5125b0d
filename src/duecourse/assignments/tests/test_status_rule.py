"""Every SQL form of the status rule gives `derive_status`'s answer, on real rows covering every combination
of the facts (withdrawn, completed, expiry, due date, progress, exemption granted and running or run out,
visibility).

The forms: the ORM's CASE (`status_expression`), the index-friendly WHERE clause per status (`status_filter`),
the raw SQL CASE of the hot My-learning page (`status_case_sql` in `my_assignments_page`), the raw SQL
condition per status (`status_in_sql`), and the report's team counts (`reports.selectors.team_status`).
"""

import datetime as dt
import itertools

import pytest
import time_machine
from django.db import connection

from duecourse.assignments import selectors
from duecourse.assignments.models import Assignment
from duecourse.assignments.status import UNFINISHED_STATUSES, AssignmentStatus, derive_status
from duecourse.core.sql import TypedQuery
from duecourse.reports import selectors as report_selectors
from duecourse.testing.factories import make_course

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)
BEFORE, AFTER = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1)
# due_at == now and expires_at == now are the boundaries: overdue and expired from that instant on;
# exempt_ends_at == now too: the exemption has run out from that instant on.
EXEMPTIONS = [
    (None, None),  # never exempted
    (BEFORE, None),  # exempt, open-ended
    (BEFORE, BEFORE),  # the exemption ran out yesterday
    (BEFORE, NOW),  # ... runs out now
    (BEFORE, AFTER),  # ... runs until tomorrow
]
VISIBILITIES = ["required", "optional", "hidden"]
COMBINATIONS = [
    (withdrawn_at, *rest, exempt_at, exempt_ends_at, visibility)
    for withdrawn_at, *rest in itertools.product(
        [None, BEFORE],  # withdrawn_at
        [None, BEFORE],  # completed_at
        [None, BEFORE, NOW, AFTER],  # expires_at
        [None, BEFORE, NOW, AFTER],  # due_at
        [0, 50],  # progress
    )
    for exempt_at, exempt_ends_at in EXEMPTIONS
    for visibility in VISIBILITIES
    # withdrawn beats everything: a few exemptions and visibilities are enough to show it
    if withdrawn_at is None or (exempt_ends_at is None and visibility == "required")
]
FACTS = (
    "withdrawn_at",
    "completed_at",
    "expires_at",
    "due_at",
    "progress",
    "exempt_at",
    "exempt_ends_at",
    "visibility",
)


@pytest.fixture
def rows(tenant, admin, make_person):
    """One report of `boss` per combination, each with one assignment; returns (boss, {id: expected status})."""
    boss = make_person(tenant, name="Boss")
    make_person(tenant, name="No assignments", manager=boss)  # the team query's LEFT JOIN finds no row
    course = make_course(tenant)
    expected = {}
    for combination in COMBINATIONS:
        facts = dict(zip(FACTS, combination, strict=True))
        person = make_person(tenant, manager=boss)
        assignment = Assignment.objects.create(
            tenant=tenant,
            person=person,
            target_type="course",
            target_id=course.pk,
            due_date=facts["due_at"].date() if facts["due_at"] else None,
            assigned_at=BEFORE - dt.timedelta(days=30),
            **facts,
        )
        expected[assignment.pk] = derive_status(**facts, now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield boss, expected


def _orm_case(boss, expected):
    items = selectors.with_status(Assignment.objects.filter(tenant_id=boss.tenant_id), NOW)
    return dict(items.values_list("pk", "status"))


def _orm_filter(boss, expected):
    found = {}
    for status in AssignmentStatus:
        for pk in Assignment.objects.filter(selectors.status_filter(status, NOW)).values_list("pk", flat=True):
            assert pk not in found, f"assignment {pk} matches both {found[pk]} and {status}"
            found[pk] = status
    return found


def _raw(sql: str, tenant_id: int) -> list[tuple]:
    """Run `sql`, whose last `%s` is the tenant and every other one now."""
    now = connection.ops.adapt_datetimefield_value(NOW)
    with connection.cursor() as cursor:
        cursor.execute(sql, [now] * (sql.count("%s") - 1) + [tenant_id])
        return cursor.fetchall()


def _raw_case(boss, expected):
    sql = f"SELECT a.id, {selectors.status_case_sql('a')} FROM assignment a WHERE a.tenant_id = %s"
    # The hot page's own statement, too (it shows what is neither withdrawn nor hidden).
    page = {}
    for assignment in Assignment.objects.filter(withdrawn_at__isnull=True).select_related("person"):
        _, rows = selectors.my_assignments_page(actor=assignment.person, offset=0, limit=10)
        page.update({row.id: row.status for row in rows})
    whole = dict(_raw(sql, boss.tenant_id))
    hidden = set(Assignment.objects.filter(visibility="hidden").values_list("pk", flat=True))
    shown = {pk: status for pk, status in whole.items() if status != AssignmentStatus.WITHDRAWN and pk not in hidden}
    assert page == shown
    return whole


def _raw_condition(boss, expected):
    found = {}
    for status in AssignmentStatus:
        sql = f"SELECT a.id FROM assignment a WHERE {selectors.status_in_sql([status], 'a')} AND a.tenant_id = %s"
        for (pk,) in _raw(sql, boss.tenant_id):
            assert pk not in found, f"assignment {pk} matches both {found[pk]} and {status}"
            found[pk] = status
    return found


def _team_counts(boss, expected):
    """The report counts per person, turned back into the one status each person's assignment has."""
    by_person = dict(Assignment.objects.values_list("person_id", "pk"))
    visibility = dict(Assignment.objects.values_list("pk", "visibility"))
    found = {}
    for row in report_selectors.team_status(actor=boss, manager_id=None):
        counts = (row["active"], row["completed"], row["overdue"])
        if row["person_id"] not in by_person:
            assert counts == (0, 0, 0)
            continue
        pk = by_person[row["person_id"]]
        status = expected[pk]
        counted = visibility[pk] != "hidden"  # team counts leave hidden items out
        assert counts == (
            int(counted and status in UNFINISHED_STATUSES),
            int(counted and status == AssignmentStatus.COMPLETED),
            int(counted and status == AssignmentStatus.OVERDUE),
        ), (status, row)
        found[pk] = status
    return found


@pytest.mark.parametrize(
    "form", [_orm_case, _orm_filter, _raw_case, _raw_condition, _team_counts], ids=lambda f: f.__name__.strip("_")
)
def test_every_sql_form_agrees_with_derive_status(rows, form):
    boss, expected = rows
    assert len(expected) == len(COMBINATIONS) == 64 * 15 + 64 * 2
    assert set(expected.values()) == set(AssignmentStatus)
    assert form(boss, expected) == expected


def test_the_hot_page_still_uses_the_generated_status_sql():
    """The hot query's text is the generated CASE, not a second hand-written copy."""
    query = selectors._my_page_query(connection.vendor, 3)
    assert isinstance(query, TypedQuery)
    assert selectors.status_case_sql("a") in query.sql
    assert selectors.escalation_case_sql(3, "a") in query.sql
