"""In a real browser on a phone (390 px), under the Content-Security-Policy: a manager with a manager below
them switches the team page to "Whole team (all levels)", sees their indirect report with their own manager
and trend, filters by that person (the filters keep the scope), reloads, and nothing scrolls sideways."""

import re

import pytest
import time_machine

from duecourse.testing.factories import assign, make_course
from duecourse.testing.scheduling import utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_whole_team_switch_on_a_phone(page, sign_in, tenant, make_person, ada, screenshot):
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    page.set_viewport_size({"width": 390, "height": 844})
    with time_machine.travel(utc("2026-06-15T09:00"), tick=True):
        boss = make_person(tenant, name="Bea Boss", email="bea@acme.test", timezone="UTC")
        make_person(tenant, name="Ann Direct", manager=boss, timezone="UTC")
        mid = make_person(tenant, name="Max Middle", manager=boss, timezone="UTC")
        deep = make_person(tenant, name="Dee Deep", manager=mid, timezone="UTC")
        assign(ada, deep, make_course(tenant, title="Fire safety"), due_date="2026-05-01")
        sign_in(boss)

        page.goto("/team/")
        switch = page.get_by_role("navigation", name="Whose people")
        expect(switch.get_by_role("link", name="Direct reports")).to_have_attribute("aria-current", "page")
        expect(page.locator("#team-table")).not_to_contain_text("Dee Deep")
        assert sideways(page) <= 0

        switch.get_by_role("link", name="Whole team (all levels)").click()
        expect(page).to_have_url(re.compile(r"/team/\?scope=subtree$"))
        table = page.locator("#team-table")
        expect(table).to_contain_text("Dee Deep")
        expect(table).to_contain_text("Reports to Max Middle")
        assert sideways(page) <= 0
        screenshot(page, "team-whole-team-phone.png")

        page.select_option("#f-person", label="Dee Deep")
        expect(page).to_have_url(re.compile(rf"scope=subtree.*person={deep.pk}"))
        page.reload()
        expect(page.get_by_role("link", name="Whole team (all levels)")).to_have_attribute("aria-current", "page")
        expect(page.locator("#f-person")).to_have_value(str(deep.pk))
        assert sideways(page) <= 0
    assert violations == []
