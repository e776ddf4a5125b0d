"""Retakes (`"retake": true`) and progress reported before an assignment existed, through the API."""

import datetime as dt
import json
import re

import pytest

from duecourse.assignments.models import Assignment, Completion
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import make_course, target
from duecourse.testing.web import text

pytestmark = pytest.mark.django_db


def in_days(days: int) -> str:
    return str(dt.date.today() + dt.timedelta(days=days))


@pytest.fixture
def course(tenant):
    return make_course(tenant, minutes=30)


def complete(api, person, course):
    response = api.post("progress", {"person_id": person.pk, "course_id": course.pk, "progress": 100})
    assert response.status_code == 200, response.content


class TestRetake:
    def test_a_completed_assignment_reopens_as_a_new_cycle_with_the_requests_due_date(self, admin_api, learner, course):
        first = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)}).json()
        complete(admin_api, learner, course)
        response = admin_api.post(
            "assignments",
            {"person_id": learner.pk, "target": target(course), "due_date": in_days(14), "retake": True},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["id"] == first["id"]
        assert body["cycle"] == 2 and body["status"] == "assigned" and body["progress"] == 0
        assert body["due_date"] == in_days(14) and body["completed_at"] is None
        # The earlier completion stays in the history.
        assert Completion.objects.filter(person=learner, course=course).count() == 1
        retake = AuditEvent.objects.get(action="assignment.retake", object_id=first["id"])
        assert retake.before["cycle"] == 1 and retake.before["completed_at"]  # the closed cycle, in the audit
        # A completion now completes the new cycle.
        complete(admin_api, learner, course)
        assert admin_api.get(f"assignments/{first['id']}").json()["status"] == "completed"

    def test_without_retake_a_completed_one_answers_200_unchanged(self, admin_api, learner, course):
        admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)})
        complete(admin_api, learner, course)
        before = admin_api.get("assignments", {"person_id": learner.pk}).json()["items"][0]
        response = admin_api.post(
            "assignments", {"person_id": learner.pk, "target": target(course), "due_date": in_days(3)}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        for key in ("cycle", "status", "completed_at", "due_date", "progress"):
            assert body[key] == before[key], key

    def test_retake_on_an_open_assignment_is_ignored(self, admin_api, learner, course):
        first = admin_api.post(
            "assignments", {"person_id": learner.pk, "target": target(course), "due_date": in_days(10)}
        ).json()
        response = admin_api.post(
            "assignments",
            {"person_id": learner.pk, "target": target(course), "due_date": in_days(20), "retake": True},
        )
        assert response.status_code == 200
        assert response.json()["cycle"] == 1 and response.json()["due_date"] == first["due_date"]

    def test_bulk_counts_a_retake_as_created_and_a_completed_one_without_it_as_skipped(
        self, admin_api, learner, make_person, tenant, course
    ):
        other = make_person(tenant)
        for person in (learner, other):
            admin_api.post("assignments", {"person_id": person.pk, "target": target(course)})
        complete(admin_api, learner, course)
        body = {"targets": [target(course)], "assignees": {"person_ids": [learner.pk, other.pk]}}
        plain = admin_api.post("assignments/bulk", body).json()
        assert (plain["created"], plain["skipped"]) == (0, 2)
        retaken = admin_api.post("assignments/bulk", {**body, "retake": True, "due_in_days": 7}).json()
        assert (retaken["created"], retaken["skipped"]) == (1, 1)
        again = Assignment.objects.get(person=learner)
        assert again.cycle == 2 and again.completed_at is None and again.due_date == dt.date.fromisoformat(in_days(7))
        assert Assignment.objects.get(person=other).cycle == 1


class TestProgressBeforeTheAssignment:
    def test_progress_reported_first_counts_when_assigned_later(self, admin_api, learner, course):
        response = admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 40})
        assert response.status_code == 200, response.content
        body = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)}).json()
        assert body["progress"] == 40 and body["status"] == "in_progress"
        assert Assignment.objects.get(pk=body["id"]).started_at is not None

    def test_and_through_a_bulk_call(self, admin_api, learner, course):
        admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 25})
        admin_api.post("assignments/bulk", {"targets": [target(course)], "assignees": {"person_ids": [learner.pk]}})
        assert Assignment.objects.get(person=learner).progress == 25


class TestRetakeOnThePages:
    def test_the_assign_form_re_opens_completed_training_only_when_retake_is_ticked(
        self, admin, admin_api, signed_in, learner, course
    ):
        admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)})
        complete(admin_api, learner, course)
        client = signed_in(admin)
        form = {"targets": f"course:{course.pk}", "due_mode": "days", "due_in_days": "10", "priority": "medium"}
        page = text(client.get(f"/assign/person/{learner.pk}/training/", HTTP_HX_REQUEST="true"))
        assert 'name="retake"' in page
        plain = client.post(f"/assign/person/{learner.pk}/", form, HTTP_HX_REQUEST="true")
        assert "already completed" in text(plain) and "Re-opened" not in text(plain)
        assert Assignment.objects.get(person=learner).cycle == 1
        retake = client.post(f"/assign/person/{learner.pk}/", {**form, "retake": "on"}, HTTP_HX_REQUEST="true")
        assert "Re-opened" in text(retake)
        again = Assignment.objects.get(person=learner)
        assert again.cycle == 2 and again.completed_at is None and again.due_date == dt.date.fromisoformat(in_days(10))

    def test_the_wizard_passes_retake_and_its_preview_counts_it(self, admin, admin_api, signed_in, learner, course):
        admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)})
        complete(admin_api, learner, course)
        client = signed_in(admin)
        state = {
            "seen": ["1", "2", "3"],
            "targets": f"course:{course.pk}",
            "due_mode": "days",
            "due_in_days": "20",
            "priority": "high",
            "person_ids": [str(learner.pk)],
            "reminder_mode": "default",
            "retake": "on",
        }
        preview = text(client.post("/assign/", {**state, "step": "3", "go": "preview"}, HTTP_HX_REQUEST="true"))
        assert re.search(r'id="count-create">1<', preview), preview
        result = text(client.post("/assign/", {**state, "step": "4", "go": "confirm"}, HTTP_HX_REQUEST="true"))
        assert re.search(r'id="result-created">1<', result)
        assert Assignment.objects.get(person=learner).cycle == 2

    def test_xapi_progress_before_a_rule_assigns_it_counts_at_once(self, admin_api, learner, tenant):
        course = make_course(tenant, code="FORK-1", launch_url="https://lms.example.com/forklift")
        statement = {
            "actor": {"objectType": "Agent", "mbox": f"mailto:{learner.email}"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/progressed", "display": {"en-US": "progressed"}},
            "object": {"objectType": "Activity", "id": "https://lms.example.com/forklift"},
            "result": {"score": {"scaled": 0.6}},
        }
        response = admin_api.post("xapi/statements", json.dumps(statement), HTTP_X_EXPERIENCE_API_VERSION="1.0.3")
        assert response.status_code == 200, response.content
        rule = admin_api.post(
            "rules",
            {"name": "Forklift", "audience": {"person_ids": [learner.pk]}, "items": [{"target": target(course)}]},
        )
        assert rule.status_code == 201, rule.content
        body = admin_api.get("assignments", {"person_id": learner.pk}).json()["items"][0]
        assert body["progress"] == 60 and body["status"] == "in_progress"
