"""Every main page of every role (duecourse.testing.pages), with the fragments htmx loads into it, and every
kind of email, rendered for a person whose locale is Italian or German shows no English left over: a text
that reads the same in English and contains a word that is neither in that language's catalogs (ours and
Django's), nor data (names, titles, places: anything stored in the database), nor one of the few words the
languages share."""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from duecourse.assignments.models import Assignment
from duecourse.core.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES
from duecourse.notifications.models import KINDS
from duecourse.notifications.rendering import items_for, render_email
from duecourse.notifications.services import notify_person
from duecourse.people.models import Person
from duecourse.shell.demo import LOGINS, demo_load
from duecourse.testing.pages import MAIN_PAGES

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TRANSLATED = [code for code in LANGUAGE_CODES if code != DEFAULT_LANGUAGE]
WORD = re.compile(r"[^\W\d_]{3,}")
# Words Italian or German write as English does (brands, loan words, formats, units).
SHARED_WORDS = {
    "duecourse", "email", "team", "manager", "online", "csv", "pdf", "api", "sso", "scim", "oidc", "url", "xapi",
    "lms", "smtp", "ics", "utc", "iso", "json", "html", "token", "tokens", "login", "logo", "status", "admin",
    "hr", "id", "ok", "qr", "http", "https", "openid", "connect", "microsoft", "google", "outlook", "okta",
    "entra", "english", "italiano", "deutsch", "min", "max",
}  # fmt: skip
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
LOADED_BY_HTMX = re.compile(r"\b(load|revealed|intersect)\b")


class _Texts(HTMLParser):
    """The texts a person reads (and hears) on a page, and the fragments htmx loads into it."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.fragments: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "code", "pre", "textarea") or values.get("translate") == "no":
            self._skip += 1
        for name in ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"])
        if values.get("hx-get") and LOADED_BY_HTMX.search(values.get("hx-trigger") or ""):
            self.fragments.append(values["hx-get"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def _page_texts(client: Client, path: str) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = _Texts()
    parser.feed(response.content.decode())
    texts = set(parser.texts)
    for fragment in parser.fragments:
        answer = client.get(fragment, HTTP_HX_REQUEST="true")
        if answer.status_code == 200 and answer["Content-Type"].startswith("text/html"):
            inner = _Texts()
            inner.feed(answer.content.decode())
            texts |= set(inner.texts)
    return texts


ADDRESSES = re.compile(r"\S+://\S+|\S+@\S+")  # links and email addresses are not words of a language


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(ADDRESSES.sub(" ", text))}


def _strings(value) -> list[str]:
    """The strings inside a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value.keys(), *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _data_words() -> set[str]:
    """Every word stored in the database: what people typed or imported is not ours to translate."""
    words: set[str] = set()
    for model in apps.get_models():
        kinds = (models.CharField, models.TextField, models.JSONField)
        # Not coded values (choices such as a status "overdue"): their labels are ours to translate.
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, kinds) and not f.choices]
        for row in model.objects.values_list(*fields) if fields else ():
            for value in row:
                for text in _strings(value):
                    words |= _words(text)
    return words


def _catalog_words(language: str) -> set[str]:
    words: set[str] = set()
    for _, translated in trans_real.translation(language)._catalog.items():
        words |= _words(translated)
    return words


@pytest.fixture
def demo(db):
    """The demo company, inside the test's transaction (rolled back after it, as every test's data is)."""
    demo_load()
    return {login.role: Person.objects.get(email=login.email) for login in LOGINS}, _data_words()


def test_main_pages_show_no_english_in_italian_or_german(demo):
    people, data_words = demo
    known = {language: _catalog_words(language) | data_words | SHARED_WORDS for language in TRANSLATED}
    leftovers: dict[str, set[str]] = {}
    for role, paths in MAIN_PAGES.items():
        person = people[role]
        client = Client()
        client.force_login(person.user)
        for path in paths:
            path = path.replace("{profile}", f"/people/{person.pk}/")
            Person.objects.filter(pk=person.pk).update(locale=DEFAULT_LANGUAGE)
            english = _page_texts(client, path)
            for language in TRANSLATED:
                Person.objects.filter(pk=person.pk).update(locale=language)
                for text in _page_texts(client, path) & english:
                    if _words(text) - known[language]:
                        leftovers.setdefault(f"{language} {role} {path}", set()).add(text)
    report = "\n".join(f"{page}: {sorted(texts)[:12]}" for page, texts in sorted(leftovers.items()))
    assert leftovers == {}, f"English left on Italian or German pages:\n{report}"


def test_every_email_kind_shows_no_english_in_italian_or_german(demo):
    people, data_words = demo
    learner = people["learner"]
    assignment = Assignment.objects.filter(person=learner).order_by("pk").first()
    notifications = [
        notify_person(
            tenant_id=learner.tenant_id,
            person_id=learner.pk if kind != "escalation" else people["manager"].pk,
            kind=kind,
            about_id=learner.pk,
            assignment_id=assignment.pk,
        )
        for kind, _ in KINDS
    ]
    emails = {kind: [n] for (kind, _), n in zip(KINDS, notifications, strict=True)} | {"digest": notifications}

    def texts(language: str, batch) -> set[str]:
        with translation.override(language):
            recipient = Person.objects.get(pk=batch[0].person_id)
            subject, text, html = render_email(tenant_id=learner.tenant_id, person=recipient, items=items_for(batch))
        parser = _Texts()
        parser.feed(html)
        return {subject, *(" ".join(line.split()) for line in text.splitlines() if line.strip()), *parser.texts}

    leftovers: dict[str, set[str]] = {}
    for kind, batch in emails.items():
        english = texts(DEFAULT_LANGUAGE, batch)
        for language in TRANSLATED:
            known = _catalog_words(language) | data_words | SHARED_WORDS
            for text in texts(language, batch) & english:
                if _words(text) - known:
                    leftovers.setdefault(f"{language} {kind}", set()).add(text)
    assert leftovers == {}, f"English left in Italian or German emails: {leftovers}"
