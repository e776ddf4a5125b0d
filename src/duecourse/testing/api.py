"""A JSON client for /api/v1 that authenticates as a person through a real bearer token."""

import json

from django.test import Client

from duecourse.core.actors import SystemActor
from duecourse.people.models import Person
from duecourse.people.services import api_token_create


def api_token(person: Person, *, name: str = "test") -> str:
    """A new API token of `person`, in plain text (what goes after "Bearer ")."""
    _, token = api_token_create(actor=SystemActor(tenant_id=person.tenant_id), person=person, name=name)
    return token


class ApiClient:
    """A Django test client that talks JSON to /api/v1 as one person (None: anonymous).

    Paths without a leading slash are relative to /api/v1/; `token=` sends that bearer token instead
    of a new one of the person's (e.g. a bad or a revoked one)."""

    def __init__(self, person: Person | None = None, *, token: str | None = None):
        self.client = Client()
        self.headers = {}
        if token is None and person is not None:
            token = api_token(person)
        if token is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def _call(self, method: str, path: str, body=None, **extra):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        content_type = extra.pop("content_type", "application/json")
        kwargs = {**self.headers, **extra}
        if body is not None and not isinstance(body, str | bytes) and method != "get":
            body = json.dumps(body, default=str)
        if method == "get":
            return self.client.get(url, body or {}, **kwargs)
        return getattr(self.client, method)(url, body, content_type=content_type, **kwargs)

    def get(self, path, params=None, **extra):
        return self._call("get", path, params, **extra)

    def post(self, path, body=None, **extra):
        return self._call("post", path, body, **extra)

    def patch(self, path, body=None, **extra):
        return self._call("patch", path, body, **extra)

    def put(self, path, body=None, **extra):
        return self._call("put", path, body, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, None, **extra)
