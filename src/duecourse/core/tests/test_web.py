"""`core.web.safe_next_url`: the one rule for where signing in (password or single sign-on) may return to."""

import pytest
from django.test import RequestFactory

from duecourse.core.web import safe_next_url
from duecourse.people.services import person_set_password
from duecourse.testing.web import PASSWORD


@pytest.mark.parametrize(
    ("next_url", "secure", "expected"),
    [
        ("/catalog/", False, "/catalog/"),
        ("/people/?page=2", True, "/people/?page=2"),
        ("http://testserver/catalog/", False, "http://testserver/catalog/"),
        ("http://testserver/catalog/", True, ""),  # an https page never returns to plain http
        ("https://evil.example/", False, ""),
        ("//evil.example/", False, ""),
        ("/\\evil.example/", False, ""),
        ("javascript:alert(1)", False, ""),
        ("", False, ""),
    ],
)
def test_only_same_site_paths_are_returned_to(next_url, secure, expected):
    request = RequestFactory().get("/login/", secure=secure)
    assert safe_next_url(request, next_url) == expected


def test_the_login_page_uses_it(client, learner):
    person_set_password(person=learner, password=PASSWORD)
    response = client.post("/login/", {"email": learner.email, "password": PASSWORD, "next": "//evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
