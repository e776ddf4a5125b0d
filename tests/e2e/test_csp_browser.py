"""In a real browser, under the Content-Security-Policy: the main pages, the Django admin and the API
docs load without one violation, and the behaviour that moved from inline handlers to app.js
(data-remove, data-remove-after-request, data-enter-stays, data-filter-checklist, data-autosubmit)
still works."""

import re

import pytest
from django.contrib.auth import get_user_model

from duecourse.assignments.models import Assignment
from duecourse.people.services import person_set_password
from duecourse.testing.factories import assign, make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "e2e-secret"


@pytest.fixture
def violations(page):
    """Console messages about the policy (Chromium names it in every refusal), htmx's own errors (an hx-
    attribute it cannot parse, e.g. a trigger it would need eval for) and uncaught script errors."""
    seen: list[str] = []

    def note(message) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("htmx:"):
            seen.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: seen.append(f"uncaught: {error}"))
    return seen


@pytest.fixture
def company(tenant, make_person):
    admin = make_person(tenant, roles=("admin",), name="Ada Lovelace", email="ada@acme.test")
    person_set_password(person=admin, password=PASSWORD)
    manager = make_person(tenant, name="Mia Manager")
    for name in ("Leo Fischer", "Leona Hughes", "Olivia Smith"):
        make_person(tenant, name=name, manager=manager)
    courses = [make_course(tenant, title=title) for title in ("Fire safety", "Forklift refresher", "Code of conduct")]
    own = assign(admin, admin, courses[0])
    Assignment.objects.filter(pk=own.pk).update(progress=40)
    return {"admin": admin, "manager": manager, "assignment": own}


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_main_pages_run_under_the_policy(page, company, violations):
    from playwright.sync_api import expect

    sign_in(page, "ada@acme.test")
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    expect(page.locator("#home-learning")).to_contain_text("Fire safety")  # an htmx load

    page.goto(f"/learning/{company['assignment'].pk}/")
    expect(page.locator("progress.progress").first).to_have_attribute("value", "40")

    page.goto("/people/")
    page.get_by_label("Search people").fill("leo")
    expect(page.locator("#people-table tbody tr")).to_have_count(2)

    # A dynamic group: the remove button drops its row and tells the preview (rule-changed).
    page.goto("/groups/new/?kind=dynamic")
    page.locator(".rule-row").nth(0).get_by_label("Value").fill("nobody-has-this-title")
    page.get_by_role("button", name="+ Add condition").click()
    expect(page.locator(".rule-row")).to_have_count(2)
    page.locator(".rule-row").nth(1).get_by_role("button", name="Remove this condition").click()
    expect(page.locator(".rule-row")).to_have_count(1)

    # A static group: Enter in the picker does not submit; Add moves a person into the picked chips
    # (their result row goes), and a chip's remove button takes them out again.
    page.goto("/groups/new/")
    picker = page.locator("#picker-q")
    picker.fill("leo")
    picker.press("Enter")
    expect(page).to_have_url(re.compile(r"/groups/new/$"))
    expect(page.locator("#picker-results li")).to_have_count(2)
    page.get_by_role("button", name="Add Leo Fischer").click()
    expect(page.locator("#picked li")).to_have_count(1)
    expect(page.locator("#picker-results li")).to_have_count(1)
    page.get_by_role("button", name="Remove Leo Fischer").click()
    expect(page.locator("#picked li")).to_have_count(0)

    # The bulk wizard's catalog filter hides what does not match; Enter there stays on the step.
    page.goto("/assign/")
    catalog_filter = page.get_by_label("Filter the catalog")
    catalog_filter.fill("fork")
    catalog_filter.press("Enter")
    expect(page.get_by_label(re.compile("Forklift refresher"))).to_be_visible()
    expect(page.get_by_label(re.compile("Fire safety"))).to_be_hidden()
    expect(page.get_by_role("heading", name="What should people complete, and by when?")).to_be_visible()

    # The team page's manager select submits its form when it changes.
    page.goto("/team/")
    page.locator("#team-manager").select_option(str(company["manager"].pk))
    expect(page).to_have_url(re.compile(rf"manager={company['manager'].pk}"))
    expect(page.locator("body")).to_contain_text("Leona Hughes")

    paths = ("/catalog/", "/groups/", "/audit/", "/settings/", "/notifications/", "/notifications/settings/")
    for path in (
        *paths,
        "/reports/compliance/",
        "/reports/compliance/?by=course",
        "/team/managers/",
        "/settings/outbox/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]

    assert violations == []


def test_the_django_admin_and_the_api_docs_run_under_the_policy(page, company, violations):
    from playwright.sync_api import expect

    # An operator signs in to the admin with a person's email (the only login backend) and a staff user.
    admin_user_id = type(company["admin"]).objects.get(pk=company["admin"].pk).user_id
    get_user_model().objects.filter(pk=admin_user_id).update(is_staff=True, is_superuser=True)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("ada@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/people/person/")
    expect(page.get_by_role("link", name=re.compile("Ada Lovelace"))).to_be_visible()
    page.goto(f"/admin/people/person/{company['admin'].pk}/change/")
    expect(page.locator("#content-main")).to_contain_text("ada@acme.test")  # a read-only view

    page.goto("/api/v1/docs")
    # Swagger UI renders the whole OpenAPI document in the page's script: give it time on a busy machine.
    expect(page.locator(".swagger-ui .title").first).to_contain_text("duecourse API", timeout=30_000)
    expect(page.get_by_text("/api/v1/me", exact=True)).to_be_visible()

    assert violations == []
