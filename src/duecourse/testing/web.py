"""Signing in through the real login form (Django test client and Playwright page), and reading pages."""

import re

from django.http import HttpResponse
from django.test import Client

from duecourse.people.models import Person
from duecourse.people.services import person_set_password

PASSWORD = "correct-horse"


def signed_in(person: Person) -> Client:
    """A test client signed in as `person` by posting the login form (the password is set first)."""
    person_set_password(person=person, password=PASSWORD)
    client = Client()
    response = client.post("/login/", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def sign_in_page(page, person: Person) -> None:
    """Sign a Playwright page in as `person` by filling the login form (the password is set first)."""
    person_set_password(person=person, password=PASSWORD)
    page.goto("/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def text(response: HttpResponse) -> str:
    return response.content.decode()


def field_error(html: str, field: str) -> str:
    """The error text shown in the same form field block as the input named `field` ("" when none)."""
    match = re.search(
        rf'<div class="field has-error[^"]*">\s*<label for="id_{field}">.*?<p class="field-error"[^>]*>(.*?)</p>',
        html,
        re.S,
    )
    return match.group(1) if match else ""


def nav_labels(html: str) -> list[str]:
    """The link texts of the page's main navigation, in order: the bar and its More menu (the phone's one
    menu repeats them: `phone_menu_labels`)."""
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert nav is not None, "the page has no main navigation"
    bar = re.sub(r'<details class="navmenu">.*?</details>', "", nav.group(0), flags=re.S)
    return re.findall(r"<a [^>]*>([^<]+)</a>", bar)


def phone_menu_labels(html: str) -> list[str]:
    """The link texts of the one menu that replaces the navigation bar on a phone."""
    menu = re.search(r'<details class="navmenu">.*?</details>', html, re.S)
    assert menu is not None, "the page has no phone menu"
    return re.findall(r"<a [^>]*>([^<]+)</a>", menu.group(0))


def click_nav(page, name: str) -> None:
    """Follow the main navigation's entry `name` in a Playwright page, opening "More" first when it is there."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        nav.locator("summary", has_text="More").click()
    link.click()
