"""End to end in a real browser: an admin opens a group's Training tab, adds a training configuration (a course,
required, valid 12 months, certificates on), previews who gets it, saves, sees its people, pauses it and deletes
it with a reason."""

import pytest

from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.core.actors import SystemActor
from duecourse.core.models import AuditEvent
from duecourse.groups.inputs import GroupInput
from duecourse.groups.services import group_create
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRIVERS = ["Olivia Smith", "Luca Rossi", "Hannah Weber"]


@pytest.fixture
def warehouse(tenant, ada):
    drivers = [
        person_create(
            actor=SystemActor(tenant_id=tenant.pk),
            tenant_id=tenant.pk,
            data=PersonInput(email=f"{name.split()[0].lower()}@acme.test", name=name, department="Logistics"),
        )
        for name in DRIVERS
    ]
    for code, title in (("LOG-210", "Forklift safety refresher"), ("HS-101", "Fire safety essentials")):
        course_create(actor=ada, data=CourseInput(code=code, title=title, estimated_minutes=45, status="active"))
    group = group_create(
        actor=ada, data=GroupInput(name="Forklift drivers", kind="static", member_ids=[p.pk for p in drivers])
    )
    return {"group": group, "drivers": drivers}


def test_a_training_configuration_from_the_groups_training_tab(page, warehouse, ada, sign_in, screenshot):
    from playwright.sync_api import expect

    sign_in(ada)
    click_nav(page, "Groups")
    page.get_by_role("link", name="Forklift drivers").click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Forklift drivers")).to_be_visible()
    expect(page.locator("#training-table")).to_contain_text("No training configurations yet.")

    page.get_by_role("link", name="Add training configuration").click()
    expect(page.get_by_role("heading", name="Add training configuration", level=1)).to_be_visible()
    expect(page.get_by_label("Forklift drivers")).to_be_checked()  # the tab's audience, prefilled
    page.get_by_label("Issue certificates of completion").check()
    page.get_by_role("textbox", name="Name").fill("Forklift certification")
    page.get_by_label("Add training").select_option(label="Forklift safety refresher (LOG-210)")
    page.get_by_role("button", name="+ Add").click()
    expect(page.locator("#item-rows .rule-item")).to_have_count(1)
    expect(page.get_by_label("Visibility of Forklift safety refresher")).to_have_value("required")
    page.get_by_label("Validity of Forklift safety refresher").select_option("12")
    page.get_by_label("Days after assignment").check()
    page.get_by_label("Days", exact=True).fill("30")

    page.locator("#items-title").evaluate("heading => { heading.scrollIntoView(); window.scrollBy(0, -80); }")
    screenshot(page, "training-form.png")

    page.get_by_role("button", name="Preview who is added and removed").click()
    expect(page.locator("#preview-add")).to_have_text("3")
    expect(page.locator("#preview-remove")).to_have_text("0")
    expect(page.locator("#preview")).to_contain_text("people get training (3 items)")
    assert not AssignmentRule.objects.exists() and not Assignment.objects.exists()
    screenshot(page, "training-preview.png")

    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_role("heading", name="Forklift certification")).to_be_visible()
    expect(page.locator("#holder-count")).to_have_text("3")
    expect(page.locator("#holders-table")).to_contain_text("Olivia Smith")
    expect(page.locator("#rule-items-summary")).to_contain_text("valid 12 months")
    screenshot(page, "training-configuration.png")
    rule = AssignmentRule.objects.get()
    assert rule.certificate and rule.items.get().validity_months == 12
    assert Assignment.objects.filter(withdrawn_at__isnull=True, validity_months=12).count() == 3

    page.goto(f"/training/for/group/{warehouse['group'].pk}/")
    row = page.locator("#training-table tbody tr")
    expect(row).to_contain_text("Forklift certification")
    expect(row).to_contain_text("30 days after assignment")
    expect(row.locator("[data-holders]")).to_have_text("3")

    row.get_by_role("link", name="Forklift certification").click()
    page.get_by_label("Reason").fill("Trainer on leave until March")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#rule-state")).to_have_text("Paused")
    expect(page.locator("#history")).to_contain_text("Reason: Trainer on leave until March")
    assert Assignment.objects.filter(withdrawn_at__isnull=True).count() == 3  # nobody lost anything

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Forklift certification”?")).to_be_visible()
    page.get_by_label("Reason").fill("Replaced by the 2027 programme")
    page.get_by_role("button", name="Delete configuration").click()
    expect(page.get_by_role("heading", name="Training configurations", level=1)).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("Deleted “Forklift certification”: 3 open assignments")
    expect(page.locator("#training-table")).not_to_contain_text("Forklift certification")
    assert not Assignment.objects.filter(withdrawn_at__isnull=True).exists()
    assert AuditEvent.objects.get(action="rule.delete").reason == "Replaced by the 2027 programme"
