"""Reads of people that depend on who asks."""

from django.db.models import Q, QuerySet

from duecourse.core.errors import not_found
from duecourse.people import permissions, roles
from duecourse.people.models import ApiToken, OrgUnit, Person


def person_list(
    *,
    actor: Person,
    q: str | None = None,
    department: str | None = None,
    site: str | None = None,
    region: str | None = None,
    manager_id: int | None = None,
    active: bool | None = None,
    role: str | None = None,
) -> QuerySet:
    people = Person.objects.filter(permissions.visible_people_filter(actor))
    if q:
        people = people.filter(
            Q(name__icontains=q) | Q(email__icontains=q.lower()) | Q(external_id__iexact=q) | Q(job_title__icontains=q)
        )
    if department:
        people = people.filter(department__name=department)
    if site:
        people = people.filter(site__name=site)
    if region:
        people = people.filter(region__name=region)
    if manager_id is not None:
        people = people.filter(manager_id=manager_id)
    if active is not None:
        people = people.filter(active=active)
    if role in roles.STORED_ROLES:
        people = people.filter(**{f"is_{role}": True})
    elif role == "manager":
        people = people.filter(roles.has_reports_condition())
    people = people.select_related("department", "site", "region", "manager")
    return roles.with_has_reports(people).order_by("name", "id")


def access_person(*, actor: Person, person_id: int) -> Person:
    """The person, if the actor may see them; otherwise NotFound (also for other tenants)."""
    person = (
        roles.with_has_reports(Person.objects.filter(permissions.visible_people_filter(actor), pk=person_id))
        .select_related("department", "site", "region", "manager")
        .first()
    )
    if person is None:
        raise not_found("Person")
    return person


def person_direct_reports(*, actor: Person, person: Person) -> QuerySet:
    return person_list(actor=actor).filter(manager_id=person.pk)


def org_unit_names(*, tenant_id: int, kind: str) -> list[str]:
    return list(OrgUnit.objects.filter(tenant_id=tenant_id, kind=kind).order_by("name").values_list("name", flat=True))


def person_tokens(*, actor: Person, person: Person) -> QuerySet:
    return ApiToken.objects.filter(tenant_id=actor.tenant_id, person=person).order_by("-created_at")


def access_token(*, actor: Person, person: Person, token_id: int) -> ApiToken:
    token = person_tokens(actor=actor, person=person).filter(pk=token_id).select_related("person").first()
    if token is None:
        raise not_found("Token")
    return token
