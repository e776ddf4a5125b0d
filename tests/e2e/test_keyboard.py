"""Keyboard only, in a real browser on the demo company: signing in, opening My learning and an assignment,
and the whole assign wizard work with Tab, Space and Enter alone, and every control reached shows where the
focus is."""

import pytest

from duecourse.assignments.models import Assignment
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.people.models import Person
from duecourse.shell.demo import LOGINS, PASSWORD, demo_load

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EMAILS = {login.role: login.email for login in LOGINS}
FOCUSED_MATCHES = "(selector) => document.activeElement !== null && document.activeElement.matches(selector)"
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== 'none' && style.outlineWidth !== '0px' || style.boxShadow !== 'none';
}"""


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focus is on `selector` (fails when it never gets there), and check the focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_MATCHES, selector):
            assert page.evaluate(FOCUS_SHOWN), f"the focus on {selector} is invisible"
            return
    raise AssertionError(f"Tab never reaches {selector}")


def sign_in_by_keyboard(page, email: str) -> None:
    page.goto("/login/")
    tab_to(page, "input[name=email]")
    page.keyboard.type(email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def keyboard_page(browser, live_server):
    demo_load()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_learner_signs_in_and_opens_an_assignment_by_keyboard(keyboard_page):
    page = keyboard_page
    sign_in_by_keyboard(page, EMAILS["learner"])
    tab_to(page, "nav a[href='/learning/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/learning/")
    tab_to(page, "#todo-list .learning-item a")
    target = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{target}")
    assert page.locator("h1").count() == 1


def test_an_admin_assigns_with_the_wizard_by_keyboard(keyboard_page):
    page = keyboard_page
    admin = Person.objects.get(email=EMAILS["admin"])
    course = course_create(
        actor=admin, data=CourseInput(code="KB-1", title="Keyboard course", estimated_minutes=10, status="active")
    )
    sign_in_by_keyboard(page, EMAILS["admin"])
    tab_to(page, "nav a[href='/assign/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/assign/")
    tab_to(page, f"input[name=targets][value='course:{course.pk}']")
    page.keyboard.press("Space")
    tab_to(page, "button[value=next]")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Who should be assigned?").wait_for()
    tab_to(page, "input[name=group_ids]")
    page.keyboard.press("Space")
    tab_to(page, "button[value=next]")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Who should be reminded, and when?").wait_for()
    tab_to(page, "button[value=preview]")
    page.keyboard.press("Enter")
    page.locator("#count-create").wait_for()
    before = Assignment.objects.count()
    tab_to(page, "button[value=confirm]")
    page.keyboard.press("Enter")
    page.locator("#result-created").wait_for()
    created = int(page.locator("#result-created").inner_text())
    assert created > 0
    assert Assignment.objects.count() == before + created
    assert Assignment.objects.filter(target_id=course.pk).count() == created
