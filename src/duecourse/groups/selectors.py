from django.db.models import Count, QuerySet

from duecourse.core.errors import forbidden, not_found
from duecourse.groups import permissions
from duecourse.groups.models import Group, GroupMember
from duecourse.people.models import Person
from duecourse.people.roles import with_has_reports


def group_list(*, actor: Person, q: str | None = None, kind: str | None = None) -> QuerySet:
    if not permissions.can_view_groups(actor):
        raise forbidden("see groups")
    groups = Group.objects.filter(tenant_id=actor.tenant_id)
    if q:
        groups = groups.filter(name__icontains=q)
    if kind:
        groups = groups.filter(kind=kind)
    return groups.annotate(member_count=Count("memberships")).order_by("name", "id")


def access_group(*, actor: Person, group_id: int) -> Group:
    """The group in the actor's tenant; NotFound for other tenants and for those who may not see groups."""
    group = (
        Group.objects.filter(tenant_id=actor.tenant_id, pk=group_id).annotate(member_count=Count("memberships")).first()
    )
    if group is None or not permissions.can_view_groups(actor):
        raise not_found("Group")
    return group


def group_member_ids(*, group: Group) -> list[int]:
    return list(GroupMember.objects.filter(group=group).order_by("person_id").values_list("person_id", flat=True))


def group_members(*, group: Group) -> QuerySet:
    return with_has_reports(
        Person.objects.filter(tenant_id=group.tenant_id, group_memberships__group=group).select_related(
            "department", "site", "region"
        )
    ).order_by("name", "id")


def groups_of_person(*, person: Person) -> QuerySet:
    return Group.objects.filter(tenant_id=person.tenant_id, memberships__person=person).order_by("name")
