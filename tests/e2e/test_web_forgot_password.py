"""In a real browser, under the Content-Security-Policy: "Forgot password?" on the sign-in page, the
emailed link (read from the outbox), a new password typed twice, and the person is signed in; the old
password no longer works."""

import re

import pytest

from duecourse.notifications.models import OutboxMessage
from duecourse.people.services import person_set_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD, NEW = "violet-harbour-42", "amber-lighthouse-77"


def test_forgot_password_link_new_password_signed_in(page, tenant, make_person):
    from playwright.sync_api import expect

    ada = make_person(tenant, name="Ada Lovelace", email="ada@acme.test")
    person_set_password(person=ada, password=OLD)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))

    page.goto("/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account exists for that address")

    body = OutboxMessage.objects.get(person=ada).body_text
    path = re.search(r"https?://[^/\s]+(/password/reset/\S+)", body).group(1)
    page.goto(path)
    page.locator("#id_new_password").fill("adalovelace")
    page.get_by_label("New password again").fill("adalovelace")
    page.get_by_role("button", name="Set the password and sign in").click()
    expect(page.locator(".field-error").first).to_contain_text("too similar to the name")

    page.locator("#id_new_password").fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Set the password and sign in").click()
    expect(page.locator("body")).to_contain_text("Your password is changed, and you are signed in.")
    expect(page.locator(".usermenu-name")).to_have_text("Ada Lovelace")

    page.goto(path)  # the link worked once
    expect(page.get_by_role("alert")).to_contain_text("expired or was already used")
    assert violations == []
