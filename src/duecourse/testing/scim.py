"""SCIM test helpers: a client speaking application/scim+json with a tenant SCIM token, and the schema URNs.

The fixtures `scim_token` and `scim` are imported by the conftest of each SCIM test folder."""

import json

import pytest
from django.test import Client

from duecourse.scim.tokens import scim_token_create

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimClient:
    """A Django test client that speaks SCIM with a bearer token."""

    def __init__(self, raw_token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def _send(self, method, path, body=None, content_type=SCIM, **params):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        call = getattr(self.client, method)
        if body is None:
            return call(url, params or None, headers=self.headers)
        return call(url, json.dumps(body), content_type=content_type, headers=self.headers)

    def get(self, path, **params):
        return self._send("get", path, **params)

    def post(self, path, body, **kw):
        return self._send("post", path, body, **kw)

    def put(self, path, body, **kw):
        return self._send("put", path, body, **kw)

    def patch(self, path, *operations, **kw):
        return self._send("patch", path, {"schemas": [PATCH], "Operations": list(operations)}, **kw)

    def delete(self, path):
        return self._send("delete", path)


@pytest.fixture
def scim_token(admin):
    return scim_token_create(actor=admin, name="Entra ID")


@pytest.fixture
def scim(scim_token, api_without_static_files):
    return ScimClient(scim_token[1])


def new_user(user_name="ann@acme.test", **extra):
    return {"schemas": [USER, ENTERPRISE], "userName": user_name, "active": True, **extra}
