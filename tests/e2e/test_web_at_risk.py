"""In a real browser, under the Content-Security-Policy: a manager's team page shows a report whose
training will not be done in time (not started, four hours of learning, two working days left), says why,
and the manager reminds them from the "At risk" card."""

import pytest
import time_machine

from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course
from duecourse.testing.scheduling import utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_sees_an_at_risk_report_and_reminds_them(page, sign_in, tenant, make_person, ada, screenshot):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    with time_machine.travel(utc("2026-06-10T09:00"), tick=True):  # a Wednesday
        manager = make_person(tenant, name="Mo Manager", email="mo@acme.test", timezone="Europe/London")
        rita = make_person(tenant, name="Rita Report", manager=manager, timezone="Europe/London")
        calm = make_person(tenant, name="Cal Calm", manager=manager, timezone="Europe/London")
        refresher = make_course(tenant, title="Warehouse refresher", minutes=240)
        at_risk = assign(ada, rita, refresher, due_date="2026-06-11")  # Wed + Thu: 2 working days, needs 8
        assign(ada, calm, make_course(tenant, title="Short quiz", minutes=10), due_date="2026-06-30")
        sign_in(manager)

        page.goto("/team/")
        expect(page.locator("#team-at-risk")).to_have_text("1")
        card = page.locator("#at-risk-actions")
        expect(card).to_contain_text("Rita Report")
        expect(card).to_contain_text("not started; needs 4 h; 2 working days left")
        expect(card).not_to_contain_text("Cal Calm")
        screenshot(page, "team-at-risk.png")
        card.get_by_role("button", name="Send reminder now to Rita Report").click()
        expect(card.get_by_role("status")).to_have_text("Reminder sent")
    assert Notification.objects.filter(assignment=at_risk, kind="reminder", person=rita).count() == 1
    assert violations == []
