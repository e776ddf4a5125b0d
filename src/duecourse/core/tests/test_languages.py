"""The kernel's messages in the request's language: not found, forbidden, pydantic's validation messages,
capped counts. Field names and codes never change with the language; nothing lazy leaves an error."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy, pgettext_lazy
from pydantic import ValidationError

from duecourse.core.api import ListParams, validation_message
from duecourse.core.errors import FieldError, ValidationFailed, forbidden, not_found
from duecourse.core.paging import CappedPaginator

# Other names for the markers, so that makemessages does not take this file's words into core's catalog.
lazy, lazy_in_context = gettext_lazy, pgettext_lazy


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request leaves its language active in this thread; the next test starts in English again."""
    with translation.override("en"):
        yield


def test_not_found_and_forbidden_speak_the_active_language():
    assert not_found("Gizmo").detail == "Gizmo not found"
    assert forbidden("fly").detail == "You are not allowed to fly"
    with translation.override("de"):
        assert not_found("Gizmo").detail == "Gizmo nicht gefunden"
        assert forbidden("fly").detail == "Sie sind nicht berechtigt, fly"
    with translation.override("it"):
        assert not_found("Gizmo").detail == "Gizmo inesistente"
        assert forbidden("fly").detail == "Non ha l'autorizzazione per fly"


def test_marked_words_are_translated_where_the_error_is_said():
    # Marked lazily at import (in English), said in the language of the moment: the certificates catalog has these.
    what = lazy_in_context("not found", "Certificate")
    action = lazy_in_context("forbidden action", "revoke certificates")
    with translation.override("de"):
        assert not_found(what).detail == "Zertifikat nicht gefunden"
        assert forbidden(action).detail == "Sie sind nicht berechtigt, Zertifikate zu widerrufen"
    with translation.override("it"):
        assert forbidden(action).detail == "Non ha l'autorizzazione per revocare i certificati"
        # A plain English one is found in the catalogs too.
        assert forbidden("revoke certificates").detail == "Non ha l'autorizzazione per revocare i certificati"


def test_errors_hold_text_never_a_lazy_translation():
    error = ValidationFailed.on("due_date", lazy("Field required"))
    with translation.override("de"):
        error = ValidationFailed.on("due_date", lazy("Field required"))
        field_error = FieldError(lazy("name"), lazy("Field required"))
    assert type(error.detail) is str and type(error.errors[0].message) is str
    assert error.as_dict() == {
        "detail": "due_date: Feld erforderlich",
        "errors": [{"field": "due_date", "message": "Feld erforderlich"}],
    }
    assert type(field_error.field) is str and type(field_error.message) is str


def _errors(**params) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        ListParams(**params)
    return caught.value.errors()


@pytest.mark.parametrize(
    ("params", "german"),
    [
        ({"limit": 0}, "Der Wert muss größer oder gleich 1 sein"),
        ({"limit": 9999}, "Der Wert muss kleiner oder gleich 500 sein"),
        (
            {"limit": "many"},
            "Der Wert muss eine gültige ganze Zahl sein; der Text lässt sich nicht als ganze Zahl lesen",
        ),
        ({"format": "xml"}, "Der Text muss dem Muster '^(json|csv)$' entsprechen"),
    ],
)
def test_pydantic_messages_in_the_language_asked_and_unchanged_in_english(params, german):
    (error,) = _errors(**params)
    assert validation_message(error) == error["msg"]  # English: pydantic's own words
    with translation.override("de"):
        assert validation_message(error) == german
    assert error["loc"] == (next(iter(params)),)  # the field is the field, in any language


def test_a_kind_without_a_translation_keeps_pydantics_words():
    error = {"type": "uuid_parsing", "loc": ("id",), "msg": "Input should be a valid UUID"}
    with translation.override("it"):
        assert validation_message(error) == "Input should be a valid UUID"


def test_capped_counts_use_the_languages_separator(monkeypatch):
    paginator = CappedPaginator([], 50, cap=10_000)
    monkeypatch.setattr(CappedPaginator, "_counted", 10_001)
    assert paginator.count_text == "10,000+"
    with translation.override("de"):
        assert paginator.count_text == "10.000+"
