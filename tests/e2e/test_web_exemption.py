"""In a real browser, under the Content-Security-Policy: an admin exempts a person from a group-held
assignment on its page (Exempt…, a reason and a last day), the chip says Exempt, and ends it again."""

import pytest

from duecourse.assignments.inputs import BulkAssignInput
from duecourse.assignments.models import Assignment
from duecourse.assignments.services import bulk_assign
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import GroupMember
from duecourse.groups.services import group_create
from duecourse.people.services import person_set_password
from duecourse.testing.factories import make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "e2e-secret"


@pytest.fixture
def held(tenant, make_person):
    admin = make_person(tenant, roles=("admin",), name="Ada Lovelace", email="ada@acme.test")
    person_set_password(person=admin, password=PASSWORD)
    learner = make_person(tenant, name="Leo Fischer")
    course = make_course(tenant, title="Fire safety")
    group = group_create(actor=admin, data=GroupInput(name="Night shift", kind="static"))
    GroupMember.objects.create(tenant=tenant, group=group, person=learner)
    bulk_assign(
        actor=admin,
        data=BulkAssignInput.model_validate(
            {"targets": [{"type": "course", "id": course.pk}], "assignees": {"group_ids": [group.pk]}}
        ),
    )
    return Assignment.objects.get(person=learner, target_id=course.pk)


def test_an_admin_exempts_and_ends_the_exemption_on_the_assignment_page(page, held):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    page.goto("/login/")
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"/learning/{held.pk}/")
    page.get_by_text("Exempt…").click()
    page.get_by_label("Reason").last.fill("Parental leave")
    page.get_by_label("Exempt until").fill("2099-12-31")
    page.get_by_role("button", name="Exempt Leo Fischer").click()
    expect(page.locator("h1 .badge")).to_have_text("Exempt")
    expect(page.locator("body")).to_contain_text("Parental leave")

    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks first (app.js)
    page.get_by_role("button", name="End exemption").click()
    expect(page.locator("h1 .badge")).to_have_text("Assigned")
    assert Assignment.objects.get(pk=held.pk).exempt_at is None
    assert violations == []
