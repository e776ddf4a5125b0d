"""An admin invites a person from their page, or everyone matching a filter of the people list; a learner
follows the emailed link, sets a password, lands on My learning, signs out and signs in again with it."""

import re

import pytest

from duecourse.testing.scheduling import worker_once
from duecourse.testing.smtp import smtp_server, smtp_settings  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("smtp_settings"),
]
PASSWORD = "lantern-orchard-77"


def test_invite_accept_and_sign_in_again(
    page,
    browser,
    live_server,
    settings,
    smtp_server,  # noqa: F811 - the imported fixture
    ada,
    sign_in,
    make_person,
    tenant,
):
    settings.BASE_URL = live_server.url
    learner = make_person(tenant, name="Lena Learner", email="lena@acme.test")
    sign_in(ada)
    page.goto(f"/people/{learner.pk}/")
    assert page.locator("#invitation").inner_text().strip() == "Not invited"
    page.get_by_role("button", name="Invite", exact=True).click()
    page.wait_for_selector("text=Invitation sent to lena@acme.test")
    assert page.locator("#invitation").inner_text().strip() == "Invited"
    assert page.get_by_role("button", name="Resend invitation").is_visible()

    from django.utils import timezone

    worker_once(timezone.now())
    [message] = [m for m in smtp_server.handler.received if m["To"] == learner.email]
    link = re.search(r"https?://\S+?/invitation/[^/\s]+/", message.get_body(("plain",)).get_content()).group(0)

    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(link)
    assert visitor.get_by_role("heading", name="Welcome, Lena Learner").is_visible()
    assert tenant.name in visitor.content()
    visitor.locator("#id_password").fill(PASSWORD)
    visitor.locator("#id_password_again").fill(PASSWORD)
    visitor.get_by_role("button", name="Set password and sign in").click()
    visitor.wait_for_url(re.compile(r"/learning/$"))
    assert visitor.get_by_role("heading", name="My learning").is_visible()
    visitor.locator("details.usermenu summary").click()
    visitor.get_by_role("button", name="Sign out").click()
    visitor.wait_for_url(re.compile(r"/login/"))

    visitor.get_by_label("Email").fill(learner.email)
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Sign in").click()
    visitor.wait_for_url(re.compile(r"/$"))
    assert "Lena" in visitor.content()

    visitor.goto(link)  # the link was single-use
    assert "already used" in visitor.content()
    page.goto(f"/people/{learner.pk}/")
    assert page.locator("#invitation").inner_text().strip() == "Accepted"


def test_invite_everyone_matching_a_filter_then_one_accepts_and_signs_in(
    page,
    browser,
    live_server,
    settings,
    smtp_server,  # noqa: F811 - the imported fixture
    ada,
    sign_in,
    make_person,
    tenant,
):
    settings.BASE_URL = live_server.url
    crew = [make_person(tenant, name=f"Crew Member {i}", email=f"crew{i}@acme.test") for i in range(3)]
    office = make_person(tenant, name="Office Olga", email="olga@acme.test")
    sign_in(ada)
    page.goto("/people/")
    page.get_by_label("Search people").fill("crew")
    page.wait_for_selector("#invite-matching[href*='q=crew']")
    assert page.locator("#result-count").inner_text() == "3 people"
    page.get_by_role("link", name="Invite everyone matching…").click()
    assert page.get_by_role("heading", name="Invite 3 people?").is_visible()
    page.get_by_role("button", name="Invite 3 people").click()
    page.wait_for_selector("text=Invited 3 people.")
    assert "/people/?q=crew" in page.url  # back on the filtered list
    assert page.locator("#people-table").get_by_text("Invitation invited").count() == 3

    from django.utils import timezone

    worker_once(timezone.now())
    received = {m["To"]: m for m in smtp_server.handler.received}
    assert {p.email for p in crew} <= set(received) and office.email not in received
    body = received[crew[1].email].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+?/invitation/[^/\s]+/", body).group(0)

    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(link)
    visitor.locator("#id_password").fill(PASSWORD)
    visitor.locator("#id_password_again").fill(PASSWORD)
    visitor.get_by_role("button", name="Set password and sign in").click()
    visitor.wait_for_url(re.compile(r"/learning/$"))
    visitor.locator("details.usermenu summary").click()
    visitor.get_by_role("button", name="Sign out").click()
    visitor.wait_for_url(re.compile(r"/login/"))
    visitor.get_by_label("Email").fill(crew[1].email)
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Sign in").click()
    visitor.wait_for_url(re.compile(r"/$"))
    assert "Crew Member 1" in visitor.content()
