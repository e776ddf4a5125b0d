"""The xAPI 1.0.3 Statements resource, as an unmodified LRS client would use it."""

import json
import uuid

import pytest

from duecourse.assignments.models import Assignment, Completion, CourseProgress, XapiStatement
from duecourse.testing.factories import assign, make_course

pytestmark = pytest.mark.django_db

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
VERSION_HEADER = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


@pytest.fixture
def course(tenant):
    return make_course(tenant, code="FORK-1", launch_url="https://lms.example.com/forklift")


@pytest.fixture
def learner(tenant, make_person):
    return make_person(tenant, email="lena@example.com")


@pytest.fixture
def assignment(admin, learner, course):
    return assign(admin, learner, course)


def statement(verb=COMPLETED, *, email="lena@example.com", activity="https://lms.example.com/forklift", **extra):
    body = {
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }
    return body


def post(api, body):
    return api.post("xapi/statements", json.dumps(body), **VERSION_HEADER)


def status_of(assignment):
    assignment.refresh_from_db()
    return assignment.completed_at is not None, assignment.progress


class TestPost:
    def test_one_statement_answers_a_json_array_with_its_id_and_echoes_the_version(self, admin_api, assignment):
        sid = str(uuid.uuid4())
        response = post(admin_api, statement(id=sid))
        assert response.status_code == 200, response.content
        assert response.json() == [sid]
        assert response["X-Experience-API-Version"] == "1.0.3"
        assert status_of(assignment) == (True, 100)
        assert Completion.objects.get().origin == "xapi"
        assert Completion.objects.get().statement_id == sid

    def test_a_list_answers_all_ids_and_assigns_ids_when_missing(self, admin_api, tenant, assignment):
        other = make_course(tenant, code="LADDER")
        response = post(
            admin_api,
            [statement(PROGRESSED, result={"extensions": {CMI5_PROGRESS: 40}}), statement(PASSED, activity="LADDER")],
        )
        assert response.status_code == 200, response.content
        ids = response.json()
        assert len(ids) == 2 and all(uuid.UUID(i) for i in ids)
        assert XapiStatement.objects.count() == 2
        assert Completion.objects.get().course_id == other.pk
        assert status_of(assignment) == (False, 40)

    def test_same_id_twice_is_stored_once_and_applied_once(self, admin_api, assignment):
        sid = str(uuid.uuid4())
        assert post(admin_api, statement(id=sid)).json() == [sid]
        assert post(admin_api, statement(id=sid)).json() == [sid]
        assert XapiStatement.objects.count() == 1
        assert Completion.objects.count() == 1

    def test_object_matched_by_course_code(self, admin_api, assignment):
        assert post(admin_api, statement(activity="FORK-1")).status_code == 200
        assert status_of(assignment)[0] is True

    def test_progressed_with_score_scaled(self, admin_api, assignment):
        post(admin_api, statement(PROGRESSED, result={"score": {"scaled": 0.25}}))
        assert status_of(assignment) == (False, 25)
        assert CourseProgress.objects.get().percent == 25

    def test_passed_records_the_score_and_the_statement_timestamp(self, admin_api, assignment):
        post(admin_api, statement(PASSED, result={"score": {"raw": 87}}, timestamp="2026-01-05T10:00:00Z"))
        completion = Completion.objects.get()
        assert completion.score == 87
        assert completion.completed_at.isoformat() == "2026-01-05T10:00:00+00:00"

    def test_other_verbs_are_stored_but_change_nothing(self, admin_api, assignment):
        response = post(admin_api, statement("http://adlnet.gov/expapi/verbs/experienced"))
        assert response.status_code == 200
        assert XapiStatement.objects.count() == 1
        assert status_of(assignment) == (False, 0)


class TestErrors:
    @pytest.mark.parametrize(
        "bad, field",
        [
            (statement(email="ghost@example.com"), "statements[1].actor.mbox"),
            (statement(activity="https://elsewhere.example.com/x"), "statements[1].object.id"),
            ({**statement(), "actor": {"name": "No mbox"}}, "statements[1].actor.mbox"),
            (statement(PROGRESSED, result={}), "statements[1].result"),
            (statement(id="not-a-uuid"), "statements[1].id"),
        ],
    )
    def test_a_bad_statement_is_400_naming_the_field_and_nothing_is_stored(self, admin_api, assignment, bad, field):
        response = post(admin_api, [statement(), bad])
        assert response.status_code == 400, response.content
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert XapiStatement.objects.count() == 0
        assert Completion.objects.count() == 0
        assert status_of(assignment) == (False, 0)

    def test_actor_of_another_tenant_is_unknown(self, admin_api, other_tenant, make_person, assignment):
        make_person(other_tenant, email="outsider@example.com")
        response = post(admin_api, statement(email="outsider@example.com"))
        assert response.status_code == 400
        assert "outsider@example.com" in response.json()["errors"][0]["message"]

    def test_not_json_is_400(self, admin_api):
        response = admin_api.post("xapi/statements", "{nope", content_type="application/json")
        assert response.status_code == 400

    def test_learner_token_is_403_and_no_token_is_401(self, api_as, learner, assignment):
        assert post(api_as(learner), statement()).status_code == 403
        assert post(api_as(None), statement()).status_code == 401
        assert Completion.objects.count() == 0


class TestPut:
    def test_put_with_statement_id_answers_204(self, admin_api, assignment):
        sid = str(uuid.uuid4())
        response = admin_api.put(f"xapi/statements?statementId={sid}", json.dumps(statement()), **VERSION_HEADER)
        assert response.status_code == 204, response.content
        assert response["X-Experience-API-Version"] == "1.0.3"
        assert str(XapiStatement.objects.get().statement_id) == sid
        again = admin_api.put(f"xapi/statements?statementId={sid}", json.dumps(statement()), **VERSION_HEADER)
        assert again.status_code == 204
        assert Completion.objects.count() == 1

    def test_put_without_statement_id_is_400(self, admin_api, assignment):
        response = admin_api.put("xapi/statements", json.dumps(statement()))
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "statementId"

    def test_put_of_a_different_statement_under_a_known_id_is_409(self, admin_api, assignment):
        sid = str(uuid.uuid4())
        admin_api.put(f"xapi/statements?statementId={sid}", json.dumps(statement()))
        response = admin_api.put(f"xapi/statements?statementId={sid}", json.dumps(statement(PASSED)))
        assert response.status_code == 409
        assert Completion.objects.count() == 1


def test_about_answers_the_version_without_auth(api_as):
    response = api_as(None).get("xapi/about")
    assert response.status_code == 200
    assert response.json() == {"version": ["1.0.3"]}
    assert response["X-Experience-API-Version"] == "1.0.3"


def test_statements_of_another_tenant_do_not_block_an_id(admin_api, other_tenant, make_person, api_as, assignment):
    their_admin = make_person(other_tenant, roles=("admin",), email="lena@example.com")
    make_course(other_tenant, launch_url="https://lms.example.com/forklift")
    sid = str(uuid.uuid4())
    assert post(api_as(their_admin), statement(id=sid)).status_code == 200
    assert post(admin_api, statement(id=sid)).status_code == 200
    assert Completion.objects.filter(person__tenant=assignment.tenant).count() == 1
    assert Assignment.objects.get(pk=assignment.pk).completed_at is not None
