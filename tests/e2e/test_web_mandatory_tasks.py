"""In a real browser, under the Content-Security-Policy: an instructor opens Mandatory tasks, filters what
is overdue in Logistics, ticks everything on the page, extends the due date with a reason, then reminds
everything the filter matches; a saved view brings the filter back; HR sees the same list read-only."""

import datetime as dt
from pathlib import Path

import pytest

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course, org_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company(tenant, make_person, ada):
    logistics = org_unit(tenant, "department", "Logistics")
    sales = org_unit(tenant, "department", "Sales")
    boss = make_person(tenant, name="Mo Manager", email="mo@acme.test", department=logistics)
    forklift = make_course(tenant, title="Forklift safety")
    people = [
        make_person(tenant, name=name, email=f"{name.split()[0].lower()}@acme.test", department=logistics, manager=boss)
        for name in ("Lars Loader", "Liv Lift", "Leo Ledger")
    ]
    overdue = [assign(ada, p, forklift, due_date="2020-02-01") for p in people]
    seller = make_person(tenant, name="Sam Seller", email="sam@acme.test", department=sales)
    elsewhere = assign(ada, seller, forklift, due_date="2020-02-01")
    later = assign(ada, people[0], make_course(tenant, title="Data protection"), due_date="2030-01-01")
    return {
        "instructor": make_person(tenant, roles=("instructor",), name="Ines Instructor", email="ines@acme.test"),
        "hr": make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test"),
        "overdue": overdue,
        "elsewhere": elsewhere,
        "later": later,
    }


def test_an_instructor_filters_extends_and_reminds(page, sign_in, company, screenshot):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(company["instructor"])

    page.get_by_role("link", name="Mandatory tasks").click()
    expect(page.get_by_role("heading", name="Mandatory tasks")).to_be_visible()
    expect(page.locator("#task-count")).to_have_text("5 assignments")

    page.get_by_label("Status").select_option("overdue")
    expect(page.locator("#task-count")).to_have_text("4 assignments")
    page.get_by_label("Department").select_option("Logistics")
    expect(page.locator("#task-count")).to_have_text("3 assignments")
    assert "status=overdue" in page.url and "department=Logistics" in page.url
    table = page.locator("#tasks-table")
    expect(table).not_to_contain_text("Sam Seller")
    screenshot(page, "mandatory-tasks.png")

    # Tick the whole page, extend with a reason.
    page.get_by_label("Tick every item on this page").check()
    page.get_by_label("Action").select_option("extend")
    page.get_by_label("New due date (extend)").fill("2031-03-31")
    page.get_by_label("Reason (audited; the learner sees it)").fill("Forklift trainer was ill in January")
    page.get_by_role("button", name="Apply to ticked").click()
    expect(page.locator(".flash")).to_contain_text("Extended the due date of 3 items.")
    ids = [a.pk for a in company["overdue"]]
    assert set(Assignment.objects.filter(pk__in=ids).values_list("due_date", flat=True)) == {dt.date(2031, 3, 31)}
    assert Assignment.objects.get(pk=company["elsewhere"].pk).due_date == dt.date(2020, 2, 1)
    reasons = set(
        AuditEvent.objects.filter(object_id__in=ids, action="assignment.update").values_list("reason", flat=True)
    )
    assert reasons == {"Forklift trainer was ill in January"}
    # Still on the same filter: nothing in Logistics is overdue any more.
    expect(page.locator("#task-count")).to_have_text("0 assignments")

    # Everything the filter matches: all of Logistics' Forklift items (to do), reminded now.
    page.get_by_label("Status").select_option("todo")
    expect(page.locator("#task-count")).to_have_text("4 assignments")
    page.get_by_label("Action").select_option("remind")
    page.get_by_label("All 4 matching the filter").check()
    page.get_by_role("button", name="Apply to ticked").click()
    expect(page.locator(".flash")).to_contain_text("Sent a reminder for 4 items.")
    reminded = Notification.objects.filter(kind="reminder", data__manual=True)
    assert sorted(reminded.values_list("assignment_id", flat=True)) == sorted([*ids, company["later"].pk])

    # Save the view; it comes back from the Views menu.
    page.get_by_text("Views", exact=True).click()
    page.get_by_placeholder("Name this view").fill("Logistics to do")
    page.get_by_role("button", name="Save view").click()
    expect(page.locator(".flash")).to_contain_text("Saved the view “Logistics to do”.")
    page.goto("/tasks/")
    page.get_by_text("Views", exact=True).click()
    page.locator("#saved-views").get_by_role("link", name="Logistics to do").click()
    expect(page.locator("#task-count")).to_have_text("4 assignments")
    expect(page.get_by_label("Department")).to_have_value("Logistics")
    assert violations == []


def test_hr_reads_the_list_and_downloads_it(page, sign_in, company):
    from playwright.sync_api import expect

    sign_in(company["hr"])
    page.goto("/tasks/?status=overdue")
    expect(page.locator("#task-count")).to_have_text("4 assignments")
    expect(page.get_by_role("button", name="Apply to ticked")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].endswith("department,site,region,manager_name,manager_email,hire_date")
    assert len(text.splitlines()) == 5 and "Logistics" in text and "mo@acme.test" in text
