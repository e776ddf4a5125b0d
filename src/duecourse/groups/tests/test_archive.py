"""Archiving a group (what a SCIM DELETE of a group does): it empties, keeps its name and history, takes no
new members, and the configuration that targets it withdraws what only the group gave its people."""

import pytest

from duecourse.assignments import living_rules
from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.models import Assignment
from duecourse.core.actors import SystemActor
from duecourse.core.audit import AuditEvent
from duecourse.core.errors import ValidationFailed
from duecourse.groups import services
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group, GroupMember
from duecourse.testing.factories import make_course, make_person, target


@pytest.fixture
def provisioned(tenant, admin):
    people = [make_person(tenant, name=f"Engineer {i}") for i in range(3)]
    group = services.group_create(
        actor=admin,
        data=GroupInput.model_validate({"name": "Engineering", "kind": "static", "member_ids": [p.pk for p in people]}),
    )
    course = make_course(tenant, title="Secure coding")
    rule, _ = living_rules.rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {
                "name": "Engineering essentials",
                "audience": {"group_ids": [group.pk]},
                "due_in_days": 30,
                "items": [{"target": target(course)}],
            }
        ),
    )
    return group, people, rule


def test_archiving_empties_the_group_and_withdraws_what_only_it_gave(tenant, provisioned):
    group, people, rule = provisioned
    assert Assignment.objects.filter(person__in=people, withdrawn_at__isnull=True).count() == 3

    services.group_archive(
        actor=SystemActor(tenant_id=tenant.pk), group=group, reason=services.ARCHIVED_BY_IDENTITY_PROVIDER
    )

    group.refresh_from_db()
    assert group.archived_at is not None and group.archived_reason == "removed by the identity provider"
    assert not GroupMember.objects.filter(group=group).exists()
    assert not Assignment.objects.filter(person__in=people, withdrawn_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="group.archive", object_id=group.pk)
    assert event.actor_id is None and event.before["member_count"] == 3
    # Archived twice is still archived once.
    services.group_archive(actor=SystemActor(tenant_id=tenant.pk), group=group, reason="again")
    assert AuditEvent.objects.filter(action="group.archive").count() == 1
    assert Group.objects.get(pk=group.pk).name == "Engineering"


def test_an_archived_group_takes_no_new_members(tenant, admin, provisioned):
    group, people, _ = provisioned
    services.group_archive(actor=admin, group=group, reason="no longer used")
    with pytest.raises(ValidationFailed) as failure:
        services.static_group_add_members(actor=admin, group=Group.objects.get(pk=group.pk), person_ids=[people[0].pk])
    assert failure.value.errors[0].field == "member_ids" and "archived" in failure.value.errors[0].message
    assert not GroupMember.objects.filter(group=group).exists()
