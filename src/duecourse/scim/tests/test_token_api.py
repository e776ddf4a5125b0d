"""/api/v1/scim-tokens: the secret is shown once, lists never carry it, revoking stops it at once, and an
admin of another tenant finds nothing here."""

import pytest

from duecourse.core.audit import AuditEvent
from duecourse.scim.models import ScimToken
from duecourse.scim.tokens import scim_token_authenticate, scim_token_create

pytestmark = pytest.mark.usefixtures("api_without_static_files")


def test_an_admin_creates_a_token_sees_it_once_and_revokes_it(admin_api, admin):
    created = admin_api.post("scim-tokens", {"name": "Entra ID"})

    assert created.status_code == 201, created.content
    assert "no-store" in created["Cache-Control"]
    body = created.json()
    assert body["name"] == "Entra ID" and body["created_by"] == {"id": admin.pk, "name": admin.name}
    assert body["token"].startswith(f"scim_{body['prefix']}_") and body["revoked_at"] is None
    assert scim_token_authenticate(body["token"]).pk == body["id"]

    listed = admin_api.get("scim-tokens").json()
    assert listed["count"] == 1
    (item,) = listed["items"]
    assert "token" not in item and item["prefix"] == body["prefix"] and item["last_used_at"] is not None
    assert body["token"].split("_", 2)[2] not in str(listed)

    assert admin_api.delete(f"scim-tokens/{body['id']}").status_code == 204
    assert scim_token_authenticate(body["token"]) is None
    assert admin_api.get("scim-tokens").json()["items"][0]["revoked_at"] is not None
    assert admin_api.delete(f"scim-tokens/{body['id']}").status_code == 204  # revoking twice changes nothing
    assert AuditEvent.objects.filter(action="scim_token.revoke").count() == 1


def test_the_name_is_optional_and_bounded(admin_api):
    assert admin_api.post("scim-tokens", {}).status_code == 201
    too_long = admin_api.post("scim-tokens", {"name": "x" * 101})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "name"
    unknown = admin_api.post("scim-tokens", {"name": "Okta", "scope": "all"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "scope"
    assert ScimToken.objects.count() == 1


def test_another_tenants_token_is_not_found_and_stays_live(api_as, other_tenant, make_person, admin_api):
    stranger = make_person(other_tenant, roles=("admin",))
    token, secret = scim_token_create(actor=stranger, name="theirs")

    assert admin_api.delete(f"scim-tokens/{token.pk}").status_code == 404
    assert admin_api.delete("scim-tokens/999999").status_code == 404
    assert admin_api.get("scim-tokens").json() == {"count": 0, "items": []}
    assert scim_token_authenticate(secret) is not None


def test_the_list_answers_csv_without_secrets(admin_api, admin):
    _, secret = scim_token_create(actor=admin, name="Okta")

    response = admin_api.get("scim-tokens", {"format": "csv"})

    text = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0] == "id,name,prefix,created_at,created_by_id,last_used_at,revoked_at"
    assert "Okta" in text and secret.split("_", 2)[2] not in text


def test_the_openapi_document_describes_the_endpoints(admin_api):
    document = admin_api.get("openapi.json").json()

    paths = document["paths"]
    assert set(paths["/api/v1/scim-tokens"]) == {"get", "post"}
    assert "delete" in paths["/api/v1/scim-tokens/{token_id}"]
    created = paths["/api/v1/scim-tokens"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/ScimTokenCreated")
    assert "token" in document["components"]["schemas"]["ScimTokenCreated"]["required"]
    assert "token" not in document["components"]["schemas"]["ScimTokenOut"]["properties"]
