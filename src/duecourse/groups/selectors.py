from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from duecourse.core.errors import forbidden, not_found
from duecourse.groups import org_units, permissions
from duecourse.groups.models import Group, GroupMember
from duecourse.people import selectors as people_selectors
from duecourse.people.models import OrgUnit, Person
from duecourse.people.roles import with_has_reports


def group_list(
    *, actor: Person, q: str | None = None, kind: str | None = None, archived: bool | None = None
) -> QuerySet:
    """The tenant's groups by name; `archived` False: only live ones (what pages and pickers offer), True:
    only archived ones, None: both (the API's default, as before groups could be archived)."""
    if not permissions.can_view_groups(actor):
        raise forbidden("see groups")
    groups = Group.objects.filter(tenant_id=actor.tenant_id)
    if archived is not None:
        groups = groups.filter(archived_at__isnull=not archived)
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
        people_selectors.with_invitation_state(
            Person.objects.filter(tenant_id=group.tenant_id, group_memberships__group=group).select_related(
                "department", "site", "region"
            )
        )
    ).order_by("name", "id")


def groups_of_person(*, person: Person) -> QuerySet:
    return Group.objects.filter(tenant_id=person.tenant_id, memberships__person=person).order_by("name")


def org_unit_list(*, actor: Person, kind: str, q: str | None = None) -> QuerySet:
    """The tenant's departments, sites or regions (`kind`) by name, each with `active_people`: the count is
    a correlated subquery on the tenant-first person index, so a page of units is one query."""
    if not permissions.can_view_groups(actor):
        raise forbidden(f"see {kind}s")
    if kind not in org_units.KINDS:
        raise not_found("Kind of org unit")
    units = OrgUnit.objects.filter(tenant_id=actor.tenant_id, kind=kind)
    if q:
        units = units.filter(name__icontains=q)
    active_people = (
        Person.objects.filter(tenant_id=OuterRef("tenant_id"), active=True, **{f"{kind}_id": OuterRef("pk")})
        .order_by()
        .values(f"{kind}_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    count = Coalesce(Subquery(active_people, output_field=IntegerField()), Value(0))
    return units.annotate(active_people=count).order_by("name", "id")


def access_org_unit(*, actor: Person, kind: str, org_unit_id: int) -> OrgUnit:
    """The department, site or region in the actor's tenant; NotFound for other tenants, another kind, and
    for those who may not see them (as `access_group`)."""
    unit = OrgUnit.objects.filter(tenant_id=actor.tenant_id, kind=kind, pk=org_unit_id).first()
    if unit is None or not permissions.can_view_groups(actor):
        raise not_found(dict(OrgUnit.KINDS).get(kind, "Org unit"))  # the API's words: English
    return unit


def org_unit_people(*, actor: Person, unit: OrgUnit, q: str | None = None, active: bool | None = True) -> QuerySet:
    """The people of a department, site or region whom the actor may see, searched as the directory
    searches; active ones by default (`active=None`: everyone)."""
    people = people_selectors.person_list(actor=actor, q=q, active=active)
    return people.filter(**{f"{unit.kind}_id": unit.pk})
