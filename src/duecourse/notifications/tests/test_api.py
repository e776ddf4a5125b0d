"""The inbox, preferences and outbox API, and reminder plans rejected with a clear error."""

import pytest
import time_machine

from duecourse.assignments.models import Assignment
from duecourse.notifications.models import Notification, NotificationPreference, ReminderSchedule
from duecourse.testing.factories import make_course, target
from duecourse.testing.scheduling import assign_at, tick, utc

NOW = utc("2026-03-01T09:00")


@pytest.fixture
def learner_api(api_as, learner):
    return api_as(learner)


def test_inbox_lists_newest_first_with_unread_count_and_marks_read(admin, learner, learner_api, tenant):
    course = make_course(tenant, title="Fire safety")
    first = assign_at(NOW, admin, learner, course, due_date="2026-03-20")
    assign_at(NOW, admin, learner, make_course(tenant, title="First aid"), due_date="2026-03-25")
    tick(utc("2026-03-17T00:10"))

    body = learner_api.get("me/notifications").json()
    assert body["count"] == 3 and body["unread"] == 3
    newest = body["items"][0]
    assert newest["kind"] == "reminder" and newest["assignment_id"] == first.pk
    assert newest["text"] == "Reminder: Fire safety (due 20 Mar 2026)"
    assert newest["link"].endswith(f"/learning/{first.pk}/") and newest["read_at"] is None
    assert {i["text"] for i in body["items"][1:]} == {
        "New training assigned: Fire safety (due 20 Mar 2026)",
        "New training assigned: First aid (due 25 Mar 2026)",
    }

    response = learner_api.post("me/notifications/read", {"ids": [newest["id"]]})
    assert response.status_code == 200 and response.json() == {"marked": 1}
    body = learner_api.get("me/notifications").json()
    assert body["unread"] == 2 and body["items"][0]["read_at"] is not None
    assert learner_api.get("me/notifications", {"unread": "true"}).json()["count"] == 2

    assert learner_api.post("me/notifications/read", {}).json() == {"marked": 2}
    assert learner_api.get("me/notifications").json()["unread"] == 0


def test_people_see_and_mark_only_their_own(admin, learner, learner_api, tenant, make_person, api_as):
    other = make_person(tenant)
    assign_at(NOW, admin, other, due_date="2026-03-20")
    theirs = Notification.objects.get(person=other)
    assert learner_api.get("me/notifications").json() == {"count": 0, "unread": 0, "items": []}
    assert learner_api.post("me/notifications/read", {"ids": [theirs.pk]}).json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api_as(None).get("me/notifications").status_code == 401


def test_mark_read_rejects_unknown_fields(learner_api):
    response = learner_api.post("me/notifications/read", {"id": 3})
    assert response.status_code == 422


def test_preferences_default_to_email_on_and_can_be_turned_off(learner, learner_api):
    assert learner_api.get("me/notification-preferences").json() == {
        "email_assigned": True,
        "email_reminders": True,
        "email_changes": True,
        "email_certificates": True,
        "manager_daily_digest": False,
        "weekly_digest": False,
    }
    response = learner_api.patch("me/notification-preferences", {"email_reminders": False})
    assert response.status_code == 200 and response.json()["email_reminders"] is False
    assert response.json()["email_assigned"] is True
    assert NotificationPreference.objects.get(person=learner).email_reminders is False


@pytest.mark.parametrize("body", [{"email_reminders": "nope"}, {"email_everything": False}])
def test_bad_preferences_are_422(learner_api, body):
    response = learner_api.patch("me/notification-preferences", body)
    assert response.status_code == 422
    assert not NotificationPreference.objects.exists()


def test_outbox_is_for_admins_only(learner_api, admin_api):
    assert learner_api.get("outbox").status_code == 403
    assert admin_api.get("outbox").json() == {"count": 0, "items": []}
    assert admin_api.get("outbox", {"state": "lost"}).status_code == 422


@pytest.mark.parametrize(
    "reminders, field",
    [
        ([{"days": 400, "recipients": ["learner"]}], "reminders"),
        ([{"days": -366, "recipients": ["learner"]}], "reminders"),
        ([{"days": 3, "recipients": ["ceo"]}], "reminders"),
        ([{"days": 3, "recipients": []}], "reminders"),
        ([{"days": 1.5, "recipients": ["learner"]}], "reminders"),
        ([{"recipients": ["learner"]}], "reminders"),
        ([{"days": 3}] * 21, "reminders"),
    ],
)
def test_invalid_reminder_plans_are_422_naming_the_field(admin_api, learner, tenant, reminders, field):
    course = make_course(tenant)
    with time_machine.travel(NOW, tick=False):
        created = admin_api.post(
            "assignments",
            {"person_id": learner.pk, "target": target(course), "due_date": "2026-03-20", "reminders": reminders},
        )
        assert created.status_code == 422, created.content
        assert any(e["field"].startswith(field) for e in created.json()["errors"])
        assert not Assignment.objects.exists()

        assignment = admin_api.post(
            "assignments", {"person_id": learner.pk, "target": target(course), "due_date": "2026-03-20"}
        ).json()
        before = list(ReminderSchedule.objects.values_list("rule_key", "remind_at"))
        patched = admin_api.patch(f"assignments/{assignment['id']}", {"reminders": reminders})
        assert patched.status_code == 422, patched.content
        assert any(e["field"].startswith(field) for e in patched.json()["errors"])
        assert Assignment.objects.get(pk=assignment["id"]).reminder_plan is None
        assert list(ReminderSchedule.objects.values_list("rule_key", "remind_at")) == before
