"""End to end in a real browser: an admin sets escalation and the workload threshold for the organisation."""

import pytest

from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create, person_set_password
from duecourse.policy.services import tenant_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "e2e-secret"


def test_admin_changes_the_organisations_escalation_and_threshold(page, tenant, screenshot):
    from playwright.sync_api import expect

    admin = person_create(
        actor=None, tenant_id=tenant.pk, data=PersonInput(email="ada@acme.test", name="Ada Lovelace", roles=["admin"])
    )
    person_set_password(person=admin, password=PASSWORD)
    page.goto("/login/")
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation settings")
    threshold = page.get_by_label("Overload threshold (minutes due in 30 days)")
    expect(threshold).to_have_value("600")
    threshold.fill("300")
    tiers = page.locator("#escalation-tiers tbody tr")
    tiers.nth(0).locator("input[type=number]").fill("3")
    tiers.nth(0).locator("select").select_option("hr")
    tiers.nth(1).locator("input[type=number]").fill("")
    screenshot(page, "organisation-settings.png")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_text("Saved the organisation's settings.")).to_be_visible()
    expect(threshold).to_have_value("300")
    policy = tenant_policy(tenant.pk)
    assert policy["overload_minutes_30d"] == 300
    assert policy["escalation"] == [
        {"after_days": 3, "to": "hr", "flag": False},
        {"after_days": 15, "to": None, "flag": True},
    ]

    # A tier that does nothing is refused on the page, beside the form, and nothing changes.
    tiers.nth(0).locator("select").select_option("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("must notify someone (to) or set the compliance flag")).to_be_visible()
    assert tenant_policy(tenant.pk)["escalation"][0] == {"after_days": 3, "to": "hr", "flag": False}
