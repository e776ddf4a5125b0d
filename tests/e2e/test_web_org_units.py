"""In a real browser, under the Content-Security-Policy: an admin goes Groups → Sites, searches the sites
twice, opens one, sees its people and the tab bar, searches them twice, shows the deactivated ones, and
follows a person's site link back to the site."""

import re

import pytest

from duecourse.core.actors import SystemActor
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = [
    ("Olivia Smith", "Leeds", "Logistics", "Warehouse operative", True),
    ("Luca Rossi", "Leeds", "Logistics", "Forklift driver", True),
    ("Hannah Weber", "Leeds", "Finance", "Accountant", True),
    ("James Garcia", "Leeds", "Finance", "Accountant", False),
    ("Matteo Ricci", "Milan", "Logistics", "Forklift driver", True),
    ("Sophie Fischer", "Berlin", "Engineering", "Software engineer", True),
]


@pytest.fixture
def staff(tenant, ada):
    system = SystemActor(tenant_id=tenant.pk)
    for name, site, department, title, active in STAFF:
        person_create(
            actor=system,
            tenant_id=tenant.pk,
            data=PersonInput(
                email=name.lower().replace(" ", ".") + "@acme.test",
                name=name,
                site=site,
                department=department,
                region="EMEA",
                job_title=title,
                active=active,
            ),
        )
    return ada


def test_admin_opens_a_site_and_sees_its_people(page, staff, sign_in, screenshot):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("console", lambda m: violations.append(m.text) if m.text.startswith("htmx:") else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    sign_in(staff)
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()

    click_nav(page, "Groups")
    audiences = page.get_by_role("navigation", name="Audiences")
    expect(audiences.get_by_role("link")).to_have_text(["Groups", "Departments", "Sites", "Regions"])
    audiences.get_by_role("link", name="Sites").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sites")
    expect(page.locator("#org-unit-count")).to_have_text("3 sites")
    leeds_row = page.locator("#org-units-table tr", has_text="Leeds")
    expect(leeds_row.locator("[data-people-count]")).to_have_text("4")  # Ada and three active; James left

    page.get_by_label("Search sites").fill("mil")
    expect(page.locator("#org-unit-count")).to_have_text("1 site")
    expect(page.locator("#org-units-table")).to_contain_text("Milan")
    page.get_by_label("Search sites").fill("lee")  # the second search on the page answers too
    expect(page.locator("#org-units-table")).to_contain_text("Leeds")
    expect(page.locator("#org-units-table")).not_to_contain_text("Milan")
    expect(page).to_have_url(re.compile(r"/groups/sites/\?q=lee"))

    page.locator("#org-units-table").get_by_role("link", name="Leeds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leeds")
    tabs = page.get_by_role("navigation", name="Sections")
    expect(tabs.locator("a.active")).to_have_text("People")
    expect(page.locator("#people-count")).to_have_text("4")
    expect(page.locator("#unit-people-table")).not_to_contain_text("James Garcia")
    screenshot(page, "site.png")

    page.get_by_label("Search people").fill("forklift")
    expect(page.locator("#people-count")).to_have_text("1")
    expect(page.locator("#unit-people-table")).to_contain_text("Luca Rossi")
    page.get_by_label("Search people").fill("accountant")
    expect(page.locator("#unit-people-table")).to_contain_text("Hannah Weber")
    expect(page.locator("#unit-people-table")).not_to_contain_text("Luca Rossi")
    page.get_by_label("Status").select_option("false")
    expect(page.locator("#people-title")).to_contain_text("Deactivated people")
    expect(page.locator("#unit-people-table")).to_contain_text("James Garcia")
    expect(page.locator("#unit-people-table")).not_to_contain_text("Hannah Weber")
    expect(page.locator("#csv-export")).to_have_attribute("href", re.compile(r"site=Leeds&q=accountant&active=false"))

    page.locator("#unit-people-table").get_by_role("link", name="James Garcia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("James Garcia")
    page.get_by_role("link", name="Leeds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leeds")
    expect(page.locator("#unit-people-table")).to_contain_text("Olivia Smith")
    assert violations == []
