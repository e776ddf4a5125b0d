import base64
import json

import pytest
from django.test import Client

from duecourse.testing.api import api_token

ASSIGN = "/api/method/lms.lms.api.assign_mandatory_training"
MINE = "/api/method/lms.lms.api.get_my_training_assignments"
TEAM = "/api/method/lms.lms.api.get_team_training_status"


def frappe_pair(person) -> tuple[str, str]:
    """(api_key, api_secret) of a new token of `person`: the token split at its second underscore."""
    token = api_token(person)
    api_key, _, rest = token.partition("_")[2].partition("_")
    return f"dc_{api_key}", rest


class FrappeClient:
    """Calls /api/method/ as a script written for Frappe does; `auth` is "token" (Frappe's key pair),
    "bearer", "basic", or a literal Authorization header; None sends none."""

    def __init__(self, person=None, *, auth: str | None = "token"):
        self.client = Client()
        self.headers = {}
        if person is not None and auth in ("token", "bearer", "basic"):
            api_key, api_secret = frappe_pair(person)
            self.headers["Authorization"] = {
                "token": f"token {api_key}:{api_secret}",
                "bearer": f"Bearer {api_key}_{api_secret}",
                "basic": "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode(),
            }[auth]
        elif auth is not None and person is None:
            self.headers["Authorization"] = auth

    def post_form(self, path, data):
        """A form-encoded POST, as `requests.post(url, data=...)` and frappe-client send it."""
        return self.client.post(path, data, headers=self.headers)

    def post_json(self, path, data):
        body = data if isinstance(data, str | bytes) else json.dumps(data)
        return self.client.post(path, body, content_type="application/json", headers=self.headers)

    def get(self, path, params=None):
        return self.client.get(path, params or {}, headers=self.headers)


def server_messages(response) -> list[str]:
    """The messages of a Frappe error body: `_server_messages` is JSON text of a list of JSON texts."""
    return [json.loads(m)["message"] for m in json.loads(response.json()["_server_messages"])]


@pytest.fixture
def frappe_as(api_without_static_files):
    return FrappeClient
