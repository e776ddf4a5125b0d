"""Group services for the system actor (SCIM provisioning) and a group's external id."""

import pytest

from duecourse.core.actors import SystemActor
from duecourse.core.errors import PermissionDenied, ValidationFailed
from duecourse.core.models import AuditEvent
from duecourse.groups import services
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group, GroupMember

pytestmark = pytest.mark.django_db


def test_the_system_actor_creates_updates_and_changes_members(tenant, learner, admin):
    actor = SystemActor(tenant_id=tenant.pk, label="SCIM: Okta")
    group = services.group_create(
        actor=actor, data=GroupInput(name="Drivers", kind="static", external_id="00g1", member_ids=[learner.pk])
    )
    assert group.external_id == "00g1"
    services.static_group_add_members(actor=actor, group=group, person_ids=[admin.pk])
    services.static_group_remove_members(actor=actor, group=group, person_ids=[learner.pk])
    services.group_update(actor=actor, group=group, data=GroupInput(name="Drivers EU", external_id=None))
    group.refresh_from_db()
    assert (group.name, group.external_id) == ("Drivers EU", None)
    assert list(GroupMember.objects.filter(group=group).values_list("person_id", flat=True)) == [admin.pk]
    labels = set(AuditEvent.objects.filter(object_type="group").values_list("action", "actor_label"))
    assert {("group.create", "SCIM: Okta"), ("group.update", "SCIM: Okta")} <= labels


def test_an_external_id_is_unique_in_the_tenant(tenant, other_tenant, admin):
    services.group_create(actor=admin, data=GroupInput(name="A", kind="static", external_id="x"))
    with pytest.raises(ValidationFailed) as failure:
        services.group_create(actor=admin, data=GroupInput(name="B", kind="static", external_id="x"))
    assert failure.value.errors[0].field == "external_id"
    theirs = SystemActor(tenant_id=other_tenant.pk, label="SCIM: theirs")
    assert services.group_create(actor=theirs, data=GroupInput(name="A", kind="static", external_id="x")).pk
    assert Group.objects.filter(external_id="x").count() == 2


def test_the_system_actor_of_another_tenant_cannot_change_members(tenant, other_tenant, admin, learner):
    group = services.group_create(actor=admin, data=GroupInput(name="Ours", kind="static"))
    theirs = SystemActor(tenant_id=other_tenant.pk, label="SCIM: theirs")
    with pytest.raises(PermissionDenied):
        services.static_group_add_members(actor=theirs, group=group, person_ids=[learner.pk])
    assert not GroupMember.objects.filter(group=group).exists()


def test_only_the_system_actor_marks_a_group_managed_by_the_identity_provider(tenant, admin):
    with pytest.raises(PermissionDenied):
        services.group_create(actor=admin, data=GroupInput(name="Mine", kind="static"), provisioned=True)
    group = services.group_create(actor=admin, data=GroupInput(name="Ours", kind="static"))
    with pytest.raises(PermissionDenied):
        services.group_update(actor=admin, group=group, data=GroupInput(), provisioned=True)
    assert Group.objects.get(pk=group.pk).provisioned_at is None
    actor = SystemActor(tenant_id=tenant.pk, label="SCIM: Okta")
    services.group_update(actor=actor, group=group, data=GroupInput(), provisioned=True)
    assert Group.objects.get(pk=group.pk).provisioned_at is not None
