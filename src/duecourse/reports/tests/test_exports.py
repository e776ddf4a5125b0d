"""The HR exports: overdue by department, completed before the start date, and the audit sample."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.progress import progress_record
from duecourse.assignments.services import assignment_withdraw
from duecourse.reports import exports
from duecourse.testing.factories import assign, make_course, make_path, org_unit, target
from duecourse.testing.scheduling import frozen_at, utc
from duecourse.testing.web import field_error, nav_labels

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
frozen = frozen_at(NOW)


def table(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def rows_of(export: exports.Export) -> list[list]:
    return list(export.rows)


@pytest.fixture
def org(admin, tenant, other_tenant, make_person):
    """Overdue items in two departments and one person with none; what must stay out of the export.

    Ops:    Cat (York; course A due 10 Jun, a path due 12 Jun: both overdue)
    Sales:  Ann (Leeds, North; course A due 1 Jun: overdue), Bob (course A due 1 Jul: not yet)
    none:   Zed (course A due 14 Jun: overdue)
    left out: Dan (left the company, overdue), an optional item, a withdrawn one, another tenant's overdue item
    """
    sales, ops = org_unit(tenant, "department", "Sales"), org_unit(tenant, "department", "Ops")
    leeds, york = org_unit(tenant, "site", "Leeds"), org_unit(tenant, "site", "York")
    north = org_unit(tenant, "region", "North")
    boss = make_person(tenant, name="Boss", email="boss@acme.test")
    ann = make_person(
        tenant,
        name="Ann",
        email="ann@acme.test",
        manager=boss,
        department=sales,
        site=leeds,
        region=north,
        hire_date=dt.date(2025, 1, 10),
    )
    bob = make_person(tenant, name="Bob", manager=boss, department=sales, site=leeds)
    cat = make_person(tenant, name="Cat", email="cat@acme.test", manager=boss, department=ops, site=york)
    zed = make_person(tenant, name="Zed", email="zed@acme.test")
    dan = make_person(tenant, name="Dan", department=ops)
    a = make_course(tenant, code="A-1", title="Course A")
    b = make_course(tenant, code="B-1", title="Course B")
    path = make_path(tenant, [(b, True)], title="Induction path")
    assign(admin, ann, a, due_date="2026-06-01")
    assign(admin, bob, a, due_date="2026-07-01")
    assign(admin, cat, path, due_date="2026-06-12")
    assign(admin, cat, a, due_date="2026-06-10")
    assign(boss, cat, a, due_date="2026-06-10")  # a second source of the same kind
    rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {"name": "Cat's rule", "audience": {"person_ids": [cat.pk]}, "items": [{"target": target(a)}]}
        ),
    )
    assign(admin, zed, a, due_date="2026-06-14")
    assign(admin, dan, a, due_date="2026-06-01")
    optional = assign(admin, ann, b, due_date="2026-06-01")
    optional.visibility = "optional"
    optional.save()
    withdrawn = assign(admin, zed, b, due_date="2026-06-01")
    assignment_withdraw(actor=admin, assignment=withdrawn)
    dan.active = False
    dan.save()
    foreign_admin = make_person(other_tenant, roles=("admin",), name="Foreign Admin")
    foreigner = make_person(other_tenant, name="Foreigner", hire_date=dt.date(2026, 1, 1))
    foreign_course = make_course(other_tenant, code="F-1")
    assign(foreign_admin, foreigner, make_course(other_tenant), due_date="2026-06-01")
    progress_record(
        actor=foreign_admin, person_id=foreigner.pk, course_id=foreign_course.pk, completed_at=utc("2025-06-01")
    )
    return {
        "boss": boss,
        "ann": ann,
        "bob": bob,
        "cat": cat,
        "zed": zed,
        "a": a,
        "b": b,
        "foreign_admin": foreign_admin,
    }


class TestOverdueByDepartment:
    def test_rows_by_department_then_person_then_due_date(self, api_as, admin, org):
        rows = table(api_as(admin).get("reports/exports/overdue-by-department"))

        assert [(r["department"], r["person_name"], r["target_title"]) for r in rows] == [
            ("Ops", "Cat", "Course A"),
            ("Ops", "Cat", "Induction path"),
            ("Sales", "Ann", "Course A"),
            ("", "Zed", "Course A"),
        ]
        cat_a, cat_path, ann, zed = rows
        assert ann == {
            "department": "Sales",
            "site": "Leeds",
            "region": "North",
            "manager_name": "Boss",
            "manager_email": "boss@acme.test",
            "person_name": "Ann",
            "person_email": "ann@acme.test",
            "hire_date": "2025-01-10",
            "target_type": "course",
            "target_title": "Course A",
            "due_date": "2026-06-01",
            "days_overdue": "14",
            "escalation_tier": "2",  # the default tiers: at once, after 8 days, after 15 days
            "compliance_flag": "false",
            "sources": "individual",
            "assignment_id": ann["assignment_id"],
        }
        assert (cat_a["days_overdue"], cat_a["escalation_tier"], cat_a["sources"]) == ("5", "1", "individual;rule")
        assert (cat_path["target_type"], cat_path["days_overdue"], cat_path["site"]) == ("path", "3", "York")
        assert (zed["manager_name"], zed["manager_email"], zed["days_overdue"]) == ("", "", "1")

    def test_another_tenant_sees_only_its_own(self, api_as, org):
        rows = table(api_as(org["foreign_admin"]).get("reports/exports/overdue-by-department"))
        assert [r["person_name"] for r in rows] == ["Foreigner"]


class TestCompletedBeforeStart:
    @pytest.fixture
    def completions(self, admin, tenant, make_person, org):
        """Ann (hired 10 Jan 2025): one completion before, one after. Tom (Tokyo, hired 2 Mar 2025): completed
        at 20:00 UTC on 1 Mar, already 2 Mar in Tokyo, so not before. Nia has no hire date."""
        tom = make_person(tenant, name="Tom", timezone="Asia/Tokyo", hire_date=dt.date(2025, 3, 2))
        nia = make_person(tenant, name="Nia")
        for person, course, when in [
            (org["ann"], org["a"], "2025-01-05T10:00"),
            (org["ann"], org["b"], "2025-02-01T10:00"),
            (org["ann"], org["b"], "2025-01-10T00:30"),  # on the hire date: not before
            (tom, org["a"], "2025-03-01T20:00"),
            (nia, org["a"], "2020-01-01T10:00"),
        ]:
            progress_record(
                actor=admin,
                person_id=person.pk,
                course_id=course.pk,
                completed_at=utc(when),
                score=0.9,
                origin="import",
                statement_id="stmt-1",
            )

    @pytest.mark.usefixtures("completions")
    def test_only_completions_dated_before_the_hire_date(self, api_as, admin, org):
        rows = table(api_as(admin).get("reports/exports/completed-before-start"))

        assert rows == [
            {
                "person_name": "Ann",
                "person_email": "ann@acme.test",
                "department": "Sales",
                "hire_date": "2025-01-10",
                "course_code": "A-1",
                "course_title": "Course A",
                "completed_at": "2025-01-05T10:00:00Z",
                "origin": "import",
                "statement_id": "stmt-1",
                "recorded_by_name": "Ada Admin",
                "recorded_by_email": "admin@acme.test",
                "completion_id": rows[0]["completion_id"],
            }
        ]

    @pytest.mark.usefixtures("completions")
    def test_another_tenant_sees_only_its_own(self, api_as, org):
        rows = table(api_as(org["foreign_admin"]).get("reports/exports/completed-before-start"))
        assert [(r["person_name"], r["course_code"]) for r in rows] == [("Foreigner", "F-1")]


class TestAuditSample:
    @pytest.fixture
    def ten(self, admin, tenant, make_person, org):
        """Ten completions, one a day from 1 to 10 May 2026 (plus the other tenant's one)."""
        people = [make_person(tenant, name=f"Person {i:02d}") for i in range(10)]
        for day, person in enumerate(people, start=1):
            progress_record(
                actor=admin, person_id=person.pk, course_id=org["a"].pk, completed_at=utc(f"2026-05-{day:02d}T12:00")
            )

    def sample(self, client, **params) -> list[dict[str, str]]:
        return table(client.get("reports/exports/audit-sample", params))

    @pytest.mark.usefixtures("ten")
    def test_half_of_ten_is_five_and_a_seed_draws_the_same_sample(self, admin_api):
        first = self.sample(admin_api, percent=50, seed=7)
        again = self.sample(admin_api, percent=50, seed=7)
        # Another seed may draw the same 5 of 10 by chance (1 in 252): one of four others does not.
        others = [self.sample(admin_api, percent=50, seed=seed) for seed in (8, 9, 10, 11)]

        assert len(first) == 5
        assert first == again
        drawn = {frozenset(r["completion_id"] for r in other) for other in others}
        assert drawn - {frozenset(r["completion_id"] for r in first)}
        assert [r["completed_at"] for r in first] == sorted(r["completed_at"] for r in first)  # oldest first
        assert {r["course_code"] for r in first} == {"A-1"}
        assert first[0]["recorded_by_email"] == "admin@acme.test"
        assert first[0]["origin"] == "api" and first[0]["recorded_at"] == "2026-06-15T09:00:00Z"

    @pytest.mark.usefixtures("ten")
    def test_the_share_is_rounded_up_and_limited_to_the_dates(self, admin_api):
        assert len(self.sample(admin_api, percent=1)) == 1
        assert len(self.sample(admin_api, percent=100)) == 10
        assert len(self.sample(admin_api, percent=34)) == 4
        in_range = self.sample(admin_api, percent=100, **{"from": "2026-05-03", "to": "2026-05-05"})
        assert [r["completed_at"][:10] for r in in_range] == ["2026-05-03", "2026-05-04", "2026-05-05"]

    @pytest.mark.usefixtures("ten")
    def test_without_a_seed_the_answer_names_the_seed_drawn(self, admin_api):
        response = admin_api.get("reports/exports/audit-sample", {"percent": 30})
        seed = response["X-Sample-Seed"]
        assert response["Content-Disposition"] == f'attachment; filename="audit-sample-30pct-seed-{seed}.csv"'

        assert table(response) == self.sample(admin_api, percent=30, seed=seed)

    @pytest.mark.usefixtures("ten")
    def test_another_tenants_completions_never_appear(self, api_as, admin_api, org):
        own = self.sample(admin_api, percent=100)
        foreign = self.sample(api_as(org["foreign_admin"]), percent=100)

        assert len(own) == 10 and "Foreigner" not in {r["person_name"] for r in own}
        assert [r["person_name"] for r in foreign] == ["Foreigner"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({}, "percent"),
            ({"percent": 0}, "percent"),
            ({"percent": 101}, "percent"),
            ({"percent": "ten"}, "percent"),
            ({"percent": 10, "seed": -1}, "seed"),
            ({"percent": 10, "seed": 2**31}, "seed"),
            ({"percent": 10, "from": "2026-13-01"}, "from"),
            ({"percent": 10, "from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ],
    )
    def test_bad_parameters_answer_422_naming_the_field(self, admin_api, params, field):
        response = admin_api.get("reports/exports/audit-sample", params)
        assert response.status_code == 422, response.content
        assert [e["field"] for e in response.json()["errors"]] == [field]


EXPORT_PATHS = [
    "reports/exports/overdue-by-department",
    "reports/exports/completed-before-start",
    "reports/exports/audit-sample?percent=10",
]


class TestWhoMayRunThem:
    @pytest.mark.parametrize("path", EXPORT_PATHS)
    def test_managers_and_learners_are_refused_even_for_their_own_people(self, api_as, org, path):
        """Organisation-wide exports, as compliance: a manager's people are on the team page instead."""
        for person in (org["boss"], org["ann"]):
            response = api_as(person).get(path)
            assert response.status_code == 403, response.content
            assert response.json()["detail"] == "You are not allowed to run HR exports"

    @pytest.mark.parametrize("role", ["instructor", "hr"])
    def test_instructors_and_hr_run_them_organisation_wide(self, api_as, tenant, make_person, org, role):
        client = api_as(make_person(tenant, roles=(role,)))
        names = [r["person_name"] for r in table(client.get(EXPORT_PATHS[0]))]
        assert names == ["Cat", "Cat", "Ann", "Zed"]


class TestQueryCount:
    """Each export is a constant number of statements, whatever its number of rows."""

    def count(self, export_of) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = rows_of(export_of())
        return len(queries), len(rows)

    def test_the_queries_do_not_grow_with_the_rows(
        self, admin, tenant, make_person, org, django_assert_max_num_queries
    ):
        exports_of = [
            lambda: exports.overdue_by_department(actor=admin),
            lambda: exports.completed_before_start(actor=admin),
            lambda: exports.audit_sample(actor=admin, percent=100, seed=1),
        ]

        def add_people(count: int) -> None:
            for _ in range(count):
                person = make_person(tenant, hire_date=dt.date(2026, 1, 1))
                assign(admin, person, org["a"], due_date="2026-06-01")
                progress_record(actor=admin, person_id=person.pk, course_id=org["b"].pk, completed_at=utc("2025-12-01"))

        add_people(1)
        before = [self.count(export_of) for export_of in exports_of]
        add_people(30)
        for export_of, (queries, rows) in zip(exports_of, before, strict=True):
            with django_assert_max_num_queries(queries):
                more = rows_of(export_of())
            assert len(more) == rows + 30
        assert [queries for queries, _ in before] == [2, 1, 2]  # tiers + rows; rows; count + rows


class TestExportsPage:
    def test_hr_sees_the_three_exports_and_downloads_each(self, signed_in, tenant, make_person, org):
        hr = make_person(tenant, roles=("hr",))
        client = signed_in(hr)
        page = client.get("/reports/exports/")
        html = page.content.decode()

        assert page.status_code == 200
        # reached from Mandatory tasks ("HR exports"), which HR has in the navigation
        assert "Mandatory tasks" in nav_labels(html)
        assert 'href="/reports/exports/">HR exports</a>' in client.get("/tasks/").content.decode()
        for title in ("All overdue by department", "Completed before start date", "Audit sample of completions"):
            assert title in html
        overdue = table(client.get("/reports/exports/overdue-by-department.csv"))
        assert [r["person_name"] for r in overdue] == ["Cat", "Cat", "Ann", "Zed"]
        assert table(client.get("/reports/exports/completed-before-start.csv")) == []
        sample = client.get("/reports/exports/audit-sample.csv", {"percent": "100", "seed": "3"})
        assert sample["Content-Disposition"] == 'attachment; filename="audit-sample-100pct-seed-3.csv"'
        assert table(sample) == []

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"percent": "0"}, "percent", "Ensure this value is greater than or equal to 1."),
            ({"percent": "10", "from": "2026-05-02", "to": "2026-05-01"}, "to", "must be on or after from"),
        ],
    )
    def test_a_bad_sample_form_shows_the_error_beside_its_field(self, signed_in, admin, params, field, message):
        response = signed_in(admin).get("/reports/exports/audit-sample.csv", params)

        assert response.status_code == 422
        assert response["Content-Type"].startswith("text/html")
        assert field_error(response.content.decode(), field) == message

    def test_managers_and_learners_have_no_exports(self, signed_in, org):
        for person in (org["boss"], org["ann"]):
            client = signed_in(person)
            assert "Mandatory tasks" not in nav_labels(client.get("/").content.decode())
            assert client.get("/reports/exports/").status_code == 403
            assert client.get("/reports/exports/overdue-by-department.csv").status_code == 403
