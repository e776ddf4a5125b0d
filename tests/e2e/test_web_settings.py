"""End to end in a real browser: an admin sets escalation and the workload threshold for the organisation."""

import pytest

from duecourse.policy.services import tenant_policy
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_changes_the_organisations_escalation_and_threshold(page, tenant, ada, sign_in, screenshot):
    from playwright.sync_api import expect

    sign_in(ada)

    click_nav(page, "Settings")
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
