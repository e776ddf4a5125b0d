"""Withdrawing (`DELETE /api/v1/assignments/{id}` and the assignment page): own source, blocking sources, 403."""

import pytest

from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.testing.factories import assign, make_course, target
from duecourse.testing.web import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Fire safety")


@pytest.fixture
def drivers(tenant, learner):
    group = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
    GroupMember.objects.create(tenant=tenant, group=group, person=learner)
    return group


def assign_group(api, group, course):
    response = api.post("assignments/bulk", {"targets": [target(course)], "assignees": {"group_ids": [group.pk]}})
    assert response.status_code == 200, response.content


def state(assignment):
    assignment.refresh_from_db()
    return assignment.withdrawn_at, sorted(assignment.sources.values_list("label", flat=True))


class TestWithdrawThroughTheApi:
    def test_a_group_held_assignment_is_a_409_naming_the_group_and_nothing_changes(
        self, admin_api, learner, drivers, course
    ):
        assign_group(admin_api, drivers, course)
        a = Assignment.objects.get(person=learner)
        before, events = state(a), AuditEvent.objects.count()
        response = admin_api.delete(f"assignments/{a.pk}?reason=Not+needed")
        assert response.status_code == 409, response.content
        assert response.json()["errors"] == [{"field": "sources", "message": "Group: Drivers"}]
        assert state(a) == before and AuditEvent.objects.count() == events

    def test_the_callers_own_source_goes_and_the_group_keeps_it_open(self, admin, admin_api, learner, drivers, course):
        assign_group(admin_api, drivers, course)
        a = assign(admin, learner, course)
        response = admin_api.delete(f"assignments/{a.pk}")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "assigned"
        assert [s["label"] for s in response.json()["sources"]] == ["Group: Drivers"]
        # Now only the group holds it: a second call is refused, naming it.
        again = admin_api.delete(f"assignments/{a.pk}")
        assert again.status_code == 409
        assert again.json()["errors"] == [{"field": "sources", "message": "Group: Drivers"}]

    def test_an_instructor_withdraws_what_only_other_peoples_individual_sources_hold(
        self, admin, api_as, make_person, tenant, learner, course
    ):
        instructor = make_person(tenant, roles=("instructor",))
        a = assign(admin, learner, course)
        response = api_as(instructor).delete(f"assignments/{a.pk}")
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
        assert not AssignmentSource.objects.filter(assignment=a).exists()

    def test_a_rule_source_blocks_too(self, admin_api, learner, course):
        response = admin_api.post(
            "rules",
            {"name": "Everyone safe", "audience": {"person_ids": [learner.pk]}, "items": [{"target": target(course)}]},
        )
        assert response.status_code == 201, response.content
        a = Assignment.objects.get(person=learner)
        response = admin_api.delete(f"assignments/{a.pk}")
        assert response.status_code == 409
        assert [e["field"] for e in response.json()["errors"]] == ["sources"]
        assert Assignment.objects.get(pk=a.pk).withdrawn_at is None


class TestWithdrawOnThePage:
    def test_the_page_names_the_group_and_never_says_it_removed_anything(
        self, admin, admin_api, signed_in, learner, drivers, course
    ):
        assign_group(admin_api, drivers, course)
        a = Assignment.objects.get(person=learner)
        response = signed_in(admin).post(f"/learning/{a.pk}/withdraw/", follow=True)
        assert response.status_code == 409
        page = text(response)
        assert "Group: Drivers" in page and "Removed" not in page
        assert state(a)[0] is None

    def test_removing_an_own_source_names_what_was_removed(self, admin, admin_api, signed_in, learner, drivers, course):
        assign_group(admin_api, drivers, course)
        a = assign(admin, learner, course)
        response = signed_in(admin).post(f"/learning/{a.pk}/withdraw/", follow=True)
        assert response.status_code == 200
        assert "Removed Individual by Ada Admin" in text(response)
        assert state(a) == (None, ["Group: Drivers"])
