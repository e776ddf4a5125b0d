"""A call that cannot authenticate answers 401 with the JSON error, also for a POST from a client that
enforces CSRF like a real one: a bad or expired bearer token, or nothing at all. A signed-in browser session
is still CSRF-checked (403 without the token)."""

import pytest
from django.test import Client

from duecourse.testing.web import signed_in

pytestmark = pytest.mark.django_db

BODY = {"person_id": 1, "target": {"type": "course", "id": 1}}


@pytest.mark.parametrize("headers", [{"HTTP_AUTHORIZATION": "Bearer not-a-token"}, {}], ids=["bad token", "none"])
def test_a_post_that_cannot_authenticate_answers_401(headers):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/assignments", BODY, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")


def test_a_signed_in_session_without_the_csrf_token_is_refused(admin):
    client = signed_in(admin)
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/assignments", BODY, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_bad_token_beside_a_session_is_not_rescued_by_the_session(admin):
    client = signed_in(admin)
    client.handler.enforce_csrf_checks = True
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
