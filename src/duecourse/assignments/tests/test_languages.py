"""The assignments pages, API messages and calendar feed speak the person's language (docs/languages.md):
the signed-in person's locale chooses the pages' language, an API error's message follows Accept-Language
(its field name stays English), and a calendar feed is written in its owner's language."""

import datetime as dt

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from duecourse.testing.factories import assign, make_course, target
from duecourse.testing.web import signed_in, text

pytestmark = pytest.mark.django_db

WIZARD = {
    "it": ("Assegna formazione", "Che cosa devono completare le persone, ed entro quando?", "Avanti: persone →"),
    "de": ("Schulung zuweisen", "Was sollen die Personen abschließen, und bis wann?", "Weiter: Personen →"),
}
DETAIL = {
    "it": ("Perché è assegnato", "Dati", "Priorità", '">Assegnato</span>', "Alta"),
    "de": ("Warum dies zugewiesen ist", "Angaben", "Priorität", '">Zugewiesen</span>', "Hoch"),
}


@pytest.mark.parametrize("language", ["it", "de"])
def test_the_bulk_wizard_speaks_the_persons_language(tenant, make_person, language):
    admin = make_person(tenant, roles=("admin",), email=f"admin-{language}@acme.test", locale=language)
    page = text(signed_in(admin).get(reverse("assignments:bulk")))
    heading, question, next_button = WIZARD[language]
    assert f"<h1>{heading}</h1>" in page
    assert question in page and next_button in page
    assert "What should people complete" not in page and "Next: people" not in page


def test_the_bulk_wizard_stays_english_by_default(admin):
    page = text(signed_in(admin).get(reverse("assignments:bulk")))
    assert "<h1>Assign training</h1>" in page and "What should people complete, and by when?" in page


@pytest.mark.parametrize("language", ["it", "de"])
def test_an_assignment_page_speaks_the_persons_language_with_its_status(admin, tenant, make_person, language):
    person = make_person(tenant, email=f"lena-{language}@acme.test", locale=language)
    course = make_course(tenant, title="Fire safety")
    item = assign(admin, person, course, due_date=str(dt.date.today() + dt.timedelta(days=20)), priority="high")
    page = text(signed_in(person).get(reverse("assignments:detail", args=[item.pk])))
    why, details, priority, status_badge, high = DETAIL[language]
    assert why in page and details in page and priority in page and high in page
    assert status_badge in page  # the status label of the model's choices, translated
    assert "Why this is assigned" not in page and '">Assigned</span>' not in page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("it", "indichi due_date o due_in_days, non entrambi"),
        ("de", "geben Sie due_date oder due_in_days an, nicht beides"),
    ],
)
def test_an_api_error_message_follows_accept_language_and_keeps_the_field_name(
    admin_api, learner, tenant, language, message
):
    body = {
        "person_id": learner.pk,
        "target": target(make_course(tenant)),
        "due_date": str(dt.date.today() + dt.timedelta(days=5)),
        "due_in_days": 5,
    }
    response = admin_api.post("assignments", body, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": "due_in_days", "message": message}]
    english = admin_api.post("assignments", body)
    assert english.json()["errors"] == [{"field": "due_in_days", "message": "give due_date or due_in_days, not both"}]


def test_the_calendar_feed_is_written_in_its_owners_language(admin, api_as, tenant, make_person):
    person = make_person(tenant, email="jonas@acme.test", locale="de-CH")
    assign(admin, person, make_course(tenant, title="Brandschutz"), due_date="2030-06-30", priority="high")
    url = api_as(person).get("me/calendar").json()["url"]
    response = Client().get(url.removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT_LANGUAGE="it")
    calendar = icalendar.Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Fällig: Brandschutz"
    assert "Priorität: Hoch" in str(event["description"]) and "Öffnen: http" in str(event["description"])
    assert str(calendar["x-wr-calname"]) == "Fällige Schulungen (duecourse)"
