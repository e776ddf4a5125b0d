"""Reads of people that depend on who asks."""

import datetime as dt

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When

from duecourse.core import clock
from duecourse.core.errors import not_found
from duecourse.people import permissions, roles
from duecourse.people.invitation_state import InvitationState
from duecourse.people.models import ApiToken, Invitation, OrgUnit, Person


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
    invitation: str | None = None,
) -> QuerySet:
    people = Person.objects.filter(permissions.visible_people_filter(actor))
    if invitation:
        people = people.filter(invitation_state_filter(InvitationState(invitation), clock.now()))
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
    shown = with_invitation_state(people.select_related("department", "site", "region", "manager"))
    return roles.with_has_reports(shown).order_by("name", "id")


def access_person(*, actor: Person, person_id: int) -> Person:
    """The person, if the actor may see them; otherwise NotFound (also for other tenants)."""
    person = (
        roles.with_has_reports(
            with_invitation_state(Person.objects.filter(permissions.visible_people_filter(actor), pk=person_id))
        )
        .select_related("department", "site", "region", "manager")
        .first()
    )
    if person is None:
        raise not_found("Person")
    return person


def people_by_email(*, actor: Person, emails: list[str]) -> dict[str, Person]:
    """The people the actor may see (active or not) with these emails, by their stored (lower-case) email;
    someone the actor may not see is simply not found, as with `access_person`."""
    wanted = {email.strip().lower() for email in emails}
    people = Person.objects.filter(permissions.visible_people_filter(actor), email__in=wanted)
    return {p.email: p for p in people}


def emails_of(*, tenant_id: int, person_ids: list[int]) -> dict[int, str]:
    return dict(Person.objects.filter(tenant_id=tenant_id, pk__in=person_ids).values_list("id", "email"))


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


# --- invitations: the SQL form of `invitation_state.invitation_state` ------------------------------
def accepted_invitation_exists(person_ref: str = "pk") -> Exists:
    return Exists(Invitation.objects.filter(person_id=OuterRef(person_ref), accepted_at__isnull=False))


def live_invitations() -> QuerySet:
    """Invitations neither accepted nor revoked: at most one per person (a unique index)."""
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def _live(now: dt.datetime, *, expired: bool, person_ref: str = "pk") -> Exists:
    lookup = "expires_at__lte" if expired else "expires_at__gt"
    return Exists(live_invitations().filter(person_id=OuterRef(person_ref), **{lookup: now}))


def invitation_state_filter(state: InvitationState, now: dt.datetime) -> Q:
    """People in this state, as a WHERE: the rows of `invitation_state` in its order (accepted wins)."""
    if state is InvitationState.ACCEPTED:
        return Q(accepted_invitation_exists())
    if state is InvitationState.INVITED:
        return ~Q(accepted_invitation_exists()) & Q(_live(now, expired=False))
    if state is InvitationState.EXPIRED:
        return ~Q(accepted_invitation_exists()) & Q(_live(now, expired=True))
    return ~Q(accepted_invitation_exists()) & ~Q(Exists(live_invitations().filter(person_id=OuterRef("pk"))))


def needs_invitation_filter(now: dt.datetime) -> Q:
    """Who "invite everyone matching" invites: active, never accepted, and no link that still works
    (invitation state `none` or `expired`)."""
    return Q(active=True) & ~Q(accepted_invitation_exists()) & ~Q(_live(now, expired=False))


def invitation_state_expression(now: dt.datetime) -> Case:
    return Case(
        *(
            When(invitation_state_filter(state, now), then=Value(state.value))
            for state in (InvitationState.ACCEPTED, InvitationState.INVITED, InvitationState.EXPIRED)
        ),
        default=Value(InvitationState.NONE.value),
        output_field=CharField(),
    )


def with_invitation_state(people: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """People annotated with `invitation_state` ("none" | "invited" | "accepted" | "expired")."""
    return people.annotate(invitation_state=invitation_state_expression(now or clock.now()))


def never_signed_in_filter() -> Q:
    """`invitation_state.needs_invitation_link` as a WHERE: no login yet and no accepted invitation."""
    return (Q(user__isnull=True) | Q(user__last_login__isnull=True)) & ~Q(accepted_invitation_exists())
