"""Reminders sent by hand: POST /api/v1/assignments/{id}/remind and the "remind" action on many."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.exemptions import exemption_grant
from duecourse.assignments.inputs import ExemptionInput
from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.assignments.services import assignment_withdraw
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course, make_person

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def w(tenant, admin):
    manager = make_person(tenant, name="Mona Manager")
    learner = make_person(tenant, name="Lena Learner", manager=manager)
    course = make_course(tenant, title="Fire safety")
    overdue = assign(admin, learner, course, due_date="2026-06-01")
    return {
        "admin": admin,
        "manager": manager,
        "learner": learner,
        "course": course,
        "overdue": overdue,
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
    }


def manual_reminders(assignment) -> list[Notification]:
    return list(Notification.objects.filter(assignment=assignment, kind="reminder", data__manual=True))


class TestRemindOne:
    def test_202_then_429_with_when_within_24_hours_then_202_again(self, api_as, w, frozen):
        client = api_as(w["manager"])
        first = client.post(f"assignments/{w['overdue'].pk}/remind")
        assert first.status_code == 202, first.content
        assert first.json() == {"id": w["overdue"].pk, "last_sent_at": "2026-06-15T09:00:00Z"}
        [sent] = manual_reminders(w["overdue"])
        assert sent.person_id == w["learner"].pk and sent.email_state == "pending"
        audit = AuditEvent.objects.get(action="assignment.remind", object_id=w["overdue"].pk)
        assert audit.actor_id == w["manager"].pk

        frozen.shift(dt.timedelta(hours=23, minutes=59))
        again = api_as(w["admin"]).post(f"assignments/{w['overdue'].pk}/remind")
        assert again.status_code == 429
        assert again.json()["last_sent_at"] == "2026-06-15T09:00:00Z"
        assert "2026-06-15 09:00" in again.json()["detail"]
        assert len(manual_reminders(w["overdue"])) == 1

        frozen.shift(dt.timedelta(minutes=1))
        assert api_as(w["instructor"]).post(f"assignments/{w['overdue'].pk}/remind").status_code == 202
        assert len(manual_reminders(w["overdue"])) == 2
        assert AuditEvent.objects.filter(action="assignment.remind").count() == 2

    def test_the_learner_sees_it_in_the_inbox(self, api_as, w):
        api_as(w["manager"]).post(f"assignments/{w['overdue'].pk}/remind")
        inbox = api_as(w["learner"]).get("me/notifications").json()["items"]
        reminders = [i["text"] for i in inbox if i["kind"] == "reminder"]
        assert reminders == ["Reminder from Mona Manager: Fire safety (due 1 Jun 2026)"]

    def test_who_may(self, api_as, w, make_person, other_tenant):
        pk = w["overdue"].pk
        assert api_as(w["hr"]).post(f"assignments/{pk}/remind").status_code == 403
        assert api_as(w["learner"]).post(f"assignments/{pk}/remind").status_code == 403
        stranger = make_person(w["learner"].tenant, name="Other learner")
        assert api_as(stranger).post(f"assignments/{pk}/remind").status_code == 404
        outsider_admin = make_person(other_tenant, roles=("admin",))
        assert api_as(outsider_admin).post(f"assignments/{pk}/remind").status_code == 404
        assert api_as(None).post(f"assignments/{pk}/remind").status_code == 401
        assert manual_reminders(w["overdue"]) == []
        assert not AuditEvent.objects.filter(action="assignment.remind").exists()

    @pytest.mark.parametrize("state", ["completed", "withdrawn", "exempt"])
    def test_409_naming_why(self, api_as, w, state):
        item = w["overdue"]
        if state == "completed":
            progress_record(actor=w["admin"], person_id=w["learner"].pk, course_id=w["course"].pk, progress=100)
        elif state == "withdrawn":
            assignment_withdraw(actor=w["admin"], assignment=item)
        else:
            Assignment.objects.filter(pk=item.pk).update(visibility="required")
            item.refresh_from_db()
            _exempt(w, item)
        response = api_as(w["admin"]).post(f"assignments/{item.pk}/remind")
        assert response.status_code == 409, response.content
        assert state in response.json()["detail"]
        assert response.json()["errors"][0]["field"] == "status"
        assert manual_reminders(item) == []


def _exempt(w, item):
    from duecourse.assignments.models import AssignmentSource

    # An exemption needs a source other than individual ones (else withdraw instead).
    AssignmentSource.objects.filter(assignment=item).update(kind="everyone", label="Everyone")
    exemption_grant(actor=w["admin"], assignment=item, data=ExemptionInput(reason="On leave"))


class TestRemindMany:
    def test_refusals_are_rows_and_the_rest_is_sent_once(self, api_as, w, tenant):
        others = [make_person(tenant, name=f"P{i}", manager=w["manager"]) for i in range(3)]
        items = [assign(w["admin"], p, w["course"], due_date="2026-06-01") for p in others]
        done = assign(w["admin"], others[0], make_course(tenant))
        progress_record(actor=w["admin"], person_id=others[0].pk, course_id=done.target_id, progress=100)
        not_theirs = assign(w["admin"], make_person(tenant), w["course"])
        api_as(w["admin"]).post(f"assignments/{items[0].pk}/remind")
        ids = [w["overdue"].pk, *(i.pk for i in items), done.pk, not_theirs.pk, 999999]
        body = api_as(w["manager"]).post("assignments/actions", {"action": "remind", "ids": ids}).json()
        assert body["done"] == 3
        assert sorted((f["id"], f["reason"]) for f in body["failed"]) == sorted(
            [
                (items[0].pk, "reminded in the last 24 hours"),
                (done.pk, "completed"),
                (not_theirs.pk, "not found"),  # the manager does not see it
                (999999, "not found"),
            ]
        )
        assert body["failed_count"] == 4
        assert body["failed_by_reason"] == {"reminded in the last 24 hours": 1, "completed": 1, "not found": 2}
        assert len(manual_reminders(items[1])) == 1 and len(manual_reminders(items[0])) == 1
        again = api_as(w["instructor"]).post("assignments/actions", {"action": "remind", "ids": ids}).json()
        assert again["done"] == 1  # only the item the manager could not see
        assert again["failed_by_reason"]["reminded in the last 24 hours"] == 4

    def test_by_filter_in_a_few_queries_whatever_the_size(self, api_as, w, tenant):
        def remind_all():
            with CaptureQueriesContext(connection) as queries:
                response = api_as(w["admin"]).post(
                    "assignments/actions", {"action": "remind", "filter": {"overdue": True}}
                )
            assert response.status_code == 200, response.content
            return response.json(), len(queries)

        small, few = remind_all()
        assert small["done"] == 1
        for i in range(20):
            assign(w["admin"], make_person(tenant, name=f"Q{i}"), w["course"], due_date="2026-06-02")
        Notification.objects.all().delete()
        Assignment.objects.update(reminded_at=None)
        big, many = remind_all()
        assert big["done"] == 21 and big["failed"] == []
        assert many == few
        assert Notification.objects.filter(kind="reminder").count() == 21

    def test_hr_and_learners_may_not(self, api_as, w):
        for who in ("hr", "learner"):
            response = api_as(w[who]).post("assignments/actions", {"action": "remind", "ids": [w["overdue"].pk]})
            assert response.status_code == 403
        assert manual_reminders(w["overdue"]) == []


def test_a_filter_matching_nothing_is_zero_done(api_as, w):
    for filter_ in ({"escalation_tier": 9}, {"person_id": 999999}, {"status": ["withdrawn"], "overdue": True}):
        response = api_as(w["admin"]).post("assignments/actions", {"action": "remind", "filter": filter_})
        assert response.status_code == 200, (filter_, response.content)
        assert response.json()["done"] == 0
    assert api_as(w["admin"]).post("assignments/actions", {"action": "remind", "ids": []}).status_code == 422


class TestRemindButton:
    def test_the_fragment_says_what_happened(self, signed_in, w, frozen):
        client = signed_in(w["manager"])
        url = f"/notifications/remind/{w['overdue'].pk}/"
        assert client.get(url).status_code == 405
        assert "Reminder sent" in client.post(url, HTTP_HX_REQUEST="true").content.decode()
        frozen.shift(dt.timedelta(hours=2))
        assert "Reminded at 09:00, try again tomorrow" in client.post(url).content.decode()
        assert len(manual_reminders(w["overdue"])) == 1

    def test_who_sees_the_button(self, signed_in, w):
        page = signed_in(w["manager"]).get("/team/").content.decode()
        assert "Send reminder now" in page and "Tier 2" in page
        detail = signed_in(w["admin"]).get(f"/learning/{w['overdue'].pk}/").content.decode()
        assert "Send reminder now" in detail and "Tier 2" in detail
        assert "Send reminder now" not in signed_in(w["hr"]).get(f"/learning/{w['overdue'].pk}/").content.decode()
        assert "Send reminder now" not in signed_in(w["learner"]).get(f"/learning/{w['overdue'].pk}/").content.decode()
        assert signed_in(w["hr"]).post(f"/notifications/remind/{w['overdue'].pk}/").status_code == 403
        assert manual_reminders(w["overdue"]) == []

    def test_a_completed_item_says_why_not(self, signed_in, w):
        client = signed_in(w["admin"])
        progress_record(actor=w["admin"], person_id=w["learner"].pk, course_id=w["course"].pk, progress=100)
        body = client.post(f"/notifications/remind/{w['overdue'].pk}/").content.decode()
        assert "No reminder: the assignment is completed" in body
