"""In a real browser, under the Content-Security-Policy: a manager on the team page sends a reminder to an
overdue report ("Send reminder now" → "Reminder sent"), and a second attempt the same day is refused."""

import re

import pytest

from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(tenant, make_person, ada):
    manager = make_person(tenant, name="Mo Manager", email="mo@acme.test", timezone="UTC")
    report = make_person(tenant, name="Rita Report", manager=manager)
    overdue = assign(ada, report, make_course(tenant, title="Fire safety"), due_date="2020-01-10")
    return manager, report, overdue


def test_a_manager_reminds_an_overdue_report_once_a_day(page, sign_in, team, screenshot):
    from playwright.sync_api import expect

    manager, report, overdue = team
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    sign_in(manager)

    page.goto("/team/")
    overdue_card = page.locator("#overdue-actions")
    expect(overdue_card).to_contain_text("Rita Report")
    expect(overdue_card.locator(".badge-escalation")).to_have_text("Tier 3")  # years overdue: the default's last tier
    overdue_card.get_by_role("button", name="Send reminder now to Rita Report").click()
    expect(overdue_card.get_by_role("status")).to_have_text("Reminder sent")
    screenshot(page, "team-reminder-sent.png")
    assert Notification.objects.filter(assignment=overdue, kind="reminder", person=report).count() == 1

    # The table below still shows its button (drawn before); a second attempt is refused by the server.
    page.locator("#team-items-table").get_by_role("button", name="Send reminder now to Rita Report").click()
    expect(page.locator("#team-items-table").get_by_role("status")).to_have_text(
        re.compile(r"^Reminded at \d\d:\d\d, try again tomorrow$")
    )
    page.reload()
    expect(overdue_card.get_by_role("status")).to_contain_text("try again tomorrow")
    expect(page.get_by_role("button", name="Send reminder now to Rita Report")).to_have_count(0)
    assert Notification.objects.filter(assignment=overdue, kind="reminder").count() == 1
    assert violations == []


def test_a_manager_acts_from_their_home_page(page, sign_in, team, screenshot):
    from playwright.sync_api import expect

    manager, report, overdue = team
    sign_in(manager)
    page.goto("/")
    actions = page.locator("#team-actions")
    overdue_card = actions.locator("#overdue-actions")
    expect(overdue_card).to_contain_text("Rita Report")
    screenshot(page, "manager-home-actions.png")
    overdue_card.get_by_role("button", name="Send reminder now to Rita Report").click()
    expect(overdue_card.get_by_role("status")).to_have_text("Reminder sent")
    assert Notification.objects.filter(assignment=overdue, kind="reminder", person=report).count() == 1
    overdue_card.get_by_role("link", name="Assign to Rita Report").click()
    expect(page).to_have_url(re.compile(rf"/assign/person/{report.pk}/$"))
