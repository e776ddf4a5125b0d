"""In a real browser on the demo company: a learner whose profile says Italian reads My learning in Italian on
a phone, and a manager whose profile says German reads the team page in German at desktop width; neither
page scrolls sideways. With DUECOURSE_SCREENSHOTS set, the pictures in docs/screenshots come from here."""

import pytest

from duecourse.people.models import Person
from duecourse.shell.demo import LOGINS, PASSWORD, demo_load

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EMAILS = {login.role: login.email for login in LOGINS}


def _signed_in(browser, live_server, email: str, width: int, height: int):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_my_learning_in_italian_on_a_phone_and_the_team_in_german(browser, live_server, screenshot):
    from playwright.sync_api import expect

    demo_load()
    Person.objects.filter(email=EMAILS["learner"]).update(locale="it")
    Person.objects.filter(email=EMAILS["manager"]).update(locale="de")

    context, page = _signed_in(browser, live_server, EMAILS["learner"], 390, 844)
    page.goto("/learning/")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "it"
    expect(page.get_by_role("heading", name="La mia formazione", level=1)).to_be_visible()
    expect(page.locator(".navmenu summary")).to_have_text("Menu")  # the phone's menu, Italian "Menu" too
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "my-learning-italian-phone.png")
    context.close()

    context, page = _signed_in(browser, live_server, EMAILS["manager"], 1360, 900)
    page.goto("/team/")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.locator("h1")).to_contain_text("Team")
    expect(page.locator("body")).to_contain_text("Überfällig")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "team-german.png")
    context.close()
