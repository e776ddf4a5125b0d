"""Bulk assignment by email (`assignees.emails`), the capped failed and preview lists, and the failures as CSV."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments import services
from duecourse.assignments.email_lists import split_email_list
from duecourse.assignments.inputs import BulkAssignInput
from duecourse.assignments.limits import BULK_ROWS_SHOWN, MAX_ASSIGNEE_EMAILS
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import make_course, target

pytestmark = pytest.mark.django_db


def bulk(api, query: str = "", **body):
    return api.post(f"assignments/bulk{query}", body)


def counts() -> tuple[int, int, int]:
    return Assignment.objects.count(), AssignmentSource.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def course(tenant):
    return make_course(tenant, minutes=30)


@pytest.fixture
def people(tenant, other_tenant, make_person):
    return {
        "ana": make_person(tenant, email="ana@acme.test", name="Ana"),
        "bo": make_person(tenant, email="bo@acme.test", name="Bo"),
        "gone": make_person(tenant, email="gone@acme.test", name="Gone", active=False),
        # Someone with this address exists only in another organisation: it must read as unknown.
        "elsewhere": make_person(other_tenant, email="zed@globex.test", name="Zed"),
    }


class TestSplitting:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a@x.test\nb@x.test", ["a@x.test", "b@x.test"]),
            ("a@x.test, b@x.test;c@x.test", ["a@x.test", "b@x.test", "c@x.test"]),
            ("  a@x.test \r\n\r\n ; ,\n b@x.test  ", ["a@x.test", "b@x.test"]),
            ("A@X.test\na@x.TEST\nb@x.test", ["A@X.test", "b@x.test"]),
            ('Ana Lopez <ana@x.test>; "Bo" <bo@x.test>', ["ana@x.test", "bo@x.test"]),
            ("not an address", ["not an address"]),
            ("", []),
            (" \n ;, ", []),
        ],
    )
    def test_one_a_line_or_commas_or_semicolons(self, text, expected):
        assert split_email_list(text) == expected


class TestByEmail:
    def test_known_are_assigned_and_unknown_deactivated_and_other_tenant_fail(self, admin_api, people, course):
        response = bulk(
            admin_api,
            targets=[target(course)],
            assignees={"emails": ["ANA@acme.test", "nobody@acme.test", "gone@acme.test", "zed@globex.test"]},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["created"], body["skipped"]) == (1, 0)
        shown = {"type": "course", "id": course.pk, "title": course.title}
        assert body["failed"] == [
            {"person_id": None, "email": "nobody@acme.test", "target": shown, "reason": "no such person"},
            {"person_id": None, "email": "gone@acme.test", "target": shown, "reason": "person is deactivated"},
            {"person_id": None, "email": "zed@globex.test", "target": shown, "reason": "no such person"},
        ]
        assert body["failed_count"] == 3
        assert body["failed_by_reason"] == {"no such person": 2, "person is deactivated": 1}
        assert list(Assignment.objects.values_list("person_id", flat=True)) == [people["ana"].pk]
        assert not Assignment.objects.filter(person=people["elsewhere"]).exists()
        source = AssignmentSource.objects.get()
        assert source.kind == "individual" and source.label == "Individual by Ada Admin"

    def test_case_and_duplicates_count_once_also_beside_person_ids(self, admin_api, people, course):
        body = bulk(
            admin_api,
            targets=[target(course)],
            assignees={
                "emails": ["bo@acme.test", "BO@ACME.TEST", " Bo@Acme.Test ", "nobody@acme.test", "NOBODY@acme.test"],
                "person_ids": [people["bo"].pk, people["ana"].pk],
            },
        ).json()
        assert (body["created"], body["failed_count"]) == (2, 1)
        assert [f["email"] for f in body["failed"]] == ["nobody@acme.test"]
        assert Assignment.objects.filter(person=people["bo"]).count() == 1

    def test_resolved_in_one_query_whatever_the_number_of_addresses(self, admin, tenant, make_person, course):
        for n in range(30):
            make_person(tenant, email=f"crew{n}@acme.test")
        data = lambda k: BulkAssignInput.model_validate(  # noqa: E731
            {
                "targets": [target(course)],
                "assignees": {"emails": [f"crew{n}@acme.test" for n in range(k)]},
                "dry_run": True,
            }
        )
        with CaptureQueriesContext(connection) as few:
            services.bulk_assign(actor=admin, data=data(2))
        with CaptureQueriesContext(connection) as many:
            result = services.bulk_assign(actor=admin, data=data(30))
        assert result.created == 30
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_a_manager_reaches_only_direct_reports_by_email(self, api_as, tenant, make_person, course):
        manager = make_person(tenant)
        report = make_person(tenant, manager=manager, email="report@acme.test")
        make_person(tenant, email="peer@acme.test")
        body = bulk(
            api_as(manager), targets=[target(course)], assignees={"emails": ["report@acme.test", "peer@acme.test"]}
        ).json()
        assert body["created"] == 1
        assert [(f["email"], f["reason"]) for f in body["failed"]] == [
            ("peer@acme.test", "you may assign only to your direct reports")
        ]
        assert list(Assignment.objects.values_list("person_id", flat=True)) == [report.pk]

    def test_learner_and_hr_are_refused(self, api_as, tenant, make_person, people, course):
        for person in (make_person(tenant), make_person(tenant, roles=("hr",))):
            response = bulk(api_as(person), targets=[target(course)], assignees={"emails": ["ana@acme.test"]})
            assert response.status_code == 403
        assert not Assignment.objects.exists()

    def test_dry_run_previews_them_and_writes_nothing(self, admin_api, people, course):
        before = counts()
        body = bulk(
            admin_api,
            targets=[target(course)],
            assignees={"emails": ["ana@acme.test", "bo@acme.test", "nobody@acme.test"]},
            dry_run=True,
        ).json()
        assert counts() == before
        assert (body["created"], body["skipped"], body["preview_count"]) == (2, 0, 2)
        assert sorted(r["name"] for r in body["preview"]) == ["Ana", "Bo"]
        assert [f["email"] for f in body["failed"]] == ["nobody@acme.test"]

    def test_malformed_addresses_are_422_naming_the_index_and_nothing_is_written(self, admin_api, people, course):
        response = bulk(
            admin_api,
            targets=[target(course)],
            assignees={"emails": ["ana@acme.test", "not-an-address", "bo@acme.test", "  "]},
        )
        assert response.status_code == 422
        fields = [e["field"] for e in response.json()["errors"]]
        assert fields == ["assignees.emails[1]", "assignees.emails[3]"]
        assert "not a valid email address" in response.json()["errors"][0]["message"]
        assert not Assignment.objects.exists()

    def test_more_than_the_limit_is_422_naming_the_field(self, admin_api, people, course):
        emails = [f"p{n}@acme.test" for n in range(MAX_ASSIGNEE_EMAILS + 1)]
        response = bulk(admin_api, targets=[target(course)], assignees={"emails": emails})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "assignees.emails"
        assert not Assignment.objects.exists()

    def test_the_service_holds_the_limit_too(self, admin, people, course):
        from duecourse.core.errors import ValidationFailed

        data = BulkAssignInput.model_validate(
            {
                "targets": [target(course)],
                "assignees": {"emails": [f"p{n}@acme.test" for n in range(MAX_ASSIGNEE_EMAILS + 1)]},
            }
        )
        with pytest.raises(ValidationFailed) as caught:
            services.bulk_assign(actor=admin, data=data)
        assert caught.value.errors[0].field == "assignees.emails"


class TestCappedAnswer:
    def test_failed_and_preview_are_capped_with_counts_and_the_csv_has_them_all(self, admin_api, tenant, course):
        second = make_course(tenant)
        unknown = [f"ghost{n}@acme.test" for n in range(BULK_ROWS_SHOWN // 2 + 5)]
        body = bulk(
            admin_api,
            targets=[target(course), target(second)],
            assignees={"emails": unknown, "person_ids": [987654]},
            dry_run=True,
        ).json()
        total = (len(unknown) + 1) * 2
        assert body["failed_count"] == total > BULK_ROWS_SHOWN
        assert len(body["failed"]) == BULK_ROWS_SHOWN
        assert body["failed_by_reason"] == {"no such person": total}
        assert body["preview"] == [] and body["preview_count"] == 0

        response = bulk(
            admin_api,
            "?format=csv",
            targets=[target(course), target(second)],
            assignees={"emails": unknown, "person_ids": [987654]},
            dry_run=True,
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0] == ["person_id", "email", "target_type", "target_id", "target_title", "reason"]
        assert len(rows) == total + 1
        assert rows[1] == ["987654", "", "course", str(course.pk), course.title, "no such person"]
        assert rows[3] == ["", unknown[0], "course", str(course.pk), course.title, "no such person"]

    def test_a_real_run_with_csv_assigns_and_answers_the_failures(self, admin_api, people, course):
        response = bulk(
            admin_api, "?format=csv", targets=[target(course)], assignees={"emails": ["ana@acme.test", "x@acme.test"]}
        )
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [r[1] for r in rows[1:]] == ["x@acme.test"]
        assert Assignment.objects.filter(person=people["ana"]).exists()

    def test_preview_is_capped_with_its_count(self, admin_api, tenant, make_person):
        targets = [make_course(tenant) for _ in range(3)]
        for _ in range(BULK_ROWS_SHOWN // 3 + 1):
            make_person(tenant)
        body = bulk(admin_api, targets=[target(t) for t in targets], assignees={"everyone": True}, dry_run=True).json()
        assert body["preview_count"] == body["created"] > BULK_ROWS_SHOWN
        assert len(body["preview"]) == BULK_ROWS_SHOWN

    def test_unknown_format_is_422(self, admin_api, people, course):
        response = bulk(admin_api, "?format=xml", targets=[target(course)], assignees={"emails": ["ana@acme.test"]})
        assert response.status_code == 422
        assert not Assignment.objects.exists()
