"""The people endpoints as an API client sees them: shapes, codes, filters, paging and CSV."""

import csv
import io

import pytest
from django.test import Client

from duecourse.people.models import ApiToken, OrgUnit, Person
from duecourse.people.services import person_set_password
from duecourse.testing.factories import org_unit

pytestmark = pytest.mark.usefixtures("api_without_static_files")

PERSON_KEYS = {
    "id",
    "invitation",
    "email",
    "name",
    "external_id",
    "manager_id",
    "department",
    "site",
    "region",
    "job_title",
    "hire_date",
    "timezone",
    "locale",
    "active",
    "roles",
}


def error_fields(response) -> list[str]:
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]
    return [e["field"] for e in body["errors"]]


# --- create -------------------------------------------------------------------------------------


def test_create_answers_201_with_the_contract_shape(admin_api, admin):
    response = admin_api.post(
        "people",
        {
            "email": "Grace.Hopper@Acme.TEST",
            "name": "Grace Hopper",
            "external_id": "E-1",
            "manager_id": admin.pk,
            "department": "Logistics",
            "site": "Leeds",
            "region": "North",
            "job_title": "Driver",
            "hire_date": "2026-01-15",
            "timezone": "Europe/London",
            "roles": ["instructor"],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= PERSON_KEYS
    assert body["email"] == "grace.hopper@acme.test"  # stored lower-case
    assert body["manager_id"] == admin.pk
    assert (body["department"], body["site"], body["region"]) == ("Logistics", "Leeds", "North")
    assert body["hire_date"] == "2026-01-15"
    assert body["active"] is True
    assert body["roles"] == ["instructor", "learner"]
    assert admin_api.get(f"people/{body['id']}").json() == body


def test_unknown_org_unit_names_are_created_once(admin_api, tenant):
    admin_api.post("people", {"email": "a@acme.test", "name": "A", "department": "Sales"})
    admin_api.post("people", {"email": "b@acme.test", "name": "B", "department": "Sales"})

    assert OrgUnit.objects.filter(tenant=tenant, kind="department", name="Sales").count() == 1


def test_manager_role_is_derived_from_having_reports(admin_api, admin):
    boss = admin_api.post("people", {"email": "boss@acme.test", "name": "Boss"}).json()
    assert "manager" not in boss["roles"]

    admin_api.post("people", {"email": "rep@acme.test", "name": "Rep", "manager_id": boss["id"]})

    assert admin_api.get(f"people/{boss['id']}").json()["roles"] == ["manager", "learner"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "name": "X"}, "email"),
        ({"name": "X"}, "email"),
        ({"email": "x@acme.test"}, "name"),
        ({"email": "x@acme.test", "name": "X", "timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "x@acme.test", "name": "X", "hire_date": "2026-02-30"}, "hire_date"),
        ({"email": "x@acme.test", "name": "X", "hire_date": "15/01/2026"}, "hire_date"),
        ({"email": "x@acme.test", "name": "X", "manager_id": 999999}, "manager_id"),
        ({"email": "x@acme.test", "name": "X", "manager_email": "ghost@acme.test"}, "manager_email"),
        ({"email": "x@acme.test", "name": "X", "roles": ["pope"]}, "roles"),
        ({"email": "x@acme.test", "name": "X", "locale": "not a locale"}, "locale"),
        ({"email": "x@acme.test", "name": "X", "shoe_size": 44}, "shoe_size"),
        ({"email": "x@acme.test", "name": "X" * 201}, "name"),
    ],
)
def test_create_rejects_bad_input_with_422_naming_the_field(admin_api, body, field):
    response = admin_api.post("people", body)

    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert not Person.objects.filter(email="x@acme.test").exists()


def test_duplicate_email_is_422_whatever_its_case(admin_api, admin):
    response = admin_api.post("people", {"email": "ADMIN@Acme.Test", "name": "Twin"})

    assert response.status_code == 422
    assert error_fields(response) == ["email"]
    assert Person.objects.filter(email="admin@acme.test").count() == 1


def test_duplicate_external_id_is_422(admin_api):
    admin_api.post("people", {"email": "a@acme.test", "name": "A", "external_id": "E-7"})

    response = admin_api.post("people", {"email": "b@acme.test", "name": "B", "external_id": "E-7"})

    assert response.status_code == 422
    assert error_fields(response) == ["external_id"]


def test_the_same_email_may_live_in_another_tenant(admin_api, other_tenant, make_person):
    make_person(other_tenant, email="shared@acme.test")

    assert admin_api.post("people", {"email": "shared@acme.test", "name": "Shared"}).status_code == 201


def test_a_manager_from_another_tenant_is_unknown(admin_api, other_tenant, make_person):
    stranger = make_person(other_tenant)

    response = admin_api.post("people", {"email": "x@acme.test", "name": "X", "manager_id": stranger.pk})

    assert response.status_code == 422
    assert error_fields(response) == ["manager_id"]


def test_malformed_json_is_a_4xx_not_a_500(admin_api):
    response = admin_api.post("people", "{not json", content_type="application/json")

    assert 400 <= response.status_code < 500


# --- read ---------------------------------------------------------------------------------------


def test_unknown_and_other_tenant_ids_are_404(admin_api, other_tenant, make_person):
    stranger = make_person(other_tenant)

    for path in ("people/987654", f"people/{stranger.pk}", "people/99999999999999999999"):
        response = admin_api.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"detail", "errors"}
    assert admin_api.patch(f"people/{stranger.pk}", {"name": "Hijacked"}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.name != "Hijacked"


# --- authentication -----------------------------------------------------------------------------


def test_no_token_bad_token_and_revoked_token_are_401(api_as, admin):
    assert api_as(None).get("people").status_code == 401

    assert api_as(None, token="dc_000000000000_nope").get("people").status_code == 401

    client = api_as(admin)
    assert client.get("people").status_code == 200
    ApiToken.objects.filter(person=admin).update(revoked_at="2026-01-01T00:00:00Z")
    response = client.get("people")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_a_deactivated_persons_token_stops_working(admin_api, api_as, tenant, make_person):
    leaver = make_person(tenant)
    client = api_as(leaver)
    assert client.get("people").status_code == 200

    admin_api.patch(f"people/{leaver.pk}", {"active": False})

    assert client.get("people").status_code == 401


def test_tokens_are_created_shown_once_and_revocable(admin_api, api_as, tenant, make_person):
    person = make_person(tenant)

    created = admin_api.post(f"people/{person.pk}/tokens", {"name": "ci"})
    assert created.status_code == 201
    token = created.json()["token"]
    client = api_as(None, token=token)
    assert client.get(f"people/{person.pk}").status_code == 200

    listed = admin_api.get(f"people/{person.pk}/tokens").json()
    assert [t["name"] for t in listed] == ["ci"]
    assert listed[0]["token"] is None  # never shown again

    assert admin_api.delete(f"people/{person.pk}/tokens/{listed[0]['id']}").status_code == 204
    assert client.get(f"people/{person.pk}").status_code == 401


# --- patch --------------------------------------------------------------------------------------


def test_admin_patch_changes_only_the_given_fields(admin_api, tenant, make_person):
    person = make_person(tenant, job_title="Driver", timezone="Europe/Rome")

    response = admin_api.patch(f"people/{person.pk}", {"name": "Renamed", "department": "Ops"})

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["department"], body["job_title"], body["timezone"]) == (
        "Renamed",
        "Ops",
        "Driver",
        "Europe/Rome",
    )


def test_patch_refuses_a_reporting_cycle(admin_api, tenant, make_person):
    top = make_person(tenant)
    middle = make_person(tenant, manager=top)
    bottom = make_person(tenant, manager=middle)

    for person, manager in ((top, bottom), (top, top), (middle, bottom)):
        response = admin_api.patch(f"people/{person.pk}", {"manager_id": manager.pk})
        assert response.status_code == 422
        assert error_fields(response) == ["manager_id"]
    top.refresh_from_db()
    assert top.manager_id is None


def test_patch_to_an_email_in_use_is_422(admin_api, tenant, make_person):
    person = make_person(tenant)

    response = admin_api.patch(f"people/{person.pk}", {"email": "Admin@ACME.test"})

    assert response.status_code == 422
    assert error_fields(response) == ["email"]


def test_patch_rejects_extra_fields(admin_api, admin):
    response = admin_api.patch(f"people/{admin.pk}", {"salary": 1})

    assert response.status_code == 422
    assert error_fields(response) == ["salary"]


def test_a_person_may_change_their_own_timezone_and_locale_only(api_as, tenant, make_person):
    me = make_person(tenant)
    client = api_as(me)

    response = client.patch(f"people/{me.pk}", {"timezone": "Asia/Tokyo", "locale": "ja"})
    assert response.status_code == 200
    assert response.json()["timezone"] == "Asia/Tokyo"

    assert client.patch(f"people/{me.pk}", {"name": "Boss of all"}).status_code == 403
    assert client.patch(f"people/{me.pk}", {"roles": ["admin"]}).status_code == 403
    me.refresh_from_db()
    assert not me.is_admin and me.name != "Boss of all"


# --- list ---------------------------------------------------------------------------------------


@pytest.fixture
def directory(admin_api, admin):
    """A small company made through the API."""
    people = {}
    for key, body in {
        "lead": {"email": "lead@acme.test", "name": "Lena Lead", "department": "Logistics", "site": "Leeds"},
        "driver": {"email": "dave@acme.test", "name": "Dave Driver", "department": "Logistics", "site": "York"},
        "seller": {"email": "sam@acme.test", "name": "Sam Seller", "department": "Sales", "region": "South"},
        "gone": {"email": "gone@acme.test", "name": "Gina Gone", "department": "Sales", "active": False},
    }.items():
        people[key] = admin_api.post("people", body).json()
    admin_api.patch(f"people/{people['driver']['id']}", {"manager_id": people["lead"]["id"]})
    return people


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["items"]]


def test_list_filters(admin_api, directory):
    lead = directory["lead"]["id"]
    assert names(admin_api.get("people", {"department": "Logistics"})) == ["Dave Driver", "Lena Lead"]
    assert names(admin_api.get("people", {"site": "York"})) == ["Dave Driver"]
    assert names(admin_api.get("people", {"region": "South"})) == ["Sam Seller"]
    assert names(admin_api.get("people", {"manager": lead})) == ["Dave Driver"]
    assert names(admin_api.get("people", {"active": "false"})) == ["Gina Gone"]
    assert names(admin_api.get("people", {"q": "SELL"})) == ["Sam Seller"]
    assert names(admin_api.get("people", {"q": "dave@"})) == ["Dave Driver"]
    assert names(admin_api.get("people", {"department": "Logistics", "site": "Leeds"})) == ["Lena Lead"]
    assert names(admin_api.get("people", {"department": "Nowhere"})) == []


def test_list_envelope_and_paging(admin_api, directory):
    everyone = admin_api.get("people").json()
    assert set(everyone) == {"count", "items"}
    assert everyone["count"] == 5  # four people and the admin
    assert all(set(p) >= PERSON_KEYS for p in everyone["items"])

    page = admin_api.get("people", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 5
    assert [p["id"] for p in page["items"]] == [p["id"] for p in everyone["items"][1:3]]
    assert admin_api.get("people", {"limit": 500}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"active": "maybe"}, "active"),
        ({"manager": "boss"}, "manager"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_list_parameters_are_422(admin_api, params, field):
    response = admin_api.get("people", params)

    assert response.status_code == 422
    assert error_fields(response) == [field]


def test_list_only_holds_the_callers_tenant(admin_api, other_tenant, make_person):
    make_person(other_tenant, name="Outsider")

    assert "Outsider" not in names(admin_api.get("people", {"limit": 500}))
    assert names(admin_api.get("people", {"q": "Outsider"})) == []


def test_csv_export(admin_api, directory):
    response = admin_api.get("people", {"format": "csv", "department": "Logistics"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert set(PERSON_KEYS) <= set(rows[0])
    assert [r["email"] for r in rows] == ["dave@acme.test", "lead@acme.test"]
    assert rows[0]["manager_id"] == str(directory["lead"]["id"])


def test_csv_export_of_an_empty_list_still_has_its_header(admin_api):
    response = admin_api.get("people", {"format": "csv", "q": "nobody-at-all"})

    text = b"".join(response.streaming_content).decode()
    assert text.splitlines() == [text.splitlines()[0]]
    assert text.startswith("id,email,name")


def test_csv_cells_that_look_like_formulas_are_defused(admin_api):
    admin_api.post("people", {"email": "evil@acme.test", "name": "=HYPERLINK(1)"})

    response = admin_api.get("people", {"format": "csv", "q": "evil"})

    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode()


def test_list_query_count_does_not_grow_with_people(admin_api, tenant, make_person, django_assert_max_num_queries):
    boss = make_person(tenant, department=org_unit(tenant, "department", "D"))
    for _ in range(30):
        make_person(tenant, manager=boss, department=boss.department)

    with django_assert_max_num_queries(6):
        assert admin_api.get("people", {"limit": 100}).json()["count"] == 32


def test_me_answers_the_signed_in_person_with_the_web_session(tenant, make_person):
    manager = make_person(tenant, roles=("hr",))
    make_person(tenant, manager=manager)
    person_set_password(person=manager, password="correct-horse")
    client = Client()
    client.force_login(Person.objects.get(pk=manager.pk).user)

    response = client.get("/api/v1/me")

    assert response.status_code == 200, response.content
    assert set(response.json()) == PERSON_KEYS
    assert (response.json()["id"], response.json()["roles"]) == (manager.pk, ["hr", "manager", "learner"])
    assert Client().get("/api/v1/me").status_code == 401
