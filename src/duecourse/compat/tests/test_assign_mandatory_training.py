"""`assign_mandatory_training` as HR scripts written for Frappe LMS call it: the same rules as our bulk assign."""

import datetime as dt
import json

import pytest

from duecourse.assignments.models import Assignment
from duecourse.compat.tests.conftest import ASSIGN, server_messages
from duecourse.people.services import api_token_revoke
from duecourse.testing.factories import assign, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fire(tenant):
    return make_course(tenant, code="FIRE-101", title="Fire safety")


@pytest.fixture
def boss(tenant, make_person):
    return make_person(tenant, name="Bea Boss", email="bea@acme.test")


@pytest.fixture
def team(tenant, make_person, boss):
    return [
        make_person(tenant, name="Ann One", email="ann@acme.test", manager=boss),
        make_person(tenant, name="Ben Two", email="ben@acme.test", manager=boss),
    ]


def held(course):
    return sorted(
        Assignment.objects.filter(target_type="course", target_id=course.pk).values_list("person__email", flat=True)
    )


def employees(*emails):
    return json.dumps(list(emails))


def test_an_hr_script_assigns_by_form_and_a_second_run_duplicates_nothing(frappe_as, admin, fire, team):
    client = frappe_as(admin)
    form = {"course": "FIRE-101", "employees": employees("ann@acme.test", "Ben@Acme.test "), "due_date": "2026-12-31"}

    first = client.post_form(ASSIGN, form)

    assert first.status_code == 200, first.content
    assert first.json() == {"message": {"assigned": 2, "skipped": 0}}
    assert held(fire) == ["ann@acme.test", "ben@acme.test"]
    assert {a.due_date for a in Assignment.objects.all()} == {dt.date(2026, 12, 31)}

    again = client.post_form(ASSIGN, form)

    assert again.json() == {"message": {"assigned": 0, "skipped": 2}}
    assert Assignment.objects.count() == 2


def test_a_json_body_with_a_real_list_assigns_too_and_skips_an_open_assignment(frappe_as, admin, fire, team):
    assign(admin, team[0], fire)  # already open: joined, not duplicated

    response = frappe_as(admin).post_json(
        ASSIGN, {"course": "FIRE-101", "employees": ["ann@acme.test", "ben@acme.test"], "due_date": "2027-01-15"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["message"] == {"assigned": 1, "skipped": 1}
    assert Assignment.objects.filter(person=team[0]).count() == 1


def test_employees_as_json_text_inside_a_json_body_and_no_due_date(frappe_as, admin, fire, team):
    response = frappe_as(admin).post_json(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

    assert response.json()["message"]["assigned"] == 1
    assert Assignment.objects.get().due_date is None


@pytest.mark.parametrize("auth", ["token", "bearer", "basic"])
def test_every_authorization_form_works(frappe_as, admin, fire, team, auth):
    response = frappe_as(admin, auth=auth).post_form(
        ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")}
    )

    assert response.status_code == 200, response.content
    assert held(fire) == ["ann@acme.test"]


@pytest.mark.parametrize("role", ["admin", "instructor"])
def test_learning_staff_assign_anyone_in_their_tenant(frappe_as, tenant, make_person, fire, team, role):
    staff = make_person(tenant, roles=(role,))

    response = frappe_as(staff).post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

    assert response.json() == {"message": {"assigned": 1, "skipped": 0}}


def test_a_manager_assigns_their_reports(frappe_as, boss, fire, team):
    response = frappe_as(boss).post_form(
        ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test", "ben@acme.test")}
    )

    assert response.json() == {"message": {"assigned": 2, "skipped": 0}}


def test_a_manager_cannot_reach_someone_outside_their_team(frappe_as, boss, fire, team, learner):
    response = frappe_as(boss).post_form(
        ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test", learner.email)}
    )

    assert response.status_code == 404  # someone a manager may not see is not found, as in the rest of the API
    assert response.json()["exc_type"] == "DoesNotExistError"
    assert Assignment.objects.count() == 0


def test_a_manager_assigning_themself_fails_the_whole_call(frappe_as, boss, fire, team):
    response = frappe_as(boss).post_form(
        ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test", "bea@acme.test")}
    )

    assert response.status_code == 403
    body = response.json()
    assert body["exc_type"] == "PermissionError"
    assert "bea@acme.test" in server_messages(response)[0]
    assert "direct reports" in server_messages(response)[0]
    assert Assignment.objects.count() == 0  # Ann was not assigned either: one call, one transaction


@pytest.mark.parametrize("role", ["hr", None])
def test_hr_and_learners_may_not_assign(frappe_as, tenant, make_person, fire, team, role):
    caller = make_person(tenant, roles=(role,) if role else ())

    response = frappe_as(caller).post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

    assert response.status_code == 403
    assert response.json()["exc_type"] == "PermissionError"
    assert Assignment.objects.count() == 0


def test_another_tenant_reaches_neither_the_course_nor_the_people(frappe_as, other_tenant, make_person, fire, team):
    outsider = make_person(other_tenant, roles=("admin",))
    make_course(other_tenant, code="FIRE-101")

    response = frappe_as(outsider).post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

    assert response.status_code == 404
    assert server_messages(response) == ["employees: no person with the email ann@acme.test"]
    assert Assignment.objects.count() == 0


def test_another_tenants_course_code_is_unknown(frappe_as, other_tenant, make_person, admin, team):
    make_course(other_tenant, code="ONLY-THERE")

    response = frappe_as(admin).post_form(ASSIGN, {"course": "ONLY-THERE", "employees": employees("ann@acme.test")})

    assert response.status_code == 404
    assert response.json()["exc_type"] == "DoesNotExistError"


@pytest.mark.parametrize(
    ("form", "status", "exc_type", "message"),
    [
        (
            {"course": "NOPE-1", "employees": '["ann@acme.test"]'},
            404,
            "DoesNotExistError",
            "course: no course with code 'NOPE-1'",
        ),
        ({"employees": '["ann@acme.test"]'}, 417, "ValidationError", "course: is required"),
        ({"course": "FIRE-101"}, 417, "ValidationError", "employees: is required"),
        ({"course": "FIRE-101", "employees": "[ann@acme.test"}, 417, "ValidationError", "employees: is not valid JSON"),
        ({"course": "FIRE-101", "employees": "ann@acme.test"}, 417, "ValidationError", "employees: is not valid JSON"),
        ({"course": "FIRE-101", "employees": '{"a": 1}'}, 417, "ValidationError", "employees: must be a JSON list"),
        ({"course": "FIRE-101", "employees": "[1, 2]"}, 417, "ValidationError", "employees: must be a JSON list"),
        ({"course": "FIRE-101", "employees": "[]"}, 417, "ValidationError", "employees: is empty"),
        ({"course": "FIRE-101", "employees": '[""]'}, 417, "ValidationError", "employees: holds an empty"),
        (
            {"course": "FIRE-101", "employees": '["ann@acme.test", "zed@acme.test", "yan@acme.test"]'},
            404,
            "DoesNotExistError",
            "employees: no person with the email zed@acme.test, yan@acme.test",
        ),
        (
            {"course": "FIRE-101", "employees": '["ann@acme.test"]', "due_date": "2026-02-30"},
            417,
            "ValidationError",
            "due_date: '2026-02-30' is not a valid date",
        ),
        (
            {"course": "FIRE-101", "employees": '["ann@acme.test"]', "due_date": "31/12/2026"},
            417,
            "ValidationError",
            "due_date: '31/12/2026' is not a valid date",
        ),
        (
            {"course": "FIRE-101", "employees": '["ann@acme.test"]', "due_date": "1066-10-14"},
            417,
            "ValidationError",
            "due_date: must be a date between",
        ),
        ({"course": "FIRE-101\x00", "employees": '["ann@acme.test"]'}, 417, "ValidationError", "course: must be text"),
    ],
)
def test_bad_input_is_reported_as_frappe_does_and_changes_nothing(
    frappe_as, admin, fire, team, form, status, exc_type, message
):
    response = frappe_as(admin).post_form(ASSIGN, form)

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["exc_type"] == exc_type
    assert body["exception"].startswith(f"frappe.exceptions.{exc_type}: ")
    assert any(m.startswith(message) for m in server_messages(response)), server_messages(response)
    assert Assignment.objects.count() == 0


def test_every_bad_argument_is_named_at_once(frappe_as, admin, fire):
    response = frappe_as(admin).post_form(ASSIGN, {"employees": "[oops", "due_date": "soon"})

    assert response.status_code == 417
    assert [m.split(":")[0] for m in server_messages(response)] == ["course", "employees", "due_date"]


def test_a_deactivated_person_fails_the_call(frappe_as, admin, fire, team):
    team[1].active = False
    team[1].save()

    response = frappe_as(admin).post_form(
        ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test", "ben@acme.test")}
    )

    assert response.status_code == 417
    assert server_messages(response) == ["employees: deactivated: ben@acme.test"]
    assert Assignment.objects.count() == 0


def test_a_draft_course_cannot_be_assigned(frappe_as, admin, tenant, team):
    make_course(tenant, code="DRAFT-1", status="draft")

    response = frappe_as(admin).post_form(ASSIGN, {"course": "DRAFT-1", "employees": employees("ann@acme.test")})

    assert response.status_code == 417
    [message] = server_messages(response)
    assert message.startswith("course: ") and "only active ones can be assigned" in message


@pytest.mark.parametrize(
    ("body", "message"),
    [("{not json", "The request body is not valid JSON"), ('["FIRE-101"]', "The JSON body must be an object")],
)
def test_a_bad_json_body_is_a_validation_error(frappe_as, admin, fire, body, message):
    response = frappe_as(admin).post_json(ASSIGN, body)

    assert response.status_code == 417
    assert server_messages(response)[0].startswith(message)


def test_a_long_list_names_ten_unknown_addresses_and_counts_the_rest(frappe_as, admin, fire):
    emails = [f"nobody{i}@acme.test" for i in range(15)]

    response = frappe_as(admin).post_form(ASSIGN, {"course": "FIRE-101", "employees": json.dumps(emails)})

    assert response.status_code == 404
    assert server_messages(response)[0].endswith("nobody9@acme.test and 5 more")


def test_assigning_is_post_only(frappe_as, admin, fire, team):
    response = frappe_as(admin).get(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

    assert response.status_code == 403
    assert response.json()["exc_type"] == "PermissionError"
    assert Assignment.objects.count() == 0


def test_the_assignment_is_audited_as_the_callers_bulk_assignment(frappe_as, admin, fire, team):
    from duecourse.core.models import AuditEvent

    frappe_as(admin).post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

    event = AuditEvent.objects.get(action__startswith="assignment")
    assert event.actor_id == admin.pk


class TestAuthentication:
    def test_no_authorization_is_a_guest_and_not_permitted(self, frappe_as, fire, team):
        response = frappe_as(None, auth=None).post_form(
            ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")}
        )

        assert response.status_code == 403
        assert response.json()["exc_type"] == "PermissionError"

    @pytest.mark.parametrize(
        "header",
        ["token dc_000000000000:nope", "token garbage", "Bearer dc_000000000000_nope", "Basic !!!", "Digest x"],
    )
    def test_bad_credentials_are_an_authentication_error(self, frappe_as, fire, team, header):
        response = frappe_as(None, auth=header).post_form(
            ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")}
        )

        assert response.status_code == 401
        assert response.json()["exc_type"] == "AuthenticationError"
        assert Assignment.objects.count() == 0

    def test_a_wrong_secret_for_a_real_key_is_refused(self, frappe_as, admin, fire, team):
        client = frappe_as(admin)
        api_key = client.headers["Authorization"].split()[1].split(":")[0]
        client.headers["Authorization"] = f"token {api_key}:wrong-secret"

        response = client.post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

        assert response.status_code == 401

    def test_a_revoked_token_stops_working(self, frappe_as, admin, fire, team):
        client = frappe_as(admin)
        api_token_revoke(actor=admin, token=admin.api_tokens.get())

        response = client.post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

        assert response.status_code == 401

    def test_a_deactivated_persons_token_stops_working(self, frappe_as, tenant, make_person, fire, team):
        instructor = make_person(tenant, roles=("instructor",))
        client = frappe_as(instructor)
        instructor.active = False
        instructor.save()

        response = client.post_form(ASSIGN, {"course": "FIRE-101", "employees": employees("ann@acme.test")})

        assert response.status_code == 401


def test_a_body_over_the_upload_limit_is_refused_in_frappes_shape(frappe_as, admin, fire, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = frappe_as(admin).post_json(ASSIGN, {"course": "FIRE-101", "employees": ["x" * 200 + "@acme.test"]})

    assert response.status_code == 413
    assert response.json()["exc_type"] == "ValidationError"
