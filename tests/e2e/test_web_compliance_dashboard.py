"""In a real browser, under the Content-Security-Policy: HR opens Compliance from the navigation, reads the
rate by department (chart and table, worst first), switches to sites, drills into a department (landing on
Mandatory tasks filtered to its people) and downloads the table as CSV; the admin's home shows the
overview. With DUECOURSE_SCREENSHOTS set it saves compliance-dashboard.png and home-overview.png."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.core import clock
from duecourse.notifications.models import OutboxMessage
from duecourse.testing.factories import assign, make_course, org_unit
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# department: (site, people, how many completed, days overdue of the rest)
DEPARTMENTS = {
    "Logistics": ("Leeds", 6, 2, [3, 12, 20, 30]),
    "Sales": ("London", 5, 3, [9, 2]),
    "Finance": ("London", 4, 4, []),
    "Engineering": ("Leeds", 6, 5, [16]),
    "Customer care": ("Glasgow", 5, 1, [1, 4, 10, 18]),
}


@pytest.fixture
def company(tenant, make_person, ada):
    today = clock.now().date()
    courses = [make_course(tenant, title="Fire safety"), make_course(tenant, title="Data protection")]
    boss = make_person(tenant, name="Mo Manager", email="mo@acme.test")
    n = 0
    for department, (site, people, completed, overdue_days) in DEPARTMENTS.items():
        unit, place = org_unit(tenant, "department", department), org_unit(tenant, "site", site)
        for i in range(people):
            n += 1
            person = make_person(
                tenant, name=f"{department.split()[0]} Person {i + 1}", email=f"p{n}@acme.test",
                department=unit, site=place, manager=boss,
            )  # fmt: skip
            course = courses[i % 2]
            if i < completed:
                due = today - dt.timedelta(days=20)
                assign(ada, person, course, due_date=due.isoformat())
                progress_record(
                    actor=ada,
                    person_id=person.pk,
                    course_id=course.pk,
                    completed_at=clock.now() - dt.timedelta(days=25),
                )
            else:
                days = overdue_days[(i - completed) % len(overdue_days)]
                item = assign(ada, person, course, due_date=(today - dt.timedelta(days=days)).isoformat())
                if days >= 16:
                    Assignment.objects.filter(pk=item.pk).update(compliance_flag=True)
            assign(ada, person, courses[(i + 1) % 2], due_date=(today + dt.timedelta(days=30)).isoformat())
    now = clock.now()
    OutboxMessage.objects.create(
        tenant=tenant, to_email="p1@acme.test", subject="Reminder", body_text="…", dedup_key="held-1",
        state="held", created_at=now, next_attempt_at=now, last_error="Template error: unknown variable",
    )  # fmt: skip
    return {"hr": make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test"), "ada": ada}


def test_hr_reads_the_dashboard_drills_into_a_department_and_downloads_a_csv(page, sign_in, company, screenshot):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    sign_in(company["hr"])

    click_nav(page, "Compliance")
    expect(page.get_by_role("heading", name="Compliance", exact=True)).to_be_visible()
    table = page.locator("#compliance-table tbody tr")
    expect(table).to_have_count(5)
    expect(table.first).to_contain_text("Customer care")  # 1 of 5: the worst first
    expect(table.last).to_contain_text("Finance")
    expect(page.locator("#compliance-table tfoot")).to_contain_text("58 %")  # 15 of 26
    expect(page.locator("svg.chart-bars").first).to_be_visible()
    expect(page.locator("#ladder-table")).to_contain_text("Tier 3")
    expect(page.locator("#flagged-people li")).to_have_count(4)
    screenshot(page, "compliance-dashboard.png")

    page.get_by_role("navigation", name="Compliance by").get_by_role("link", name="Site").click()
    expect(page).to_have_url(re.compile(r"\?by=site$"))
    expect(page.locator("#compliance-table tbody tr")).to_have_count(3)

    with page.expect_download() as download_info:
        page.locator("#compliance-csv").click()
    download = download_info.value
    assert download.suggested_filename == "compliance-by-site.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0] == ["key", "required_due", "completed", "exempt", "rate"]
    assert {r[0] for r in rows[1:]} == {"Leeds", "London", "Glasgow"}

    page.get_by_role("navigation", name="Compliance by").get_by_role("link", name="Department").click()
    page.locator("#compliance-table").get_by_role("link", name="Logistics").click()
    expect(page.get_by_role("heading", name="Mandatory tasks")).to_be_visible()
    assert "department=Logistics" in page.url and "status=any" in page.url
    expect(page.locator("#tasks-table tbody tr")).to_have_count(12)  # 6 people, two courses each
    expect(page.locator("#tasks-table")).not_to_contain_text("Sales Person")

    assert violations == []


def test_the_admins_home_is_an_overview(page, sign_in, company, screenshot):
    from playwright.sync_api import expect

    sign_in(company["ada"])
    overview = page.locator("#home-overview")
    expect(overview.locator("#overview-rate")).to_contain_text("58 %")
    expect(overview.locator("#overview-overdue")).to_contain_text("11")
    expect(overview.locator("#overview-flagged")).to_contain_text("4")
    expect(overview.locator("#overview-held")).to_contain_text("1")
    screenshot(page, "home-overview.png")

    overview.locator("#overview-held").click()
    expect(page.get_by_role("heading", name="Emails not delivered")).to_be_visible()
    expect(page.locator("#outbox-table")).to_contain_text("Template error")
