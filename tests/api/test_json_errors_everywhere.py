"""Everything under /api/ answers the JSON error, also where no endpoint matched: an unknown path, or an id
its path converter refuses (`/api/v1/assignments/null,null`); pages elsewhere stay pages."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/assignments/null,null", "/api/v1/no-such-thing", "/api/v1/people/1.5", "/api/v2/people"]
)
def test_an_api_path_nothing_answers_is_a_json_404(admin_api, path):
    response = admin_api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found", "errors": []}


def test_the_json_404_speaks_the_requests_language(admin_api):
    response = admin_api.get("/api/v1/assignments/null,null", HTTP_ACCEPT_LANGUAGE="de")
    assert response.json()["detail"] == "Nicht gefunden"


def test_a_page_nothing_answers_is_still_a_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
