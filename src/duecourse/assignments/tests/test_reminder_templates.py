"""An unknown reminder template name is a 422 when the plan is saved, never an email held later."""

import pytest

from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.core.models import Tenant
from duecourse.notifications.models import MessageTemplate, OutboxMessage
from duecourse.testing.factories import make_course, target

pytestmark = pytest.mark.usefixtures("api_without_static_files")

TYPO = [{"days": 3, "recipients": ["learner"], "template": "gentel"}]
KNOWN = [{"days": 3, "recipients": ["learner"], "template": "gentle"}]


@pytest.fixture
def gentle(tenant, other_tenant):
    MessageTemplate.objects.create(tenant=tenant, name="gentle", subject="Hi", body_text="Due soon")
    # Another tenant's template of the same typo'd name is not one of ours.
    MessageTemplate.objects.create(tenant=other_tenant, name="gentel", subject="Hi", body_text="x")


@pytest.fixture
def course(tenant):
    return make_course(tenant)


def assert_refused(response) -> None:
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["field"] == "reminders" or error["field"] == "default_reminder_plan"
    assert "gentel" in error["message"] and "gentle" in error["message"]


def test_assignment_create_and_bulk(admin_api, learner, course, gentle):
    assert_refused(
        admin_api.post("assignments", {"person_id": learner.pk, "target": target(course), "reminders": TYPO})
    )
    bulk = {"targets": [target(course)], "assignees": {"person_ids": [learner.pk]}, "reminders": TYPO}
    assert_refused(admin_api.post("assignments/bulk", bulk))
    assert not Assignment.objects.exists()
    ok = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course), "reminders": KNOWN})
    assert ok.status_code == 201, ok.content
    assert ok.json()["reminders"] == KNOWN


def test_assignment_patch(admin_api, learner, course, gentle):
    created = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course), "reminders": KNOWN})
    assignment_id = created.json()["id"]
    assert_refused(admin_api.patch(f"assignments/{assignment_id}", {"reminders": TYPO}))
    assert admin_api.get(f"assignments/{assignment_id}").json()["reminders"] == KNOWN


def test_rule_create_and_patch(admin_api, learner, course, gentle):
    body = {"name": "Ladders", "audience": {"person_ids": [learner.pk]}, "items": [{"target": target(course)}]}
    assert_refused(admin_api.post("rules", {**body, "reminders": TYPO}))
    assert not AssignmentRule.objects.exists()
    rule = admin_api.post("rules", {**body, "reminders": KNOWN}).json()
    assert_refused(admin_api.patch(f"rules/{rule['id']}", {"reminders": TYPO}))
    assert admin_api.get(f"rules/{rule['id']}").json()["reminders"] == KNOWN


def test_the_organisations_default_plan(admin_api, tenant, gentle):
    assert_refused(admin_api.patch("settings", {"default_reminder_plan": TYPO}))
    assert "default_reminder_plan" not in (Tenant.objects.get(pk=tenant.pk).settings or {})
    response = admin_api.patch("settings", {"default_reminder_plan": KNOWN})
    assert response.status_code == 200 and response.json()["default_reminder_plan"] == KNOWN


def test_without_any_template_every_name_is_refused_and_no_name_is_the_default(admin_api, learner, course):
    response = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course), "reminders": KNOWN})
    assert response.status_code == 422 and "known: none" in response.json()["errors"][0]["message"]
    plain = [{"days": 3, "recipients": ["learner"]}]
    response = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course), "reminders": plain})
    assert response.status_code == 201
    assert not OutboxMessage.objects.filter(state=OutboxMessage.HELD).exists()
