"""SCIM Groups: static groups, members through the group services (so configurations follow), DELETE archives."""

import pytest

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.groups.services import ARCHIVED_BY_IDENTITY_PROVIDER
from duecourse.testing.factories import make_course, target
from duecourse.testing.scim import GROUP

pytestmark = pytest.mark.django_db


def members_of(group_id):
    return sorted(GroupMember.objects.filter(group_id=group_id).values_list("person_id", flat=True))


@pytest.fixture
def people(tenant, make_person):
    return [make_person(tenant, name=f"P{i}") for i in range(4)]


def create(scim, name="Nurses", members=(), **extra):
    response = scim.post(
        "Groups", {"schemas": [GROUP], "displayName": name, "members": [{"value": str(m)} for m in members], **extra}
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_post_get_and_list(scim, people):
    body = create(scim, members=[people[0].pk, people[1].pk], externalId="g-1")
    group = Group.objects.get(pk=body["id"])
    assert (group.name, group.kind, group.external_id) == ("Nurses", "static", "g-1")
    assert members_of(group.pk) == [people[0].pk, people[1].pk]
    assert [m["value"] for m in scim.get(f"Groups/{group.pk}").json()["members"]] == [
        str(people[0].pk),
        str(people[1].pk),
    ]
    listed = scim.get("Groups", excludedAttributes="members", filter='externalId eq "g-1"').json()
    assert listed["totalResults"] == 1 and "members" not in listed["Resources"][0]
    assert scim.get("Groups", filter='displayName eq "nurses"').json()["totalResults"] == 1
    assert scim.get("Groups", filter='displayName co "N"').json()["scimType"] == "invalidFilter"


def test_a_name_or_external_id_in_use_is_409(scim):
    create(scim, "A", externalId="x")
    assert scim.post("Groups", {"schemas": [GROUP], "displayName": "A"}).json()["scimType"] == "uniqueness"
    clash = scim.post("Groups", {"schemas": [GROUP], "displayName": "B", "externalId": "x"})
    assert clash.status_code == 409 and "externalId" in clash.json()["detail"]


def test_unknown_or_foreign_members_are_400_and_nothing_changes(scim, people, other_tenant, make_person):
    stranger = make_person(other_tenant)
    group = create(scim, members=[people[0].pk])
    for value in (str(stranger.pk), "abc", "99999999"):
        response = scim.patch(
            f"Groups/{group['id']}",
            {"op": "add", "path": "members", "value": [{"value": value}]},
            {"op": "replace", "path": "displayName", "value": "Renamed"},
        )
        assert response.status_code == 400, response.content
        assert "members" in response.json()["detail"]
    assert members_of(group["id"]) == [people[0].pk]
    assert Group.objects.get(pk=group["id"]).name == "Nurses"


def test_patch_member_forms(scim, people):
    group = create(scim, members=[people[0].pk])
    gid = group["id"]
    scim.patch(f"Groups/{gid}", {"op": "Add", "path": "members", "value": [{"value": str(people[1].pk)}]})
    assert members_of(gid) == [people[0].pk, people[1].pk]
    scim.patch(f"Groups/{gid}", {"op": "Remove", "path": f'members[value eq "{people[0].pk}"]'})
    assert members_of(gid) == [people[1].pk]
    # Entra's remove with a value; Okta's replace.
    scim.patch(f"Groups/{gid}", {"op": "Remove", "path": "members", "value": [{"value": str(people[1].pk)}]})
    assert members_of(gid) == []
    scim.patch(
        f"Groups/{gid}",
        {"op": "replace", "path": "members", "value": [{"value": str(people[2].pk)}, {"value": str(people[3].pk)}]},
    )
    assert members_of(gid) == [people[2].pk, people[3].pk]
    scim.patch(f"Groups/{gid}", {"op": "add", "value": {"members": [{"value": str(people[0].pk)}]}})
    assert members_of(gid) == [people[0].pk, people[2].pk, people[3].pk]
    scim.patch(f"Groups/{gid}", {"op": "remove", "path": "members"})
    assert members_of(gid) == []
    response = scim.patch(f"Groups/{gid}", {"op": "replace", "path": "displayName", "value": "Ward nurses"})
    assert response.status_code == 204
    assert scim.get(f"Groups/{gid}").json()["displayName"] == "Ward nurses"
    assert scim.patch(f"Groups/{gid}", {"op": "remove", "path": "displayName"}).json()["scimType"] == "mutability"
    labels = set(AuditEvent.objects.filter(object_type="group", object_id=gid).values_list("actor_label", flat=True))
    assert labels == {"SCIM: Entra ID"}


def test_put_replaces_name_and_members(scim, people):
    group = create(scim, members=[people[0].pk])
    response = scim.put(
        f"Groups/{group['id']}", {"schemas": [GROUP], "displayName": "New", "members": [{"value": str(people[1].pk)}]}
    )
    assert response.status_code == 200, response.content
    assert members_of(group["id"]) == [people[1].pk]
    assert Group.objects.get(pk=group["id"]).name == "New"


def test_delete_archives_even_a_group_a_configuration_targets(scim, people, admin_api, tenant):
    group = create(scim, members=[people[0].pk, people[1].pk])
    course = make_course(tenant)
    rule = admin_api.post(
        "rules", {"name": "Ward", "audience": {"group_ids": [int(group["id"])]}, "items": [{"target": target(course)}]}
    )
    assert rule.status_code == 201, rule.content
    assert Assignment.objects.filter(withdrawn_at__isnull=True).count() == 2
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    archived = Group.objects.get(pk=group["id"])
    assert archived.archived_at is not None and archived.archived_reason == ARCHIVED_BY_IDENTITY_PROVIDER
    assert members_of(group["id"]) == []
    assert Assignment.objects.filter(withdrawn_at__isnull=True).count() == 0
    assert scim.get(f"Groups/{group['id']}").status_code == 404
    assert scim.get("Groups").json()["totalResults"] == 0
    assert admin_api.get(f"rules/{rule.json()['id']}").json()["audience"]["group_ids"] == [int(group["id"])]


def test_dynamic_groups_are_not_scim_groups(scim, tenant):
    dynamic = Group.objects.create(tenant=tenant, name="Rule based", kind="dynamic", rule={"all": []})
    assert scim.get(f"Groups/{dynamic.pk}").status_code == 404
    assert scim.get("Groups").json()["totalResults"] == 0


def test_a_list_of_groups_is_a_fixed_number_of_queries(scim, people, django_assert_max_num_queries):
    for i in range(10):
        create(scim, f"G{i}", members=[p.pk for p in people])
    with django_assert_max_num_queries(6):
        body = scim.get("Groups").json()
    assert len(body["Resources"]) == 10 and all(len(r["members"]) == 4 for r in body["Resources"])


def test_a_deleted_group_posted_again_comes_back_with_its_configuration(scim, people, admin_api, tenant):
    """Entra's unassign + reassign of a group: DELETE, then POST with the same externalId (a 409 for ever
    before, as the archived group kept its name and externalId)."""
    group = create(scim, "Ward 3", members=[people[0].pk], externalId="g-ward3")
    course = make_course(tenant)
    rule = admin_api.post(
        "rules", {"name": "Ward", "audience": {"group_ids": [int(group["id"])]}, "items": [{"target": target(course)}]}
    )
    assert rule.status_code == 201, rule.content
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    assert Assignment.objects.filter(withdrawn_at__isnull=True).count() == 0
    again = create(scim, "Ward 3", members=[people[1].pk, people[2].pk], externalId="g-ward3")
    assert again["id"] == group["id"]
    restored = Group.objects.get(pk=group["id"])
    assert (restored.archived_at, restored.archived_reason) == (None, "")
    assert members_of(group["id"]) == [people[1].pk, people[2].pk]
    assert sorted(Assignment.objects.filter(withdrawn_at__isnull=True).values_list("person_id", flat=True)) == [
        people[1].pk,
        people[2].pk,
    ]
    assert scim.get(f"Groups/{group['id']}").status_code == 200
    restore = AuditEvent.objects.get(object_type="group", object_id=group["id"], action="group.restore")
    assert restore.actor_label == "SCIM: Entra ID"


def test_a_deleted_group_without_external_id_comes_back_by_name(scim, people):
    group = create(scim, "Drivers", members=[people[0].pk])
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    again = create(scim, "Drivers", members=[people[3].pk], externalId="okta-9")
    assert again["id"] == group["id"] and again["externalId"] == "okta-9"
    assert members_of(group["id"]) == [people[3].pk]
    # A live group's name or externalId is still a 409.
    assert scim.post("Groups", {"schemas": [GROUP], "displayName": "Drivers"}).status_code == 409
    clash = scim.post("Groups", {"schemas": [GROUP], "displayName": "Other", "externalId": "okta-9"})
    assert clash.status_code == 409


def test_a_restore_with_a_bad_member_changes_nothing(scim, people):
    group = create(scim, "Drivers", members=[people[0].pk], externalId="d")
    scim.delete(f"Groups/{group['id']}")
    bad = scim.post(
        "Groups", {"schemas": [GROUP], "displayName": "Drivers", "externalId": "d", "members": [{"value": "99999999"}]}
    )
    assert bad.status_code == 400 and "members" in bad.json()["detail"]
    assert Group.objects.get(pk=group["id"]).archived_at is not None


def test_a_group_scim_writes_is_managed_by_the_identity_provider_with_or_without_external_id(scim, people, admin):
    """Okta pushes groups without an externalId, and a SCIM PUT may leave it out: the group stays managed by the
    identity provider (its name and members are refused to people in duecourse)."""
    from duecourse.core.errors import ValidationFailed
    from duecourse.groups.domain import group_is_provisioned
    from duecourse.groups.inputs import GroupInput
    from duecourse.groups.services import group_create, static_group_add_members

    pushed = create(scim, "Drivers", members=[people[0].pk])
    assert group_is_provisioned(Group.objects.get(pk=pushed["id"]))
    synced = create(scim, "Nurses", externalId="g-1")
    put = scim.put(f"Groups/{synced['id']}", {"schemas": [GROUP], "displayName": "Nurses"})
    assert put.status_code == 200, put.content
    kept = Group.objects.get(pk=synced["id"])
    assert kept.external_id is None and group_is_provisioned(kept)
    # A group made in duecourse that the identity provider takes over (found by name, then patched).
    local = group_create(actor=admin, data=GroupInput(name="Fire wardens", kind="static"))
    assert not group_is_provisioned(local)
    scim.patch(f"Groups/{local.pk}", {"op": "add", "path": "members", "value": [{"value": str(people[1].pk)}]})
    local.refresh_from_db()
    assert group_is_provisioned(local)
    for group in (Group.objects.get(pk=pushed["id"]), kept, local):
        with pytest.raises(ValidationFailed):
            static_group_add_members(actor=admin, group=group, person_ids=[people[3].pk])


def test_a_user_scim_deletes_leaves_its_groups_and_cannot_join_one(scim, people, admin):
    from duecourse.groups.inputs import GroupInput
    from duecourse.groups.services import group_create

    leaver = scim.post(
        "Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "lea@acme.test"}
    )
    leaver_id = int(leaver.json()["id"])
    group = create(scim, members=[people[0].pk, leaver_id])
    local = group_create(actor=admin, data=GroupInput(name="Fire wardens", kind="static", member_ids=[leaver_id]))
    assert scim.delete(f"Users/{leaver_id}").status_code == 204
    assert members_of(group["id"]) == [people[0].pk]
    assert [m["value"] for m in scim.get(f"Groups/{group['id']}").json()["members"]] == [str(people[0].pk)]
    assert members_of(local.pk) == [leaver_id]  # a group kept in duecourse keeps its people
    assert leaver_id not in {
        int(m["value"]) for r in scim.get("Groups").json()["Resources"] for m in r.get("members", [])
    }
    for response in (
        scim.patch(f"Groups/{group['id']}", {"op": "add", "path": "members", "value": [{"value": str(leaver_id)}]}),
        scim.put(
            f"Groups/{group['id']}",
            {"schemas": [GROUP], "displayName": "Nurses", "members": [{"value": str(leaver_id)}]},
        ),
        scim.post("Groups", {"schemas": [GROUP], "displayName": "New", "members": [{"value": str(leaver_id)}]}),
    ):
        assert response.status_code == 400, response.content
        assert response.json()["scimType"] == "invalidValue" and "members" in response.json()["detail"]
    assert members_of(group["id"]) == [people[0].pk]
    assert not Group.objects.filter(name="New").exists()
    # A user deleted before this rule (still a member) is not listed either.
    GroupMember.objects.create(tenant_id=admin.tenant_id, group_id=group["id"], person_id=leaver_id)
    assert [m["value"] for m in scim.get(f"Groups/{group['id']}").json()["members"]] == [str(people[0].pk)]


def test_a_patch_answers_204_unless_attributes_are_asked(scim, people):
    """Adding one member to a group of thousands answered the whole member list (433 KB for 5,000)."""
    group = create(scim, members=[p.pk for p in people[:3]])
    add = {"op": "add", "path": "members", "value": [{"value": str(people[3].pk)}]}
    response = scim.patch(f"Groups/{group['id']}", add)
    assert response.status_code == 204 and response.content == b""
    assert response["Location"].endswith(f"/scim/v2/Groups/{group['id']}")
    assert members_of(group["id"]) == sorted(p.pk for p in people)
    url = f"/scim/v2/Groups/{group['id']}?attributes=displayName"
    asked = scim.patch(url, {"op": "replace", "path": "displayName", "value": "Renamed"})
    assert asked.status_code == 200 and asked.json()["displayName"] == "Renamed" and "members" not in asked.json()
    url = f"/scim/v2/Groups/{group['id']}?excludedAttributes=members"
    asked = scim.patch(url, {"op": "remove", "path": f'members[value eq "{people[3].pk}"]'})
    assert asked.status_code == 200 and "members" not in asked.json()
    assert members_of(group["id"]) == sorted(p.pk for p in people[:3])


def test_a_page_of_groups_holds_a_bounded_number_of_members(scim, people, monkeypatch):
    from duecourse.scim import views

    monkeypatch.setattr(views, "MAX_LISTED_MEMBERS", 5)
    ids = [create(scim, f"G{i}", members=[p.pk for p in people[:3]])["id"] for i in range(3)]
    lonely = create(scim, "Big", members=[p.pk for p in people])["id"]
    first = scim.get("Groups", count="10").json()
    assert first["totalResults"] == 4 and first["itemsPerPage"] == 1  # 3 + 3 members would pass 5
    assert [r["id"] for r in first["Resources"]] == [ids[0]]
    second = scim.get("Groups", startIndex="2", count="10").json()
    assert [r["id"] for r in second["Resources"]] == [ids[1]]
    last = scim.get("Groups", startIndex="4", count="10").json()
    assert [r["id"] for r in last["Resources"]] == [lonely] and len(last["Resources"][0]["members"]) == 4
    # Without members, the page is as long as asked.
    assert scim.get("Groups", count="10", excludedAttributes="members").json()["itemsPerPage"] == 4
