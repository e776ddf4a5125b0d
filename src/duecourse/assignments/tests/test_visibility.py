"""Visibility through the API: optional and hidden items never become overdue, are not reminded after their
due date, escalated, flagged or counted against compliance; a rule's visibility change reaches existing
assignments (the most visible source wins) and releasing a hidden item notifies the people it now shows to."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments.models import Assignment
from duecourse.notifications.models import Notification, ReminderSchedule
from duecourse.testing.factories import assign, make_course, org_unit, target
from duecourse.testing.scheduling import tick

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Ladder safety")


@pytest.fixture
def crew(tenant, make_person):
    boss = make_person(tenant, name="Boss")
    return make_person(tenant, name="Cleo", manager=boss, department=org_unit(tenant, "department", "Crew"))


def make_rule(api, course, visibility, **fields) -> dict:
    body = {
        "name": f"Crew {visibility}",
        "audience": {"departments": ["Crew"]},
        "items": [{"target": target(course), "visibility": visibility}],
        **fields,
    }
    response = api.post("rules", body)
    assert response.status_code == 201, response.content
    return response.json()


def the_assignment(person, course) -> Assignment:
    return Assignment.objects.get(person=person, target_id=course.pk, withdrawn_at__isnull=True)


def set_visibility(api, rule: dict, course, visibility: str):
    response = api.patch(f"rules/{rule['id']}", {"items": [{"target": target(course), "visibility": visibility}]})
    assert response.status_code == 200, response.content


class TestNeverOverdue:
    @pytest.mark.parametrize("visibility", ["optional", "hidden"])
    def test_past_its_due_date_it_is_not_overdue(self, admin_api, crew, course, visibility):
        make_rule(admin_api, course, visibility, due_date="2026-06-01")
        body = admin_api.get(f"assignments/{the_assignment(crew, course).pk}").json()
        assert body["visibility"] == visibility and body["status"] == "assigned"
        assert admin_api.get("assignments", {"status": "overdue"}).json()["count"] == 0

    def test_a_required_one_is(self, admin_api, crew, course):
        make_rule(admin_api, course, "required", due_date="2026-06-01")
        assert admin_api.get(f"assignments/{the_assignment(crew, course).pk}").json()["status"] == "overdue"

    def test_an_optional_one_is_reminded_before_but_not_after_the_due_date_nor_escalated_or_flagged(
        self, admin_api, crew, course
    ):
        plan = [{"days": 2, "recipients": ["learner"]}, {"days": -3, "recipients": ["learner", "manager"]}]
        make_rule(admin_api, course, "optional", due_date="2026-06-20", reminders=plan)
        assignment = the_assignment(crew, course)
        kinds = set(ReminderSchedule.objects.filter(assignment=assignment).values_list("kind", flat=True))
        assert kinds == {"reminder"}
        Notification.objects.all().delete()
        for days in (3, 7, 12, 20, 30):
            tick(NOW + dt.timedelta(days=days))
        sent = set(Notification.objects.filter(assignment=assignment).values_list("kind", flat=True))
        assert sent == {"reminder"}
        assert Assignment.objects.get(pk=assignment.pk).compliance_flag is False

    def test_compliance_leaves_optional_items_out(self, admin_api, admin, crew, course, tenant):
        make_rule(admin_api, course, "optional", due_date="2026-06-01")
        other = make_course(tenant)
        assign(admin, crew, other, due_date="2026-06-01")
        (row,) = admin_api.get("reports/compliance", {"by": "course"}).json()["items"]
        assert (row["target_id"], row["required_due"]) == (other.pk, 1)

    def test_team_counts_leave_hidden_items_out(self, admin_api, crew, course, api_as):
        make_rule(admin_api, course, "hidden", due_date="2026-06-01")
        rows = api_as(crew.manager).get("reports/team-status").json()["items"]
        assert [(r["name"], r["active"], r["overdue"]) for r in rows] == [("Cleo", 0, 0)]


class TestVisibilityChanges:
    def test_releasing_a_hidden_item_reaches_the_assignment_and_notifies_the_person(self, admin_api, crew, course):
        rule = make_rule(admin_api, course, "hidden", due_date="2026-07-01")
        assignment = the_assignment(crew, course)
        assert not Notification.objects.filter(person=crew, kind="assigned").exists()
        set_visibility(admin_api, rule, course, "required")
        assert admin_api.get(f"assignments/{assignment.pk}").json()["visibility"] == "required"
        assert Notification.objects.filter(person=crew, kind="assigned", assignment=assignment).count() == 1
        assert [i["id"] for i in api_items(admin_api, crew)] == [assignment.pk]

    def test_hiding_it_again_reaches_the_assignment_without_a_notice(self, admin_api, crew, course):
        rule = make_rule(admin_api, course, "optional")
        assignment = the_assignment(crew, course)
        Notification.objects.all().delete()
        set_visibility(admin_api, rule, course, "hidden")
        assert the_assignment(crew, course).visibility == "hidden"
        set_visibility(admin_api, rule, course, "optional")
        assert the_assignment(crew, course).visibility == "optional"
        assert Notification.objects.filter(person=crew, kind="assigned", assignment=assignment).count() == 1

    def test_the_most_visible_source_wins(self, admin_api, admin, crew, course):
        hidden = make_rule(admin_api, course, "hidden")
        required = make_rule(admin_api, course, "required")
        assert the_assignment(crew, course).visibility == "required"
        set_visibility(admin_api, required, course, "optional")
        assert the_assignment(crew, course).visibility == "optional"
        admin_api.delete(f"rules/{required['id']}")
        assert the_assignment(crew, course).visibility == "hidden"
        assign(admin, crew, course)  # an individual source makes it required
        set_visibility(admin_api, hidden, course, "hidden")
        assert the_assignment(crew, course).visibility == "required"

    def test_withdrawing_ones_own_source_leaves_what_the_rest_ask(self, admin_api, admin, crew, course):
        make_rule(admin_api, course, "hidden")
        assignment = assign(admin, crew, course)  # the admin's own source makes it required
        assert the_assignment(crew, course).visibility == "required"
        response = admin_api.delete(f"assignments/{assignment.pk}")
        assert response.status_code == 200, response.content
        assert the_assignment(crew, course).visibility == "hidden"  # only the hidden rule item holds it now


def api_items(api, person) -> list[dict]:
    """What the person sees on their own list (hidden items are left out)."""
    from duecourse.assignments.selectors import my_assignments

    return [{"id": a.pk} for a in my_assignments(actor=person)]
