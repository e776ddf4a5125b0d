"""Who may call /scim/v2/ (a live SCIM token, for its own tenant only) and the SCIM error format everywhere."""

import pytest

from duecourse.groups.models import Group
from duecourse.scim.tokens import scim_token_create, scim_token_revoke
from duecourse.testing.scim import ENTERPRISE, ERROR, GROUP, ScimClient, new_user

pytestmark = pytest.mark.django_db


def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    assert body.get("scimType") == scim_type


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic YTpi", "Token scim_x_y"])
def test_without_a_valid_token_every_endpoint_is_401(api_without_static_files, header, scim_token):
    client = ScimClient(None)
    if header:
        client.headers = {"Authorization": header}
    for path in ("ServiceProviderConfig", "Schemas", "ResourceTypes", "Users", "Groups", "Users/1", "nowhere"):
        response = client.get(path)
        assert_scim_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert_scim_error(client.post("Users", new_user()), 401)


def test_a_revoked_token_is_401(scim, scim_token, admin):
    assert scim.get("Users").status_code == 200
    scim_token_revoke(actor=admin, token=scim_token[0])
    assert_scim_error(scim.get("Users"), 401)


def test_an_api_token_is_not_a_scim_token(admin, api_without_static_files):
    from duecourse.testing.api import api_token

    assert_scim_error(ScimClient(api_token(admin)).get("Users"), 401)


def test_another_tenants_users_and_groups_are_not_found(scim, other_tenant, make_person, learner):
    stranger = make_person(other_tenant, email="s@globex.test")
    foreign_group = Group.objects.create(tenant=other_tenant, name="Theirs", kind="static")
    for method, path in (
        ("get", f"Users/{stranger.pk}"),
        ("delete", f"Users/{stranger.pk}"),
        ("get", f"Groups/{foreign_group.pk}"),
        ("delete", f"Groups/{foreign_group.pk}"),
    ):
        assert_scim_error(getattr(scim, method)(path), 404)
    assert scim.get("Users", filter='userName eq "s@globex.test"').json()["totalResults"] == 0
    assert_scim_error(scim.put(f"Users/{stranger.pk}", new_user("s@globex.test")), 404)
    # Another tenant's token sees its own tenant only.
    other_admin = make_person(other_tenant, roles=("admin",))
    theirs = ScimClient(scim_token_create(actor=other_admin, name="Okta")[1])
    assert theirs.get(f"Users/{learner.pk}").status_code == 404
    assert theirs.get(f"Users/{stranger.pk}").status_code == 200
    response = theirs.post(
        "Groups", {"schemas": [GROUP], "displayName": "Mine", "members": [{"value": str(learner.pk)}]}
    )
    assert_scim_error(response, 400, "invalidValue")
    assert stranger.active


def test_discovery_documents(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["bulk"]["supported"] is False and config["sort"] == {"supported": False}
    assert config["etag"] == {"supported": False} and config["changePassword"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = {t["id"]: t for t in scim.get("ResourceTypes").json()["Resources"]}
    assert types["User"]["endpoint"] == "/Users" and types["Group"]["endpoint"] == "/Groups"
    assert types["User"]["schemaExtensions"][0]["schema"].endswith("enterprise:2.0:User")
    schemas = {s["id"]: s for s in scim.get("Schemas").json()["Resources"]}
    assert set(schemas) == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    }
    user_attributes = {a["name"] for a in schemas["urn:ietf:params:scim:schemas:core:2.0:User"]["attributes"]}
    assert {"userName", "name", "displayName", "emails", "active", "title"} <= user_attributes
    assert scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").json()["name"] == "Group"
    assert scim.get("ResourceTypes/User").json()["name"] == "User"
    assert_scim_error(scim.get("Schemas/urn:nope"), 404)


def test_never_an_html_page(scim):
    assert_scim_error(scim.get("Nowhere/At/All"), 404)
    assert_scim_error(scim.delete("Users"), 405)
    assert_scim_error(scim.post(".search", {}), 501)
    assert_scim_error(scim.post("Bulk", {}), 501)
    assert_scim_error(scim.get("Users/not-a-number"), 404)
    assert_scim_error(scim.get("Users/99999999999999999999999"), 404)


def test_an_unexpected_failure_is_a_scim_500_and_changes_nothing(scim, monkeypatch):
    from duecourse.scim import users

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(users, "_save_profile", broken)
    assert_scim_error(scim.post("Users", new_user("x@acme.test")), 500)
    assert scim.get("Users", filter='userName eq "x@acme.test"').json()["totalResults"] == 0


def test_odd_input_is_a_scim_400_or_an_empty_page(scim, settings):
    assert_scim_error(scim.post("Users", new_user("nul@acme.test", emails=[{"value": "a\x00b"}])), 400, "invalidValue")
    assert_scim_error(scim.post("Users", new_user("nul@acme.test", displayName="A\x00")), 400, "invalidValue")
    page = scim.get("Users", startIndex="99999999999999999999999", count="-5").json()
    assert (page["startIndex"], page["itemsPerPage"]) == (2**31, 0)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert_scim_error(scim.post("Users", new_user("big@acme.test", title="x" * 2000)), 413)
    assert scim.get("Users", filter='userName eq "nul@acme.test"').json()["totalResults"] == 0


SPELLINGS = {
    "arabic-indic": lambda i: i.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    "fullwidth": lambda i: i.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    "superscript": lambda i: i.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")),
    "superscript two": lambda i: "²",
    "spaced": lambda i: f" {i}",
    "signed": lambda i: f"+{i}",
    "decimal": lambda i: f"{i}.0",
}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_id_that_is_not_plain_ascii_digits_names_nothing(scim, spelling):
    """ "²" passes str.isdigit but int() refuses it (it was a 500); Arabic-Indic "١" int() reads as 1 (it named
    the person with id 1). Every place that reads a SCIM id takes ASCII digits only."""
    spell = SPELLINGS[spelling]
    person_id = scim.post("Users", new_user("ann@acme.test")).json()["id"]
    group_id = scim.post("Groups", {"schemas": [GROUP], "displayName": "G"}).json()["id"]
    for path in (f"Users/{spell(person_id)}", f"Groups/{spell(group_id)}"):
        assert_scim_error(scim.get(path), 404)
        assert_scim_error(scim.delete(path), 404)
    assert scim.get("Users", filter=f'id eq "{spell(person_id)}"').json()["totalResults"] == 0
    assert scim.get("Groups", filter=f'id eq "{spell(group_id)}"').json()["totalResults"] == 0
    member = scim.patch(f"Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": spell(person_id)}]})
    assert_scim_error(member, 400, "invalidValue")
    assert "members" in member.json()["detail"]
    manager = scim.post("Users", new_user("bo@acme.test", **{ENTERPRISE: {"manager": {"value": spell(person_id)}}}))
    assert_scim_error(manager, 400, "invalidValue")
    assert "manager" in manager.json()["detail"]
    assert scim.get(f"Users/{person_id}").json()["active"] is True
    assert Group.objects.get(pk=group_id).memberships.count() == 0


@pytest.mark.parametrize("number", ["١", "²", "１"])
def test_paging_numbers_are_ascii_digits(scim, number):
    assert_scim_error(scim.get("Users", startIndex=number), 400, "invalidValue")
    assert_scim_error(scim.get("Groups", count=number), 400, "invalidValue")


def test_409_comes_from_the_uniqueness_code_not_from_the_wording():
    """scim_error_of answered 409 for any service message containing "already"; the services now mark a clash
    with FieldError.code UNIQUE."""
    from scim2_models import InvalidValueException, UniquenessException

    from duecourse.core.errors import UNIQUE, FieldError, ValidationFailed
    from duecourse.scim.errors import scim_error_of

    worded = scim_error_of(ValidationFailed.on("manager_id", "is already leaving: pick another manager"))
    assert isinstance(worded, InvalidValueException) and worded.status == 400
    clash = scim_error_of(ValidationFailed.on("email", "belongs to Ann", code=UNIQUE))
    assert isinstance(clash, UniquenessException) and clash.status == 409
    assert clash.detail == "userName: belongs to Ann"
    mixed = scim_error_of(
        ValidationFailed(
            detail="x", errors=[FieldError("title", "too long"), FieldError("external_id", "taken", UNIQUE)]
        )
    )
    assert isinstance(mixed, UniquenessException)


def test_every_clash_the_services_report_is_a_409(scim, learner):
    learner.external_id = "emp-1"
    learner.save()
    for body in (new_user(learner.email), new_user("new@acme.test", externalId="emp-1")):
        assert_scim_error(scim.post("Users", body), 409, "uniqueness")
    scim.post("Groups", {"schemas": [GROUP], "displayName": "A", "externalId": "g"})
    assert_scim_error(scim.post("Groups", {"schemas": [GROUP], "displayName": "A"}), 409, "uniqueness")
    assert_scim_error(
        scim.post("Groups", {"schemas": [GROUP], "displayName": "B", "externalId": "g"}), 409, "uniqueness"
    )
