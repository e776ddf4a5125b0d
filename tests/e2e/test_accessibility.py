"""Accessibility and phones, in a real browser on the demo company: axe-core (vendored in tests/e2e/vendor,
not part of the product) finds no serious or critical problem on the main pages of every role, at desktop
width and at a phone's 390 px, and the pages people use on a phone never scroll sideways."""

from pathlib import Path

import pytest

from duecourse.people.models import Person
from duecourse.shell.demo import LOGINS, PASSWORD, demo_load
from duecourse.testing.pages import MAIN_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
PAGES = MAIN_PAGES
NO_SIDEWAYS_SCROLL = {"learner": ["/learning/"], "manager": ["/team/", "/assign/"], "hr": ["/reports/compliance/"]}
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""


def _signed_in(browser, live_server, email: str, width: int):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_no_serious_problems_for_any_role_at_desktop_or_phone_width(browser, live_server):
    demo_load()
    emails = {login.role: login.email for login in LOGINS}
    problems: list[str] = []
    for width in (1360, 390):
        for role, paths in PAGES.items():
            context, page = _signed_in(browser, live_server, emails[role], width)
            me = Person.objects.get(email=emails[role])
            for path in paths:
                path = path.replace("{profile}", f"/people/{me.pk}/")
                response = page.goto(path)
                assert response is not None and response.status == 200, (role, path)
                page.wait_for_load_state("networkidle")  # the parts htmx loads after the page
                page.evaluate(AXE)  # Playwright's evaluate is not bound by the page's Content-Security-Policy
                problems += [f"{role} {path} at {width} px: {v}" for v in page.evaluate(RUN_AXE)]
                if width == 390 and path in NO_SIDEWAYS_SCROLL.get(role, []):
                    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    if sideways > 0:
                        problems.append(f"{role} {path} at 390 px scrolls {sideways} px sideways")
            context.close()
    assert problems == []


def test_on_a_phone_one_menu_reaches_every_page_of_the_bar(browser, live_server, ada):
    from playwright.sync_api import expect

    from duecourse.testing.web import sign_in_page

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in_page(page, ada)
    expect(page.locator(".mainnav ul")).to_be_hidden()  # no room for the bar's links
    page.get_by_text("Menu", exact=True).click()
    menu = page.locator(".navmenu-panel")
    for label in ("Mandatory tasks", "People", "Catalog", "Assign", "Configurations", "Settings"):
        expect(menu.get_by_role("link", name=label, exact=True)).to_be_visible()
    menu.get_by_role("link", name="People", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/people/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()
