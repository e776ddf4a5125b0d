"""The API docs page (Swagger UI) is served from the product alone: nothing from a CDN or another host."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_names_no_other_host(client, admin, signed_in):
    response = signed_in(admin).get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)  # it does load scripts and styles...
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)  # ...but none from elsewhere
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.DOTALL).group(1))
    # Swagger UI's default would show a badge fetched from validator.swagger.io.
    assert "validatorUrl" in settings and settings["validatorUrl"] is None
