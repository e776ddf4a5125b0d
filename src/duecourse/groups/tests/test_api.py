"""The groups endpoints: static and dynamic groups, members, errors and tenant isolation."""

import csv
import io

import pytest

from duecourse.groups.models import Group, GroupMember

pytestmark = pytest.mark.usefixtures("api_without_static_files")

LOGISTICS_RULE = {"all": [{"field": "department", "op": "eq", "value": "Logistics"}]}


@pytest.fixture
def staff(admin_api):
    """Three people made through the API: two in Logistics (one in Leeds, hired 2026), one in Sales."""
    make = lambda **body: admin_api.post("people", body).json()  # noqa: E731
    return {
        "lena": make(email="lena@acme.test", name="Lena", department="Logistics", site="Leeds", hire_date="2026-02-01"),
        "dave": make(email="dave@acme.test", name="Dave", department="Logistics", site="York", hire_date="2019-05-01"),
        "sam": make(email="sam@acme.test", name="Sam", department="Sales", site="Leeds", job_title="Seller"),
    }


def member_emails(client, group_id) -> list[str]:
    response = client.get(f"groups/{group_id}/members")
    assert response.status_code == 200
    return [p["email"] for p in response.json()["items"]]


def test_create_static_group(admin_api, staff):
    ids = [staff["sam"]["id"], staff["lena"]["id"]]

    response = admin_api.post("groups", {"name": "First aiders", "kind": "static", "member_ids": ids})

    assert response.status_code == 201
    body = response.json()
    assert {"id", "name", "kind", "member_ids", "rule", "member_count"} <= set(body)
    assert (body["kind"], sorted(body["member_ids"]), body["member_count"], body["rule"]) == (
        "static",
        sorted(ids),
        2,
        None,
    )
    assert member_emails(admin_api, body["id"]) == ["lena@acme.test", "sam@acme.test"]


def test_create_dynamic_group_materialises_members(admin_api, staff):
    rule = {
        "all": [
            {"field": "department", "op": "in", "value": ["Logistics"]},
            {"field": "site", "op": "eq", "value": "Leeds"},
            {"field": "hire_date", "op": "after", "value": "2026-01-01"},
        ]
    }

    response = admin_api.post("groups", {"name": "New Leeds logistics", "kind": "dynamic", "rule": rule})

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["rule"], body["member_count"]) == ("dynamic", rule, 1)
    assert member_emails(admin_api, body["id"]) == ["lena@acme.test"]


def test_dynamic_membership_follows_people_changes(admin_api, staff):
    group = admin_api.post("groups", {"name": "Logistics", "kind": "dynamic", "rule": LOGISTICS_RULE}).json()
    assert member_emails(admin_api, group["id"]) == ["dave@acme.test", "lena@acme.test"]

    admin_api.post("people", {"email": "new@acme.test", "name": "Newbie", "department": "Logistics"})
    admin_api.patch(f"people/{staff['sam']['id']}", {"department": "Logistics"})
    admin_api.patch(f"people/{staff['dave']['id']}", {"department": "Sales"})
    admin_api.patch(f"people/{staff['lena']['id']}", {"active": False})

    assert member_emails(admin_api, group["id"]) == ["new@acme.test", "sam@acme.test"]
    admin_api.patch(f"people/{staff['lena']['id']}", {"active": True})
    assert "lena@acme.test" in member_emails(admin_api, group["id"])


def test_changing_the_rule_recomputes_members(admin_api, staff):
    group = admin_api.post("groups", {"name": "Logistics", "kind": "dynamic", "rule": LOGISTICS_RULE}).json()

    response = admin_api.patch(
        f"groups/{group['id']}", {"rule": {"all": [{"field": "job_title", "op": "eq", "value": "Seller"}]}}
    )

    assert response.status_code == 200
    assert response.json()["member_count"] == 1
    assert member_emails(admin_api, group["id"]) == ["sam@acme.test"]


def test_static_members_replace_and_survive_people_edits(admin_api, staff):
    group = admin_api.post("groups", {"name": "Club", "kind": "static", "member_ids": [staff["dave"]["id"]]}).json()

    response = admin_api.patch(f"groups/{group['id']}", {"member_ids": [staff["sam"]["id"], staff["lena"]["id"]]})
    admin_api.patch(f"people/{staff['sam']['id']}", {"department": "Logistics"})

    assert sorted(response.json()["member_ids"]) == sorted([staff["sam"]["id"], staff["lena"]["id"]])
    assert member_emails(admin_api, group["id"]) == ["lena@acme.test", "sam@acme.test"]


def test_delete_group(admin_api, staff):
    group = admin_api.post("groups", {"name": "Temp", "kind": "static", "member_ids": [staff["sam"]["id"]]}).json()

    assert admin_api.delete(f"groups/{group['id']}").status_code == 204
    assert admin_api.get(f"groups/{group['id']}").status_code == 404
    assert not GroupMember.objects.filter(group_id=group["id"]).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "static"}, "name"),
        ({"name": "X", "kind": "club"}, "kind"),
        ({"name": "X", "kind": "dynamic"}, "rule"),
        ({"name": "X", "kind": "dynamic", "rule": {"any": []}}, "rule"),
        ({"name": "X", "kind": "dynamic", "rule": {"all": []}}, "rule.all"),
        (
            {"name": "X", "kind": "dynamic", "rule": {"all": [{"field": "salary", "op": "eq", "value": 1}]}},
            "rule.all[0].field",
        ),
        (
            {"name": "X", "kind": "dynamic", "rule": {"all": [{"field": "site", "op": "like", "value": "L"}]}},
            "rule.all[0].op",
        ),
        (
            {"name": "X", "kind": "dynamic", "rule": {"all": [{"field": "site", "op": "before", "value": "L"}]}},
            "rule.all[0].op",
        ),
        (
            {"name": "X", "kind": "dynamic", "rule": {"all": [{"field": "hire_date", "op": "after", "value": "soon"}]}},
            "rule.all[0].value",
        ),
        (
            {"name": "X", "kind": "dynamic", "rule": {"all": [{"field": "site", "op": "in", "value": "Leeds"}]}},
            "rule.all[0].value",
        ),
        (
            {"name": "X", "kind": "dynamic", "rule": {"all": [{"field": "manager_id", "op": "eq", "value": "boss"}]}},
            "rule.all[0].value",
        ),
        ({"name": "X", "kind": "dynamic", "rule": LOGISTICS_RULE, "member_ids": [1]}, "member_ids"),
        ({"name": "X", "kind": "static", "rule": LOGISTICS_RULE}, "rule"),
        ({"name": "X", "kind": "static", "member_ids": [987654]}, "member_ids"),
        ({"name": "X", "kind": "static", "member_ids": [2**70]}, "member_ids.0"),
        ({"name": "X", "kind": "static", "colour": "red"}, "colour"),
        ({"name": "X\x00", "kind": "static"}, "name"),
    ],
)
def test_bad_group_input_is_422_naming_the_field(admin_api, body, field):
    response = admin_api.post("groups", body)

    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Group.objects.filter(name="X").exists()


def test_duplicate_group_name_is_422(admin_api):
    admin_api.post("groups", {"name": "Drivers", "kind": "static"})

    response = admin_api.post("groups", {"name": "Drivers", "kind": "static"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


def test_kind_cannot_change(admin_api):
    group = admin_api.post("groups", {"name": "Drivers", "kind": "static"}).json()

    assert admin_api.patch(f"groups/{group['id']}", {"kind": "dynamic"}).status_code == 422


def test_other_tenants_people_cannot_be_members(admin_api, other_tenant, make_person):
    stranger = make_person(other_tenant)

    response = admin_api.post("groups", {"name": "Spies", "kind": "static", "member_ids": [stranger.pk]})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "member_ids"


def test_other_tenant_and_unknown_groups_are_404(admin_api, other_tenant):
    theirs = Group.objects.create(tenant=other_tenant, name="Theirs", kind="static")

    for method, path, body in [
        ("get", f"groups/{theirs.pk}", None),
        ("get", f"groups/{theirs.pk}/members", None),
        ("patch", f"groups/{theirs.pk}", {"name": "Ours now"}),
        ("get", "groups/987654", None),
    ]:
        call = getattr(admin_api, method)
        response = call(path, body) if body is not None else call(path)
        assert response.status_code == 404, path
    assert admin_api.delete(f"groups/{theirs.pk}").status_code == 404
    assert Group.objects.filter(pk=theirs.pk, name="Theirs").exists()
    assert admin_api.get("groups").json()["count"] == 0


def test_group_list_filters_paging_and_csv(admin_api, staff):
    admin_api.post("groups", {"name": "Logistics", "kind": "dynamic", "rule": LOGISTICS_RULE})
    admin_api.post("groups", {"name": "Club", "kind": "static", "member_ids": [staff["sam"]["id"]]})

    listed = admin_api.get("groups").json()
    assert listed["count"] == 2
    assert [(g["name"], g["member_count"]) for g in listed["items"]] == [("Club", 1), ("Logistics", 2)]
    assert [g["name"] for g in admin_api.get("groups", {"kind": "dynamic"}).json()["items"]] == ["Logistics"]
    assert [g["name"] for g in admin_api.get("groups", {"q": "clu"}).json()["items"]] == ["Club"]
    assert admin_api.get("groups", {"limit": 501}).status_code == 422

    response = admin_api.get("groups", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["Club", "Logistics"]


def test_members_list_pages_and_exports(admin_api, staff):
    group = admin_api.post("groups", {"name": "Logistics", "kind": "dynamic", "rule": LOGISTICS_RULE}).json()

    page = admin_api.get(f"groups/{group['id']}/members", {"limit": 1, "offset": 1}).json()
    assert (page["count"], [p["email"] for p in page["items"]]) == (2, ["lena@acme.test"])
    response = admin_api.get(f"groups/{group['id']}/members", {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("id,email,name") and "dave@acme.test" in text
