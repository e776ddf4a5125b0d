"""Frappe's error bodies carry messages for people in the caller's language (Accept-Language); the body's
keys, `exc_type`, the argument a message names and the values scripts compare stay as Frappe has them."""

import json

import pytest
from django.utils import translation

from duecourse.compat.tests.conftest import ASSIGN, MINE, FrappeClient
from duecourse.testing.factories import assign, make_course


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request leaves its language active in this thread; the next test starts in English again."""
    with translation.override("en"):
        yield


def _messages(response) -> list[dict]:
    return [json.loads(m) for m in json.loads(response.json()["_server_messages"])]


def test_a_bad_argument_is_explained_in_german_and_still_named_as_called(frappe_as, admin, tenant):
    make_course(tenant, code="FIRE-101", title="Fire safety")
    caller = frappe_as(admin)
    caller.headers["Accept-Language"] = "de"
    response = caller.post_json(ASSIGN, {"course": "FIRE-101", "employees": "[]", "due_date": "soon"})
    assert response.status_code == 417 and response.json()["exc_type"] == "ValidationError"
    assert [m["message"] for m in _messages(response)] == [
        "employees: ist leer: Geben Sie mindestens eine E-Mail-Adresse an",
        "due_date: 'soon' ist kein gültiges Datum: Geben Sie JJJJ-MM-TT (YYYY-MM-DD) an",
    ]
    caller.headers.pop("Accept-Language")
    english = caller.post_json(ASSIGN, {"course": "FIRE-101", "employees": "[]", "due_date": "soon"})
    assert [m["message"] for m in _messages(english)] == [
        "employees: is empty: give at least one email address",
        "due_date: 'soon' is not a valid date: give YYYY-MM-DD",
    ]


def test_refusals_are_titled_and_told_in_italian(frappe_as, learner):
    anonymous = FrappeClient(None, auth=None)
    anonymous.headers["Accept-Language"] = "it"
    response = anonymous.post_json(ASSIGN, {})
    (message,) = _messages(response)
    assert response.status_code == 403 and response.json()["exc_type"] == "PermissionError"
    assert message == {
        "message": "Non consentito: acceda con un token API",
        "title": "Non consentito",
        "indicator": "red",
        "raise_exception": 1,
    }
    caller = frappe_as(learner)
    caller.headers["Accept-Language"] = "it"
    refused = caller.post_json(ASSIGN, {"course": "X", "employees": '["a@acme.test"]'})
    assert _messages(refused)[0]["message"] == "Non ha l'autorizzazione per assegnare formazione"


def test_the_status_a_script_compares_stays_english(frappe_as, admin, learner, tenant):
    assign(admin, learner, make_course(tenant, code="LAD-1", title="Ladders"))
    caller = frappe_as(learner)
    caller.headers["Accept-Language"] = "de"
    (row,) = caller.get(MINE).json()["message"]
    assert row["status"] == "Assigned" and row["priority"] == "Medium"
