"""Certificates speak the holder's language (the PDF, the note telling them), the pages the reader's, and
the API the caller's (`Accept-Language`) while its field names stay English."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.utils import translation

from duecourse.certificates.models import Certificate
from duecourse.certificates.pdf import render_certificate
from duecourse.certificates.tests.conftest import START, complete, item, live, make_config
from duecourse.notifications.models import Notification
from duecourse.testing.pdfs import pdf_text
from duecourse.testing.web import text

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request leaves its language active in this thread; the next test starts in English again."""
    with translation.override("en"):
        yield


NOW = START + 10 * DAY

ENGLISH = ("Certificate of completion", "This certifies that", "Valid until", "3 March 2027", "Check that it is valid:")
ITALIAN = (
    "Certificato di completamento",
    "Si certifica che",
    "Valido fino al",
    "3 Marzo 2027",
    "Verifichi che sia valido:",
)
GERMAN = (
    "Abschlusszertifikat",
    "Hiermit wird bestätigt, dass",
    "Gültig bis",
    "3 März 2027",
    "Prüfen Sie, ob es gültig ist:",
)


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def holders(admin, tenant, make_person, courses):
    """One holder per locale, each with a certificate valid until 3 March 2027."""
    people = {
        locale: make_person(tenant, name=f"Holder {locale}", email=f"{locale.lower()}@acme.test", locale=locale)
        for locale in ("it", "de", "en-GB", "xx")
    }
    theory = courses[0]
    rule = make_config(admin, list(people.values()), [item(theory, validity_months=12)], name="Forklift licence")
    for person in people.values():
        complete(admin, person, theory, START + DAY)
    return {locale: live(person, rule) for locale, person in people.items()}


def _pdf(cert: Certificate) -> str:
    cert = Certificate.objects.select_related("person", "tenant").get(pk=cert.pk)
    return pdf_text(render_certificate(cert, logo=None, now=NOW))


@pytest.mark.parametrize(
    ("locale", "expected", "absent"),
    [("it", ITALIAN, ENGLISH), ("de", GERMAN, ENGLISH), ("en-GB", ENGLISH, GERMAN), ("xx", ENGLISH, ITALIAN)],
)
def test_the_pdf_is_in_the_holders_language_whoever_asks(holders, locale, expected, absent):
    cert = holders[locale]
    with translation.override("de" if locale != "de" else "it"):  # the asker's language does not count
        content = _pdf(cert)
        assert translation.get_language() in ("de", "it")  # and it is left as it was
    for words in expected:
        assert words in content, (words, content)
    for words in absent:
        assert words not in content, (words, content)
    assert "Forklift licence" in content and "Forklift theory" in content  # names and titles as they are


def test_an_invalid_certificates_pdf_says_why_in_the_holders_language(holders, admin, signed_in):
    cert = holders["it"]
    signed_in(admin).post(f"/certificates/{cert.pk}/revoke/", {"reason": "Errore"})
    content = _pdf(cert)
    assert "Non più valido" in content and "dal 12 Marzo 2026: Revocato da un amministratore" in content


def test_the_holder_is_told_in_their_language(holders):
    notes = {
        n.person.locale: n.data["note"]
        for n in Notification.objects.filter(kind="certificate_issued").select_related("person")
    }
    assert notes["it"].startswith("Certificato CERT-") and "valido fino al 3 Mar 2027" in notes["it"]
    assert notes["de"].startswith("Zertifikat CERT-") and "gültig bis 3 Mär 2027" in notes["de"]
    assert notes["en-GB"].startswith("Certificate CERT-") and "valid until 3 Mar 2027" in notes["en-GB"]


@pytest.mark.parametrize(
    ("language", "heading", "state", "until"),
    [
        ("it", "Verifica del certificato", "Questo certificato è valido fino al 3 Marzo 2027.", "Titolare"),
        ("de", "Zertifikatsprüfung", "Dieses Zertifikat ist gültig bis 3 März 2027.", "Inhaber(in)"),
        ("en", "Certificate check", "This certificate is valid until 3 March 2027.", "Holder"),
    ],
)
def test_the_verify_page_follows_the_browsers_language(holders, client, language, heading, state, until):
    html = text(client.get(f"/verify/{holders['de'].code}", HTTP_ACCEPT_LANGUAGE=language))
    assert f"<h1>{heading}</h1>" in html and state in html and f"<dt>{until}</dt>" in html


def test_an_unknown_code_is_told_in_the_browsers_language(client):
    response = client.get("/verify/nothing-here", HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 404 and "Certificato sconosciuto" in text(response)


def test_the_certificates_page_is_in_the_signed_in_persons_language(holders, admin, signed_in):
    admin.locale = "it"
    admin.save(update_fields=["locale"])
    html = text(signed_in(admin).get("/certificates/"))
    assert "<h1>Certificati</h1>" in html and "Esporta CSV" in html and "Valido fino al" in html
    admin.locale = "de-CH"
    admin.save(update_fields=["locale"])
    html = text(signed_in(admin).get("/certificates/"))
    assert "<h1>Zertifikate</h1>" in html and "CSV exportieren" in html and "4 Zertifikate" in html


@pytest.mark.usefixtures("api_without_static_files")
class TestApiMessages:
    def test_a_bad_field_is_named_in_english_and_explained_in_the_callers_language(self, holders, admin_api):
        url = f"certificates/{holders['it'].pk}/revoke"
        german = admin_api.post(url, {"reason": "   "}, HTTP_ACCEPT_LANGUAGE="de")
        assert german.status_code == 422
        assert german.json()["errors"] == [
            {"field": "reason", "message": "ist erforderlich: Geben Sie den Grund an (höchstens 2000 Zeichen)"}
        ]
        english = admin_api.post(url, {"reason": "   "})
        assert english.json()["errors"] == [
            {"field": "reason", "message": "is required: say why (at most 2000 characters)"}
        ]
        assert english.json()["detail"] == "reason: is required: say why (at most 2000 characters)"

    def test_not_found_and_forbidden_follow_the_callers_language(self, holders, api_as, admin_api):
        missing = admin_api.get("certificates/987654", HTTP_ACCEPT_LANGUAGE="it")
        assert (missing.status_code, missing.json()["detail"]) == (404, "Certificato inesistente")
        assert admin_api.get("certificates/987654").json()["detail"] == "Certificate not found"
        holder = api_as(holders["de"].person)
        refused = holder.post(f"certificates/{holders['de'].pk}/revoke", {"reason": "x"}, HTTP_ACCEPT_LANGUAGE="de")
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Sie sind nicht berechtigt, Zertifikate zu widerrufen"
        english = holder.post(f"certificates/{holders['de'].pk}/revoke", {"reason": "x"})
        assert english.json()["detail"] == "You are not allowed to revoke certificates"
