"""An Entra ID and an Okta provisioning cycle replayed as they send it (bodies from their SCIM documentation
and request logs): create, update the manager, add to a group, deactivate. Asserted as duecourse's users see
it: the person, their manager, the training a configuration gives the group, and the audit log."""

import pytest

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group
from duecourse.people.models import Person
from duecourse.testing.factories import make_course, target
from duecourse.testing.scim import ENTERPRISE, GROUP, USER
from duecourse.testing.web import text

pytestmark = pytest.mark.django_db


def open_training(person):
    return list(Assignment.objects.filter(person=person, withdrawn_at__isnull=True))


def configuration_for(admin_api, group_id, course):
    response = admin_api.post(
        "rules",
        {"name": "Ward safety", "audience": {"group_ids": [group_id]}, "items": [{"target": target(course)}]},
    )
    assert response.status_code == 201, response.content


def test_entra_id_cycle(scim, admin, admin_api, tenant):
    boss = scim.post(
        "Users",
        {
            "schemas": [USER, ENTERPRISE],
            "userName": "Boss@Contoso.com",
            "active": True,
            "displayName": "Bea Boss",
            "externalId": "bboss",
        },
    ).json()
    # Entra first looks the user up, then creates them.
    found = scim.get("Users", filter='userName eq "alice@contoso.com"')
    assert found.status_code == 200 and found.json()["totalResults"] == 0
    created = scim.post(
        "Users",
        {
            "schemas": [USER, ENTERPRISE],
            "externalId": "alice",
            "userName": "Alice@contoso.com",
            "active": True,
            "displayName": "Alice Smith",
            "emails": [{"primary": True, "type": "work", "value": "alice@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
            "title": "Nurse",
            ENTERPRISE: {"department": "Ward 3", "employeeNumber": "1001"},
        },
    )
    assert created.status_code == 201, created.content
    alice_id = created.json()["id"]
    alice = Person.objects.get(pk=alice_id)
    assert (alice.email, alice.name, alice.job_title, alice.department.name, alice.external_id) == (
        "alice@contoso.com",
        "Alice Smith",
        "Nurse",
        "Ward 3",
        "alice",
    )
    # Manager: Entra sends the id bare, with a capitalised op.
    manager = scim.patch(f"Users/{alice_id}", {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]})
    assert manager.status_code == 200, manager.content
    assert manager.json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    alice.refresh_from_db()
    assert alice.manager_id == int(boss["id"])

    # The group, its training configuration, and Alice added to it.
    assert (
        scim.get("Groups", excludedAttributes="members", filter='displayName eq "Ward 3 staff"').json()["totalResults"]
        == 0
    )
    group = scim.post(
        "Groups",
        {
            "schemas": [GROUP],
            "externalId": "g-ward3",
            "displayName": "Ward 3 staff",
            "members": [{"value": boss["id"]}],
        },
    ).json()
    course = make_course(tenant, title="Infection control")
    configuration_for(admin_api, int(group["id"]), course)
    added = scim.patch(f"Groups/{group['id']}", {"op": "Add", "path": "members", "value": [{"value": alice_id}]})
    assert added.status_code == 204, added.content  # a group PATCH answers without the (long) member list
    assert [a.target_id for a in open_training(alice)] == [course.pk]

    # The group unassigned from the application (Entra deletes it), then assigned again (Entra posts it anew,
    # with the same objectId as externalId): the same group is back, and so is the training it gives.
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    assert open_training(alice) == []
    reassigned = scim.post(
        "Groups",
        {
            "schemas": [GROUP],
            "externalId": "g-ward3",
            "displayName": "Ward 3 staff",
            "members": [{"value": boss["id"]}, {"value": alice_id}],
        },
    )
    assert reassigned.status_code == 201, reassigned.content
    assert reassigned.json()["id"] == group["id"]
    assert [a.target_id for a in open_training(alice)] == [course.pk]
    assert AuditEvent.objects.filter(object_type="group", object_id=group["id"], action="group.restore").exists()

    # Leaver: Entra sets active to the string "False", then deletes the user.
    off = scim.patch(f"Users/{alice_id}", {"op": "Replace", "path": "active", "value": "False"})
    assert off.status_code == 200 and off.json()["active"] is False
    alice.refresh_from_db()
    assert not alice.active and alice.deactivated_at is not None
    assert open_training(alice) == []
    assert scim.delete(f"Users/{alice_id}").status_code == 204
    assert scim.get(f"Users/{alice_id}").status_code == 404
    assert Person.objects.filter(pk=alice_id, active=False).exists()  # history kept

    labels = set(
        AuditEvent.objects.filter(object_type="person", object_id=alice_id).values_list("actor_label", "action")
    )
    assert {
        ("SCIM: Entra ID", "person.create"),
        ("SCIM: Entra ID", "person.update"),
        ("SCIM: Entra ID", "person.scim_delete"),
    } <= labels


def test_okta_cycle(scim, admin, admin_api, tenant, signed_in):
    boss_id = scim.post(
        "Users",
        {
            "schemas": [USER],
            "userName": "carol@example.com",
            "active": True,
            "name": {"givenName": "Carol", "familyName": "Chief"},
        },
    ).json()["id"]
    assert (
        scim.get("Users", filter='userName eq "bob@example.com"', startIndex="1", count="100").json()["totalResults"]
        == 0
    )
    created = scim.post(
        "Users",
        {
            "schemas": [USER],
            "userName": "bob@example.com",
            "name": {"givenName": "Bob", "familyName": "Jones"},
            "emails": [{"primary": True, "value": "bob@example.com", "type": "work"}],
            "displayName": "Bob Jones",
            "locale": "en-US",
            "externalId": "00u1ab2cd3",
            "groups": [],
            "password": "1mP0ssible!",
            "active": True,
        },
    )
    assert created.status_code == 201, created.content
    bob = created.json()
    assert Person.objects.get(pk=bob["id"]).locale == "en-US"
    # Okta updates a profile with a PUT of the whole user.
    replaced = scim.put(
        f"Users/{bob['id']}",
        {
            **{k: v for k, v in bob.items() if k != "meta"},
            "schemas": [USER, ENTERPRISE],
            ENTERPRISE: {"manager": {"value": boss_id}},
        },
    )
    assert replaced.status_code == 200, replaced.content
    assert Person.objects.get(pk=bob["id"]).manager_id == int(boss_id)

    # Group push: create, rename with Okta's replace (repeating the id), members add and replace.
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Drivers", "members": [{"value": boss_id}]}).json()
    course = make_course(tenant, title="Safe driving")
    configuration_for(admin_api, int(group["id"]), course)
    # Okta sends no externalId: the group is the identity provider's all the same, as its page says.
    assert "externalId" not in group
    page = text(signed_in(admin).get(f"/groups/{group['id']}/"))
    assert "Managed by your identity provider (SCIM): change its members there." in page
    assert "Add members" not in page
    renamed = scim.patch(
        f"Groups/{group['id']}", {"op": "replace", "value": {"id": group["id"], "displayName": "Drivers EU"}}
    )
    assert renamed.status_code == 204 and not renamed.content  # Okta expects 204 to a group PATCH
    assert scim.get(f"Groups/{group['id']}").json()["displayName"] == "Drivers EU"
    assert (
        scim.patch(
            f"Groups/{group['id']}",
            {"op": "add", "path": "members", "value": [{"value": bob["id"], "display": "bob@example.com"}]},
        ).status_code
        == 204
    )
    person = Person.objects.get(pk=bob["id"])
    assert [a.target_id for a in open_training(person)] == [course.pk]
    assert (
        scim.patch(
            f"Groups/{group['id']}", {"op": "replace", "path": "members", "value": [{"value": boss_id}]}
        ).status_code
        == 204
    )
    assert open_training(person) == []
    assert [a.target_id for a in open_training(Person.objects.get(pk=boss_id))] == [course.pk]  # stayed
    assert (
        scim.patch(f"Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{boss_id}"]'}).status_code
        == 204
    )
    assert open_training(Person.objects.get(pk=boss_id)) == []

    # Deactivation: Okta sends a replace without a path.
    off = scim.patch(f"Users/{bob['id']}", {"op": "replace", "value": {"active": False}})
    assert off.status_code == 200 and off.json()["active"] is False
    person.refresh_from_db()
    assert not person.active
    assert AuditEvent.objects.filter(
        object_type="person", object_id=person.pk, actor_label="SCIM: Entra ID", action="person.update"
    ).exists()
    assert Group.objects.get(pk=group["id"]).name == "Drivers EU"
