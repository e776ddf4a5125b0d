"""Fixtures shared by every test module: tenants, people with roles, and authenticated API clients."""

import itertools
import json

import pytest
from django.test import Client

from duecourse.core.models import Tenant
from duecourse.people.models import Person
from duecourse.people.services import api_token_create

_counter = itertools.count(1)


class ApiClient:
    """A Django test client that talks JSON to /api/v1 as one person (through a real bearer token)."""

    def __init__(self, person: Person | None):
        self.person = person
        self.client = Client()
        self.headers = {}
        if person is not None:
            _, token = api_token_create(actor=None, person=person, name="test")
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


@pytest.fixture
def make_tenant(db):
    def make(name: str | None = None) -> Tenant:
        return Tenant.objects.create(name=name or f"Tenant {next(_counter)}")

    return make


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("Acme")


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant("Globex")


@pytest.fixture
def make_person(db):
    def make(tenant: Tenant, *, roles: tuple[str, ...] = (), **fields) -> Person:
        n = next(_counter)
        fields.setdefault("email", f"person{n}@example.com")
        fields.setdefault("name", f"Person {n}")
        return Person.objects.create(
            tenant=tenant,
            is_admin="admin" in roles,
            is_instructor="instructor" in roles,
            is_hr="hr" in roles,
            **fields,
        )

    return make


@pytest.fixture
def admin(tenant, make_person):
    return make_person(tenant, roles=("admin",), email="admin@acme.test", name="Ada Admin")


@pytest.fixture
def api_as():
    """api_as(person) -> an ApiClient authenticated as that person; api_as(None) is anonymous."""
    return ApiClient


@pytest.fixture
def admin_api(admin):
    return ApiClient(admin)


@pytest.fixture
def api_without_static_files(settings):
    """JSON API tests serve no static files: skip WhiteNoise's scan of every app's static files, which
    it repeats for each new test client and which otherwise dominates the time of a short API test."""
    settings.WHITENOISE_USE_FINDERS = False
