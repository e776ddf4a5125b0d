"""Groups the identity provider manages (SCIM `externalId`) and archived groups, in the services, the API and
the pages: people change neither the name nor the members of a provisioned group (SCIM, the system actor,
still does); an archived group is hidden from the list by default and says why it is gone."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
import time_machine

from duecourse.core.actors import SystemActor
from duecourse.core.errors import ValidationFailed
from duecourse.groups import domain, services
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group, GroupMember
from duecourse.testing.web import text

ARCHIVED_ON = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def members(group: Group) -> set[int]:
    return set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))


@pytest.fixture
def people(tenant, make_person):
    return [make_person(tenant, name=f"Engineer {i}") for i in range(3)]


@pytest.fixture
def provisioned(admin, people) -> Group:
    group = services.group_create(
        actor=admin, data=GroupInput(name="Engineering", kind="static", member_ids=[people[0].pk, people[1].pk])
    )
    Group.objects.filter(pk=group.pk).update(external_id="entra-7f3a", provisioned_at=ARCHIVED_ON)
    return Group.objects.get(pk=group.pk)


@pytest.fixture
def archived(tenant, admin, people) -> Group:
    group = services.group_create(
        actor=admin, data=GroupInput(name="Old team", kind="static", member_ids=[people[2].pk])
    )
    with time_machine.travel(ARCHIVED_ON):
        return services.group_archive(
            actor=SystemActor(tenant.pk, "SCIM: Entra ID"), group=group, reason=services.ARCHIVED_BY_IDENTITY_PROVIDER
        )


def test_the_rules_read_the_provisioned_marker_and_archived_at():
    live = SimpleNamespace(external_id=None, archived_at=None, archived_reason="", provisioned_at=None)
    synced = SimpleNamespace(external_id="abc", archived_at=None, archived_reason="", provisioned_at=ARCHIVED_ON)
    # Okta pushes groups without an externalId: the marker, not the external id, says who manages it.
    pushed = SimpleNamespace(external_id=None, archived_at=None, archived_reason="", provisioned_at=ARCHIVED_ON)
    gone = SimpleNamespace(
        external_id="abc",
        archived_at=ARCHIVED_ON,
        archived_reason="removed by the identity provider",
        provisioned_at=ARCHIVED_ON,
    )

    assert [domain.group_is_provisioned(g) for g in (live, synced, pushed, gone)] == [False, True, True, True]
    assert [domain.members_edited_here(g, "static") for g in (live, synced, pushed, gone)] == [
        True,
        False,
        False,
        False,
    ]
    assert not domain.members_edited_here(live, "dynamic")
    assert domain.archived_notice(live) == ""
    assert domain.archived_notice(gone) == "Archived on 7 Dec 2026: removed by the identity provider"


def test_an_admin_neither_renames_nor_re_members_a_provisioned_group(admin, people, provisioned):
    with pytest.raises(ValidationFailed) as rename:
        services.group_update(actor=admin, group=provisioned, data=GroupInput(name="Eng"))
    assert [(e.field, e.message) for e in rename.value.errors] == [("name", domain.PROVISIONED_REFUSAL)]
    with pytest.raises(ValidationFailed) as re_member:
        services.group_update(actor=admin, group=provisioned, data=GroupInput(member_ids=[people[2].pk]))
    assert re_member.value.errors[0].field == "member_ids"
    for change in (services.static_group_add_members, services.static_group_remove_members):
        with pytest.raises(ValidationFailed):
            change(actor=admin, group=provisioned, person_ids=[people[0].pk, people[2].pk])

    services.group_update(actor=admin, group=provisioned, data=GroupInput(name="Engineering", description="R&D"))

    group = Group.objects.get(pk=provisioned.pk)
    assert (group.name, group.description) == ("Engineering", "R&D")
    assert members(group) == {people[0].pk, people[1].pk}


def test_the_identity_provider_passes_the_guard_and_an_archived_group_takes_no_members(
    tenant, people, provisioned, archived
):
    # SCIM calls the group services as the system actor; the guard lets it rename and re-member.
    scim = SystemActor(tenant.pk, "SCIM: Entra ID")
    services.refuse_changes_made_elsewhere(actor=scim, group=provisioned, changes={"name": "Eng", "member_ids": []})
    with pytest.raises(ValidationFailed) as refused:
        services.refuse_changes_made_elsewhere(actor=scim, group=archived, changes={"member_ids": [people[0].pk]})
    assert refused.value.errors[0].message == domain.ARCHIVED_REFUSAL


def test_the_api_refuses_a_rename_and_shows_the_new_fields(admin_api, provisioned, archived):
    response = admin_api.patch(f"groups/{provisioned.pk}", {"name": "Eng"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "name", "message": domain.PROVISIONED_REFUSAL}]

    listed = {g["name"]: g for g in admin_api.get("groups").json()["items"]}
    assert listed["Engineering"]["external_id"] == "entra-7f3a" and listed["Engineering"]["archived_at"] is None
    assert listed["Engineering"]["provisioned"] is True
    assert listed["Old team"]["archived_at"].startswith("2026-12-07T09:30")
    assert listed["Old team"]["archived_reason"] == "removed by the identity provider"
    live = admin_api.get("groups", {"archived": "false"}).json()["items"]
    assert [g["name"] for g in live] == ["Engineering"]
    assert [g["name"] for g in admin_api.get("groups", {"archived": "true"}).json()["items"]] == ["Old team"]


def test_the_list_hides_archived_groups_until_asked(signed_in, admin, provisioned, archived):
    client = signed_in(admin)

    page = text(client.get("/groups/"))
    assert "Engineering" in page and "Old team" not in page
    assert 'id="group-archived" name="archived" value="1">' in page
    assert re.search(r"Engineering</a> <span class=\"chip chip-kind\"[^>]*>SCIM</span>", page)

    shown = text(client.get("/groups/?archived=1", HTTP_HX_REQUEST="true"))
    assert "Old team" in shown and "Archived on 7 Dec 2026: removed by the identity provider" in shown


def test_an_archived_groups_page_says_why_and_offers_no_member_edits(signed_in, admin, archived):
    page = text(signed_in(admin).get(f"/groups/{archived.pk}/"))

    assert "Archived on 7 Dec 2026: removed by the identity provider" in page
    assert "Add members" not in page and "/members/remove/" not in page


def test_a_provisioned_groups_page_sends_member_changes_to_the_identity_provider(signed_in, admin, people, provisioned):
    client = signed_in(admin)

    page = text(client.get(f"/groups/{provisioned.pk}/"))
    assert "Managed by your identity provider (SCIM): change its members there." in page
    assert "Add members" not in page and "/members/remove/" not in page

    client.post(f"/groups/{provisioned.pk}/members/add/", {"member_ids": [people[2].pk]})
    client.post(f"/groups/{provisioned.pk}/members/remove/", {"member_ids": [people[0].pk]})
    assert members(provisioned) == {people[0].pk, people[1].pk}

    form = text(client.get(f"/groups/{provisioned.pk}/edit/"))
    assert re.search(r'<input type="text" name="name" value="Engineering"[^>]* disabled', form)
    saved = client.post(f"/groups/{provisioned.pk}/edit/", {"name": "Renamed", "description": "Builds things"})
    assert saved.status_code == 302
    group = Group.objects.get(pk=provisioned.pk)
    assert (group.name, group.description) == ("Engineering", "Builds things")
