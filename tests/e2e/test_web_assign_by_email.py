"""End to end in a real browser: an admin pastes a list of email addresses into the bulk wizard, sees which
were recognised on the review step, and assigns."""

import pytest

from duecourse.assignments.models import Assignment
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.core.actors import SystemActor
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CREW = [("Olivia Smith", "olivia@acme.test"), ("Luca Rossi", "luca@acme.test"), ("Hannah Weber", "hannah@acme.test")]


@pytest.fixture
def company(tenant, ada):
    system = SystemActor(tenant_id=tenant.pk)
    people = {
        email: person_create(
            actor=system,
            tenant_id=tenant.pk,
            data=PersonInput(email=email, name=name, department="Logistics", site="Leeds", region="EMEA"),
        )
        for name, email in CREW
    }
    course = course_create(
        actor=ada,
        data=CourseInput(
            code="LOG-210",
            title="Forklift safety refresher",
            estimated_minutes=90,
            status="active",
            launch_url="https://lms.acme.test/log-210",
        ),
    )
    return {"admin": ada, "people": people, "course": course}


def test_admin_pastes_emails_in_the_wizard_and_assigns_the_known_ones(page, company, sign_in, screenshot):
    from playwright.sync_api import expect

    sign_in(company["admin"])
    page.goto("/assign/")
    page.get_by_label("Forklift safety refresher (LOG-210)").check()
    page.get_by_role("button", name="Next: people →").click()

    expect(page.get_by_role("heading", name="Who should be assigned?")).to_be_visible()
    page.get_by_label("Paste email addresses").fill(
        "Olivia Smith <OLIVIA@acme.test>; luca@acme.test,\nnobody@acme.test\n\nhannah@acme.test\nluca@ACME.test"
    )
    page.get_by_role("button", name="Next: reminders →").click()
    page.get_by_role("button", name="Preview →").click()

    expect(page.locator("#pasted-recognised")).to_have_text("3 of 4 pasted addresses recognised.")
    expect(page.locator("#pasted-unrecognised")).to_have_text("nobody@acme.test: no such person")
    expect(page.locator("#count-create")).to_have_text("3")
    expect(page.locator("#count-failed")).to_have_text("1")
    screenshot(page, "bulk-wizard-emails.png")
    assert not Assignment.objects.exists()

    page.get_by_role("button", name="Confirm and assign 3").click()
    expect(page.locator("#result-created")).to_have_text("3")
    expect(page.locator("#failed-table")).to_contain_text("nobody@acme.test")
    expect(page.locator("#failed-table")).to_contain_text("no such person")
    assigned = set(Assignment.objects.values_list("person__email", flat=True))
    assert assigned == {"olivia@acme.test", "luca@acme.test", "hannah@acme.test"}


def test_admin_assigns_two_items_with_recurrence_and_two_reminders_from_a_persons_page(
    page, company, tenant, sign_in, screenshot
):
    from playwright.sync_api import expect

    first_aid = course_create(
        actor=company["admin"],
        data=CourseInput(
            code="HS-110",
            title="First aid at work",
            estimated_minutes=60,
            status="active",
            launch_url="https://lms.acme.test/hs-110",
        ),
    )
    olivia = company["people"]["olivia@acme.test"]
    sign_in(company["admin"])
    page.goto(f"/people/{olivia.pk}/")
    page.locator("details.assign-panel > summary").click()
    form = page.locator("form.assign-form")
    form.get_by_placeholder("Search the catalog").fill("first")
    expect(form.get_by_label("Forklift safety refresher (LOG-210)")).to_be_hidden()
    form.get_by_label("First aid at work (HS-110)").check()
    form.get_by_placeholder("Search the catalog").fill("")
    form.get_by_label("Forklift safety refresher (LOG-210)").check()
    form.get_by_label("Repeat every (weeks)").fill("52")
    form.get_by_label("Valid for (months)").fill("12")
    form.get_by_label("Custom reminders").check()

    rows = form.locator("#reminder-rows tr")
    expect(rows).to_have_count(1)
    form.get_by_role("button", name="Add a reminder").click()
    form.get_by_role("button", name="Add a reminder").click()
    expect(rows).to_have_count(3)
    rows.nth(2).get_by_role("button", name="Remove").click()
    expect(rows).to_have_count(2)
    rows.nth(0).get_by_label("Days").fill("7")
    rows.nth(1).get_by_label("Days").fill("3")
    rows.nth(1).get_by_label("When").select_option("after")
    rows.nth(1).get_by_label("Manager").check()
    screenshot(page, "person-assign-form.png")
    form.get_by_role("button", name="Assign to Olivia Smith").click()

    expect(page.get_by_text("Assigned First aid at work to Olivia Smith.", exact=False)).to_be_visible()
    made = Assignment.objects.filter(person=olivia).order_by("target_id")
    assert [a.target_id for a in made] == [company["course"].pk, first_aid.pk]
    for assignment in made:
        assert (assignment.recurrence_weeks, assignment.validity_months) == (52, 12)
        assert assignment.reminder_plan == [
            {"days": 7, "recipients": ["learner"]},
            {"days": -3, "recipients": ["learner", "manager"]},
        ]
