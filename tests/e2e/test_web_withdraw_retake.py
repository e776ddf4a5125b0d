"""In a real browser: withdrawing a group-held assignment names the group and changes nothing; removing
your own source says what it removed; ticking Retake re-opens completed training as a new cycle."""

import pytest

from duecourse.assignments.inputs import AssignmentInput, BulkAssignInput
from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.assignments.services import assignment_create, bulk_assign
from duecourse.groups.models import Group, GroupMember
from duecourse.testing.factories import make_course, make_person, target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held(tenant, ada):
    """Rosa holds Fire safety through the group Drivers and through Ada's own source."""
    rosa = make_person(tenant, name="Rosa Parks", email="rosa@acme.test")
    course = make_course(tenant, title="Fire safety")
    group = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
    GroupMember.objects.create(tenant=tenant, group=group, person=rosa)
    bulk_assign(
        actor=ada,
        data=BulkAssignInput.model_validate({"targets": [target(course)], "assignees": {"group_ids": [group.pk]}}),
    )
    assignment_create(actor=ada, data=AssignmentInput.model_validate({"person_id": rosa.pk, "target": target(course)}))
    return {"rosa": rosa, "course": course, "assignment": Assignment.objects.get(person=rosa)}


def test_withdrawing_removes_only_the_own_source_then_names_the_group(page, held, ada, sign_in):
    from playwright.sync_api import expect

    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(ada)
    assignment = held["assignment"]
    page.goto(f"/learning/{assignment.pk}/")
    page.get_by_role("button", name="Withdraw…").click()
    expect(page.get_by_text("Removed Individual by Ada Lovelace")).to_be_visible()
    assert sorted(assignment.sources.values_list("label", flat=True)) == ["Group: Drivers"]

    page.get_by_role("button", name="Withdraw…").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Group: Drivers")
    expect(page.get_by_text("Removed", exact=False)).to_have_count(0)
    assignment.refresh_from_db()
    assert assignment.withdrawn_at is None


def test_ticking_retake_re_opens_completed_training(page, held, ada, sign_in):
    from playwright.sync_api import expect

    rosa, course = held["rosa"], held["course"]
    progress_record(actor=ada, person_id=rosa.pk, course_id=course.pk, progress=100)
    sign_in(ada)
    page.goto(f"/assign/person/{rosa.pk}/")
    page.locator(f'#assign-targets input[value="course:{course.pk}"]').check()
    page.get_by_role("radio", name="Days after assignment").check()
    page.get_by_role("checkbox", name="Retake", exact=False).check()
    page.get_by_role("button", name="Assign to Rosa Parks").click()
    expect(page.get_by_text("Re-opened Fire safety for Rosa Parks")).to_be_visible()
    again = Assignment.objects.get(person=rosa)
    assert again.cycle == 2 and again.completed_at is None
