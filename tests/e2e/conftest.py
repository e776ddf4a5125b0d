"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against pytest-django's live server."""

import os
import urllib.request
from pathlib import Path

import pytest

from duecourse.core.actors import SystemActor
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create
from duecourse.testing.web import sign_in_page

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are still
# synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("DUECOURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


_warmed_up: set[str] = set()


@pytest.fixture(autouse=True)
def _live_server_warmed_up(request):
    """The live server's first answer in a process builds the URL conf, the API and the templates: seconds
    on a busy machine, longer than a browser test waits. One plain request takes that time first."""
    if "live_server" not in request.fixturenames:
        return
    live_server = request.getfixturevalue("live_server")
    if live_server.url not in _warmed_up:
        with urllib.request.urlopen(f"{live_server.url}/login/", timeout=120) as answer:  # noqa: S310 - http://localhost
            answer.read()
        _warmed_up.add(live_server.url)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 860})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, "people.png") saves into $DUECOURSE_SCREENSHOTS (e.g. docs/screenshots) when it is set."""
    directory = os.environ.get("DUECOURSE_SCREENSHOTS")

    def take(page, name: str) -> None:
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(directory) / name), full_page=False)

    return take


@pytest.fixture
def sign_in(page):
    """sign_in(person) signs the page in through the login form (it sets the person's password first)."""
    return lambda person: sign_in_page(page, person)


@pytest.fixture
def ada(tenant):
    """Ada Lovelace, the admin who signs in first in every browser test, made through the service."""
    return person_create(
        actor=SystemActor(tenant_id=tenant.pk),
        tenant_id=tenant.pk,
        data=PersonInput(
            email="ada@acme.test",
            name="Ada Lovelace",
            roles=["admin"],
            job_title="L&D lead",
            department="People",
            site="Leeds",
            region="EMEA",
        ),
    )
