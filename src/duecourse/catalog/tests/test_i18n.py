"""The catalog speaks the signed-in person's language (their profile's locale), and its messages too."""

import pytest
from django.utils import translation

from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.core.errors import ValidationFailed
from duecourse.testing.factories import make_course
from duecourse.testing.web import text


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("it", ["<h1>Catalogo</h1>", ">Corsi<", ">Percorsi formativi<", ">Competenze<", "2 corsi", "Titolo o codice"]),
        ("de", ["<h1>Katalog</h1>", ">Kurse<", ">Lernpfade<", ">Kompetenzen<", "2 Kurse", "Titel oder Code"]),
    ],
)
def test_the_course_list_renders_in_the_persons_language(tenant, make_person, signed_in, locale, words):
    make_course(tenant, title="Fire safety")
    make_course(tenant, title="First aid")
    reader = make_person(tenant, locale=locale)
    page = text(signed_in(reader).get("/catalog/"))
    for word in words:
        assert word in page, (locale, word)
    assert "<h1>Catalog</h1>" not in page and ">Learning paths<" not in page


def test_the_paths_page_and_a_services_error_speak_italian(tenant, admin, make_person, signed_in):
    reader = make_person(tenant, locale="it")
    page = text(signed_in(reader).get("/catalog/paths/"))
    assert "Ancora nessun percorso formativo." in page and "0 percorsi formativi" in page
    with translation.override("it"), pytest.raises(ValidationFailed) as failed:
        course_create(actor=admin, data=CourseInput(code="", title="X", status="active"))
    assert [(e.field, e.message) for e in failed.value.errors] == [("code", "è obbligatorio")]
