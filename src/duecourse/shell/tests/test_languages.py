"""The pages speak the language the person chooses: before sign-in the browser's Accept-Language, after it
the person's own locale (one duecourse speaks), else the browser's again; English by default."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from duecourse.groups.domain import archived_notice
from duecourse.groups.dynamic_rules import describe_rule
from duecourse.testing.web import signed_in, text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_afterwards():
    """The test client's requests leave their language active in this thread: the next tests expect English."""
    yield
    translation.deactivate()


def _as(person, locale: str):
    person.locale = locale
    person.save(update_fields=["locale"])
    return signed_in(person)


@pytest.mark.parametrize(
    ("accept", "language", "heading", "forgot"),
    [
        ("it", "it", "<h1>Accedi</h1>", "Password dimenticata?"),
        ("de-DE,de;q=0.9,en;q=0.5", "de", "<h1>Anmelden</h1>", "Passwort vergessen?"),
        ("", "en", "<h1>Sign in</h1>", "Forgot password?"),
    ],
)
def test_the_login_page_follows_the_browsers_language(accept, language, heading, forgot):
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE=accept)
    page = text(response)
    assert response.status_code == 200
    assert heading in page and forgot in page
    assert f'<html lang="{language}">' in page
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_a_failed_sign_in_is_told_in_the_browsers_language(admin):
    response = Client().post("/login/", {"email": admin.email, "password": "wrong-password"}, HTTP_ACCEPT_LANGUAGE="de")
    assert "E-Mail-Adresse und Passwort passen zu keinem aktiven Konto" in text(response)


def test_a_person_whose_locale_is_italian_sees_the_navigation_and_home_in_italian(admin):
    client = _as(admin, "it")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")  # the person's locale wins over the browser's
    page = text(response)
    assert response["Content-Language"] == "it"
    assert f"Benvenuto/a, {admin.name}" in page
    # The bar, "More" and the phone's Menu.
    assert ">La mia formazione</a>" in page and ">Attività obbligatorie</a>" in page
    assert "<summary>Altro</summary>" in page and ">Gruppi</a>" in page and ">Impostazioni</a>" in page
    assert "<summary>Menu</summary>" in page
    assert ">Esci</button>" in page and ">Impostazioni delle notifiche</a>" in page
    assert "My learning" not in page and "Sign out" not in page


def test_a_person_whose_locale_is_british_english_sees_english_whatever_the_browser_says(admin):
    client = _as(admin, "en-GB")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="it")
    page = text(response)
    assert response["Content-Language"] == "en"
    assert f"Welcome, {admin.name}" in page and ">My learning</a>" in page and "<summary>More</summary>" in page


@pytest.mark.parametrize(
    ("accept", "language", "welcome"),
    [("de", "de", "Willkommen"), ("it-IT,it;q=0.9", "it", "Benvenuto/a"), ("", "en", "Welcome")],
)
def test_a_locale_duecourse_does_not_speak_leaves_the_choice_to_the_browser(admin, accept, language, welcome):
    client = _as(admin, "fr")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == language
    assert f"{welcome}, {admin.name}" in text(response)


def test_the_not_found_page_speaks_the_persons_language(admin):
    response = _as(admin, "de-CH").get("/no-such-page/")
    assert response.status_code == 404
    assert "Diese Seite wurde nicht gefunden" in text(response) and "Zurück zur Startseite" in text(response)


def test_the_groups_page_renders_in_german(admin, tenant):
    response = _as(admin, "de").get("/groups/?kind=dynamic")
    page = text(response)
    assert response.status_code == 200 and response["Content-Language"] == "de"
    assert "<h1>Gruppen</h1>" in page
    assert "Neue dynamische Gruppe" in page and "Archivierte anzeigen" in page
    assert ">Abteilungen</a>" in page and "Keine Gruppe passt." in page


def test_a_group_api_error_follows_accept_language_and_keeps_its_field(admin_api):
    response = admin_api.post("groups", {"kind": "static", "name": " "}, HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "name", "message": "è obbligatorio"}]


def test_a_rule_and_an_archived_group_are_described_in_the_active_language():
    rule = {"all": [{"field": "department", "op": "in", "value": ["Logistik", "Vertrieb"]}]}
    with translation.override("de"):
        assert describe_rule(rule) == "Abteilung ist einer von Logistik, Vertrieb"
    with translation.override("en"):
        assert describe_rule(rule) == "department is one of Logistik, Vertrieb"

    class Archived:
        archived_at = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
        archived_reason = ""
        external_id = None

    with translation.override("it"):
        assert archived_notice(Archived()) == "Archiviato il 7 Dic 2026: non più in uso"
    with translation.override("en"):
        assert archived_notice(Archived()) == "Archived on 7 Dec 2026: no longer in use"


def test_the_mandatory_tasks_page_renders_in_german(admin):
    response = _as(admin, "de").get("/tasks/")
    page = text(response)
    assert response.status_code == 200 and response["Content-Language"] == "de"
    assert "<h1>Pflichtaufgaben</h1>" in page
    assert "Nach Person suchen" in page and ">Ansichten</summary>" in page and "Offen, früheste Fälligkeit" in page
    assert "Fälligkeitsdatum, früheste zuerst" in page  # the sort's choices
