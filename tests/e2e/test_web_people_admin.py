"""End to end in a real browser: an admin adds a person (choosing the manager with the picker), then imports
a CSV of three rows, one bad: sees the dry run, confirms, and finds the people in the directory."""

import pytest

from duecourse.core.models import AuditEvent
from duecourse.people.models import Person
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "email,name,external_id,department,site,manager_email,job_title,roles\n"
    "omar@acme.test,Omar Okafor,E201,Logistics,Leeds,ada@acme.test,Forklift driver,\n"
    "priya@acme.test,Priya Patel,E202,Logistics,Leeds,grace@acme.test,Team lead,instructor\n"
    "not-an-email,Broken Row,E203,Logistics,Leeds,,Driver,\n"
)


def test_admin_adds_a_person_then_imports_a_csv(page, tenant, ada, sign_in, screenshot, settings, tmp_path):
    from playwright.sync_api import expect

    settings.DATA_DIR = tmp_path
    sign_in(ada)
    click_nav(page, "People")
    page.get_by_role("link", name="Add person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a person")

    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@acme.test")
    page.get_by_label("Department").fill("Logistics")
    page.get_by_label("Job title").fill("Operations manager")
    page.get_by_label("Manager").fill("ada")
    page.get_by_role("button", name="Choose Ada Lovelace as manager").click()
    expect(page.locator("#manager-picked")).to_contain_text("Ada Lovelace")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Instructor").check()
    page.get_by_role("button", name="Add person").click()

    expect(page.get_by_text("Added Grace Hopper.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    grace = Person.objects.get(email="grace@acme.test")
    assert (grace.manager_id, grace.department.name, grace.is_instructor) == (ada.pk, "Logistics", True)

    page.get_by_role("link", name="People", exact=True).first.click()
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dry run of staff.csv")
    expect(page.locator("#import-counts .stat-number")).to_have_text(["2", "0", "0", "0", "1"])
    failures = page.locator("#failures-table tbody tr")
    expect(failures).to_have_count(1)
    expect(failures.first).to_contain_text("4")
    expect(failures.first).to_contain_text("'not-an-email' is not a valid email address")
    screenshot(page, "people-import.png")
    assert not Person.objects.filter(email="omar@acme.test").exists()

    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_text("Imported staff.csv: 2 created, 0 updated, 0 deactivated, 1 rows failed.")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    assert AuditEvent.objects.filter(action="people.import", actor_id=ada.pk).count() == 1

    page.get_by_role("link", name="See the people").click()
    expect(page.locator("#result-count")).to_have_text("4 people")
    table = page.locator("#people-table")
    expect(table).to_contain_text("Omar Okafor")
    expect(table).to_contain_text("Priya Patel")
    assert Person.objects.get(email="priya@acme.test").manager_id == grace.pk
