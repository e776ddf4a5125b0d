"""`get_my_training_assignments` and `get_team_training_status` in Frappe's `{"message": [...]}` shape."""

import datetime as dt

import pytest
import time_machine

from duecourse.compat.tests.conftest import MINE, TEAM, server_messages
from duecourse.testing.factories import assign, make_course, make_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(tenant, make_person):
    return make_person(tenant, name="Bea Boss", email="bea@acme.test")


@pytest.fixture
def ann(tenant, make_person, boss):
    return make_person(tenant, name="Ann One", email="ann@acme.test", manager=boss, timezone="Europe/Rome")


@pytest.fixture
def ben(tenant, make_person, boss):
    return make_person(tenant, name="Ben Two", email="ben@acme.test", manager=boss)


class TestMyTrainingAssignments:
    def test_the_callers_own_rows_named_as_a_frappe_lms_enrollment(self, frappe_as, admin, tenant, ann, ben):
        fire = make_course(tenant, code="FIRE-101", title="Fire safety")
        onboarding = make_path(tenant, [(make_course(tenant), True)], title="Onboarding")
        with time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), tick=False):
            assign(admin, ann, fire, due_date="2026-01-31", priority="high")  # overdue
            assign(admin, ann, onboarding)
            assign(admin, ben, fire)  # someone else's: not listed

        with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
            response = frappe_as(ann).get(MINE)

        assert response.status_code == 200, response.content
        rows = response.json()["message"]
        assert rows[0] == {
            "name": rows[0]["name"],
            "course": "FIRE-101",
            "course_title": "Fire safety",
            "target_type": "course",
            "member": "ann@acme.test",
            "member_name": "Ann One",
            "status": "Overdue",
            "progress": 0.0,
            "due_date": "2026-01-31",
            "priority": "High",
            "assigned_on": "2026-03-02",  # 00:30 in Rome, where Ann is
            "completed_on": None,
        }
        assert rows[1]["course"] is None
        assert (rows[1]["course_title"], rows[1]["target_type"], rows[1]["status"]) == (
            "Onboarding",
            "path",
            "Assigned",
        )
        assert len(rows) == 2

    @pytest.mark.parametrize("auth", ["token", "bearer", "basic"])
    def test_every_authorization_form_and_post_answer_too(self, frappe_as, admin, tenant, ann, auth):
        assign(admin, ann, make_course(tenant))
        client = frappe_as(ann, auth=auth)

        assert len(client.get(MINE).json()["message"]) == 1
        assert len(client.post_form(MINE, {}).json()["message"]) == 1

    def test_the_number_of_queries_does_not_grow_with_the_rows(
        self, frappe_as, admin, tenant, ann, django_assert_max_num_queries
    ):
        client = frappe_as(ann)
        for _ in range(3):
            assign(admin, ann, make_course(tenant))
        assign(admin, ann, make_path(tenant, [(make_course(tenant), True)]))
        client.get(MINE)  # the token's first use is written once a minute

        # token, tenant policy (escalation tiers), assignments, sources, path/skill titles, course titles, codes
        with django_assert_max_num_queries(7):
            assert len(client.get(MINE).json()["message"]) == 4

    def test_nothing_assigned_is_an_empty_list(self, frappe_as, learner):
        assert frappe_as(learner).get(MINE).json() == {"message": []}

    def test_another_tenants_person_sees_only_their_own(self, frappe_as, admin, tenant, other_tenant, make_person, ann):
        assign(admin, ann, make_course(tenant))
        outsider = make_person(other_tenant, roles=("admin",))

        assert frappe_as(outsider).get(MINE).json() == {"message": []}

    def test_without_a_token_it_is_not_permitted(self, frappe_as):
        response = frappe_as(None, auth=None).get(MINE)

        assert response.status_code == 403
        assert response.json()["exc_type"] == "PermissionError"


class TestTeamTrainingStatus:
    @pytest.fixture
    def overdue_for_ann(self, admin, tenant, ann, ben):
        fire = make_course(tenant, code="FIRE-101")
        assign(admin, ann, fire, due_date="2020-01-31")
        assign(admin, ben, fire, due_date="2099-01-31")
        assign(admin, ben, make_course(tenant))

    def test_a_manager_sees_their_reports(self, frappe_as, boss, ann, ben, overdue_for_ann):
        response = frappe_as(boss).get(TEAM)

        assert response.status_code == 200, response.content
        assert response.json() == {
            "message": [
                {"employee": "ann@acme.test", "employee_name": "Ann One", "active": 1, "completed": 0, "overdue": 1},
                {"employee": "ben@acme.test", "employee_name": "Ben Two", "active": 2, "completed": 0, "overdue": 0},
            ]
        }

    @pytest.mark.parametrize("role", ["admin", "instructor", "hr"])
    def test_staff_see_any_managers_team_by_email(self, frappe_as, tenant, make_person, boss, overdue_for_ann, role):
        staff = make_person(tenant, roles=(role,))

        response = frappe_as(staff, auth="bearer").get(TEAM, {"manager": "Bea@Acme.test"})

        assert [row["employee"] for row in response.json()["message"]] == ["ann@acme.test", "ben@acme.test"]

    def test_a_learner_has_no_team_to_see(self, frappe_as, ann):
        response = frappe_as(ann).get(TEAM)

        assert response.status_code == 403
        assert response.json()["exc_type"] == "PermissionError"

    def test_a_manager_cannot_see_another_team(self, frappe_as, tenant, make_person, boss, ann):
        other_boss = make_person(tenant, email="otto@acme.test")
        make_person(tenant, manager=other_boss)

        response = frappe_as(boss).get(TEAM, {"manager": "otto@acme.test"})

        assert response.status_code == 404  # someone a manager may not see is not found
        assert server_messages(response) == ["manager: no person with the email otto@acme.test"]

    def test_another_tenant_cannot_name_this_tenants_manager(self, frappe_as, other_tenant, make_person, boss, ann):
        outsider = make_person(other_tenant, roles=("hr",))

        response = frappe_as(outsider).get(TEAM, {"manager": "bea@acme.test"})

        assert response.status_code == 404
        assert response.json()["exc_type"] == "DoesNotExistError"

    def test_a_bad_manager_argument_is_a_validation_error(self, frappe_as, admin):
        response = frappe_as(admin).get(TEAM, {"manager": "x" * 300})

        assert response.status_code == 417
        assert server_messages(response)[0].startswith("manager: must be text")


class TestTheEndpoint:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/method/lms.lms.api.no_such_method",
            "/api/method/",
            "/api/method/lms.lms.api.get_my_training_assignments/",
        ],
    )
    def test_an_unknown_method_is_a_json_404(self, frappe_as, admin, path):
        response = frappe_as(admin).get(path)

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["exc_type"] == "DoesNotExistError"

    def test_the_methods_stay_out_of_the_api_v1_document(self, admin_api):
        paths = admin_api.get("openapi.json").json()["paths"]

        assert not [p for p in paths if "method" in p]

    def test_an_unexpected_failure_is_still_frappes_json(self, frappe_as, learner, monkeypatch):
        def broken(*, actor):
            raise RuntimeError("a bug")

        monkeypatch.setattr("duecourse.compat.methods.get_my_training_assignments", broken)

        response = frappe_as(learner).get(MINE)

        assert response.status_code == 500
        assert response.json()["exc_type"] == "Exception"
        assert "a bug" not in response.content.decode()
