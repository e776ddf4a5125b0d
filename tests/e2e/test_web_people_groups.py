"""End to end in a real browser: an admin signs in, searches people, opens a person, builds a dynamic group."""

import re

import pytest

from duecourse.core.actors import SystemActor
from duecourse.groups.models import Group
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST = ["Olivia", "Luca", "Hannah", "James", "Amelia", "Matteo", "Sophie", "Daniel", "Freya", "Jonas", "Chloe", "Leo"]
LAST = ["Smith", "Rossi", "Weber", "Garcia", "Taylor", "Ricci", "Fischer", "Clark", "Hughes", "Becker", "Lopez", "Hall"]
TEAMS = [
    ("Logistics", "Leeds", "EMEA", "Warehouse operative"),
    ("Logistics", "Milan", "EMEA", "Forklift driver"),
    ("Finance", "Leeds", "EMEA", "Accountant"),
    ("Engineering", "Berlin", "EMEA", "Software engineer"),
    ("Sales", "Austin", "Americas", "Account executive"),
]


@pytest.fixture
def company(tenant, ada):
    managers = {}
    for index in range(36):
        department, site, region, title = TEAMS[index % len(TEAMS)]
        first, last = FIRST[index % len(FIRST)], LAST[(index * 5 + index // 12) % len(LAST)]
        lead = managers.get((department, site))
        person = person_create(
            actor=SystemActor(tenant_id=tenant.pk),
            tenant_id=tenant.pk,
            data=PersonInput(
                email=f"{first}.{last}{index}@acme.test".lower(),
                name=f"{first} {last}",
                external_id=f"E{1000 + index}",
                department=department,
                site=site,
                region=region,
                job_title="Team lead" if lead is None else title,
                manager_id=lead.pk if lead else None,
                hire_date=f"202{index % 6}-0{1 + index % 9}-15",
            ),
        )
        managers.setdefault((department, site), person)
    return ada


def test_admin_searches_people_and_builds_a_dynamic_group(page, company, sign_in, screenshot):
    from playwright.sync_api import expect

    sign_in(company)
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    screenshot(page, "home.png")

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(  # Groups, Certificates, Audit log and Settings are under More
        [
            "Home",
            "My learning",
            "Team",
            "Compliance",
            "Mandatory tasks",
            "People",
            "Catalog",
            "Assign",
            "Configurations",
        ]
    )
    nav.get_by_role("link", name="People").click()
    expect(page.locator("#result-count")).to_have_text("37 people")
    screenshot(page, "people.png")

    page.get_by_label("Search people").fill("matteo")
    expect(page.locator("#result-count")).to_have_text("3 people")
    expect(page).to_have_url(re.compile(r"q=matteo"))
    page.get_by_label("Department").select_option("Logistics")
    expect(page.locator("#result-count")).to_have_text("1 person")
    expect(page.locator("#csv-export")).to_have_attribute(
        "href", re.compile(r"q=matteo&department=Logistics.*format=csv")
    )
    page.get_by_label("Site").select_option("Milan")
    expect(page.locator("#people-table")).to_contain_text("No people match")
    page.get_by_label("Site").select_option("")
    expect(page.locator("#result-count")).to_have_text("1 person")

    page.locator("#people-table tbody tr").first.get_by_role("link", name=re.compile("Matteo")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Matteo"))
    expect(page.get_by_text("Warehouse operative").first).to_be_visible()
    expect(page.get_by_role("link", name="Edit details")).to_be_visible()
    screenshot(page, "person.png")

    click_nav(page, "Groups")
    page.get_by_role("link", name="New dynamic group").click()
    page.get_by_label("Name").fill("Logistics in Leeds and Milan")
    page.get_by_label("Description").fill("Everyone who handles stock in our European warehouses.")
    first_row = page.locator(".rule-row").nth(0)
    first_row.get_by_label("Value").fill("Logistics")
    expect(page.locator("#match-count")).to_have_text("15")
    page.get_by_role("button", name="+ Add condition").click()
    # Changing the attribute or the comparison redraws the row (htmx); wait for the new one before typing.
    page.locator(".rule-row").nth(1).get_by_label("Attribute").select_option("site")
    expect(page.locator(".rule-row").nth(1).get_by_label("Value")).to_have_attribute("list", "dl-site")
    page.locator(".rule-row").nth(1).get_by_label("Comparison").select_option("in")
    expect(page.locator(".rule-row").nth(1).get_by_label("Value")).to_have_attribute(
        "placeholder", "Separate values with commas"
    )
    page.locator(".rule-row").nth(1).get_by_label("Value").fill("Leeds, Milan")
    expect(page.locator("#rule-preview")).to_contain_text("site is one of Leeds, Milan")
    expect(page.locator("#match-count")).to_have_text("15")
    page.locator(".rule-row").nth(1).get_by_label("Value").fill("Milan")
    expect(page.locator("#match-count")).to_have_text("7")
    screenshot(page, "group-editor.png")

    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_text("Created the group Logistics in Leeds and Milan.")).to_be_visible()
    expect(page.locator("#member-count")).to_have_text("7")
    group = Group.objects.get(name="Logistics in Leeds and Milan")
    assert group.rule["all"][1] == {"field": "site", "op": "in", "value": ["Milan"]}

    page.get_by_role("link", name="Groups", exact=True).first.click()
    row = page.locator("#groups-table tr", has_text="Logistics in Leeds and Milan")
    expect(row.locator("[data-member-count]")).to_have_text("7")
