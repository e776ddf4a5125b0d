"""SCIM Users: a duecourse person as a SCIM User, and the identity provider's writes.

Every write goes through `people.services` (`person_create` / `person_update`) with the token's system
actor, so validation has one home and the audit log names "SCIM: <token name>". What SCIM says that
duecourse keeps no field for is kept as sent in `ScimProfile.attributes` (see the model).
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from scim2_models import (
    Context,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
)

from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.core.errors import ValidationFailed
from duecourse.groups.models import Group
from duecourse.groups.services import static_group_remove_members
from duecourse.people.inputs import PersonInput
from duecourse.people.models import Person
from duecourse.people.services import person_create, person_update
from duecourse.people.validation import clean_person_input
from duecourse.scim.errors import scim_error_of
from duecourse.scim.ids import parse_scim_id
from duecourse.scim.models import ScimProfile
from duecourse.scim.resources import POLICY, Email, EnterpriseUser, Manager, Name, ScimUser

# The SCIM attributes kept as sent (JSON names), beside the person's own fields.
PROFILE_KEYS = ("name", "displayName", "emails", "employeeNumber", "timezone", "locale", "preferredLanguage")


def base_location() -> str:
    return f"{settings.BASE_URL}/scim/v2"


def user_location(person_id: int | str) -> str:
    return f"{base_location()}/Users/{person_id}"


def provisioned_people(tenant_id: int) -> QuerySet[Person]:
    """The tenant's people as SCIM sees them: all but those a SCIM DELETE removed."""
    return (
        Person.objects.filter(tenant_id=tenant_id)
        .filter(Q(scim_profile__isnull=True) | Q(scim_profile__deleted_at__isnull=True))
        .select_related("department", "scim_profile")
    )


def access_user(tenant_id: int, user_id: str) -> Person:
    """The person a SCIM id names in this tenant, or 404 (another tenant's id, a deleted user, no number)."""
    pk = parse_scim_id(user_id)
    person = provisioned_people(tenant_id).filter(pk=pk).first() if pk is not None else None
    if person is None:
        raise NotFoundException(detail=f"User {user_id} not found")
    return person


def _profile(person: Person) -> ScimProfile | None:
    try:
        return person.scim_profile
    except ScimProfile.DoesNotExist:
        return None


def _as_sent_or_current(given: dict[str, Any], key: str, current: str) -> str | None:
    """A zone or locale the provider sent that duecourse could not take is shown as sent (or as removed);
    one it took is shown as the person has it now (duecourse may have changed it since)."""
    if key not in given:
        return current
    sent = given[key]
    return sent if sent is None or not _valid(key, sent) else current


def user_resource(person: Person) -> Any:
    """The person as a SCIM User."""
    profile = _profile(person)
    given = dict(profile.attributes) if profile else {}
    if profile is None or profile.derived_name != person.name:
        # Renamed in duecourse since (or never provisioned): duecourse's name is the truth.
        given.update({"name": {"formatted": person.name}, "displayName": person.name})
    enterprise = EnterpriseUser(
        employee_number=given.get("employeeNumber"),
        department=person.department.name if person.department_id and person.department else None,
        manager=Manager.model_validate({"value": str(person.manager_id), "$ref": user_location(person.manager_id)})
        if person.manager_id
        else None,
    )
    user = ScimUser(
        id=str(person.pk),
        external_id=person.external_id,
        user_name=person.email,
        name=Name.model_validate(given["name"]) if given.get("name") else None,
        display_name=given.get("displayName"),
        title=person.job_title or None,
        active=person.active,
        # A person the provider never wrote has their login email as the work address.
        emails=[Email.model_validate(e) for e in given.get("emails") or []] or None
        if profile
        else [Email(value=person.email, type="work", primary=True)],
        timezone=_as_sent_or_current(given, "timezone", person.timezone),
        locale=_as_sent_or_current(given, "locale", person.locale),
        preferred_language=given.get("preferredLanguage"),
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=person.updated_at,
            location=user_location(person.pk),
        ),
    )
    if any(value is not None for value in enterprise.model_dump(scim_ctx=None).values()):
        user[EnterpriseUser] = enterprise
    return user


def _valid(field: str, value: object) -> bool:
    _clean, errors = clean_person_input({field: value}, partial=True)
    return not errors


def person_fields(user: Any) -> dict[str, Any]:
    """The person's fields a SCIM User stands for (the mapping table of docs/scim-protocol.md)."""
    name = user.name or Name()
    joined = " ".join(part for part in (name.given_name, name.family_name) if part)
    fields: dict[str, Any] = {
        "email": user.user_name,
        "name": user.display_name or name.formatted or joined or user.user_name,
        "external_id": user.external_id,
        "job_title": user.title or "",
    }
    if user.active is not None:
        fields["active"] = user.active
    enterprise = user[EnterpriseUser]
    fields["department"] = enterprise.department if enterprise else None
    manager = enterprise.manager if enterprise else None
    if manager is None or manager.value in (None, ""):
        fields["manager_id"] = None
    elif parse_scim_id(manager.value) is not None:
        fields["manager_id"] = parse_scim_id(manager.value)
    elif "@" in str(manager.value):
        # Okta's managerId is often the manager's email: the people service looks it up.
        fields["manager_email"] = str(manager.value)
    else:
        raise InvalidValueException(
            detail=f"{EnterpriseUser.__schema__}:manager.value: {manager.value!r} is not a user id"
        )
    # A directory's time zone or language that duecourse does not know (e.g. a Windows zone name) is kept
    # as sent but does not change the person: it must not block the provisioning of the user.
    if user.timezone and _valid("timezone", user.timezone):
        fields["timezone"] = user.timezone
    locale = user.locale or user.preferred_language
    if locale and _valid("locale", locale):
        fields["locale"] = locale
    return fields


def profile_attributes(user: Any, *, keep_unset: bool) -> dict[str, Any]:
    dumped = user.model_dump(scim_ctx=None, by_alias=True, exclude_none=False, mode="json")
    enterprise = user[EnterpriseUser]
    values = {
        "name": dumped.get("name"),
        "displayName": dumped.get("displayName"),
        "emails": dumped.get("emails"),
        "employeeNumber": enterprise.employee_number if enterprise else None,
        "timezone": user.timezone,
        "locale": user.locale,
        "preferredLanguage": user.preferred_language,
    }
    if isinstance(values["name"], dict):
        values["name"] = {k: v for k, v in values["name"].items() if v is not None} or None
    if isinstance(values["emails"], list):
        values["emails"] = [{k: v for k, v in e.items() if v is not None} for e in values["emails"]]
    return {k: v for k, v in values.items() if keep_unset or v is not None}


def _save_profile(person: Person, attributes: dict[str, Any], *, new: bool = False) -> None:
    """Keep what the provider sent (in the request's transaction: the view holds one)."""
    values = {"attributes": attributes, "derived_name": person.name, "deleted_at": None}
    if new or not ScimProfile.objects.filter(person_id=person.pk).update(**values):
        ScimProfile.objects.create(tenant_id=person.tenant_id, person_id=person.pk, **values)


def _input(fields: dict[str, Any]) -> PersonInput:
    return PersonInput(**fields)


def _deleted_person(tenant_id: int, email: str | None) -> Person | None:
    if not email:
        return None
    return Person.objects.filter(
        tenant_id=tenant_id, email=email.strip().lower(), scim_profile__deleted_at__isnull=False
    ).first()


def scim_user_create(*, actor: SystemActor, user: Any) -> Person:
    """POST /Users: a new person; a userName a SCIM DELETE removed comes back as that person (a re-hire keeps
    their history). A userName or externalId another person holds is 409 `uniqueness`."""
    fields = person_fields(user)
    fields.setdefault("active", True)
    with transaction.atomic():
        try:
            try:
                person = person_create(actor=actor, tenant_id=actor.tenant_id, data=_input(fields))
                returning = False
            except ValidationFailed as exc:
                # The uniqueness check refused before writing; a re-hire is the one clash that is not a 409.
                deleted = _deleted_person(actor.tenant_id, user.user_name)
                if deleted is None or not any(e.field == "email" for e in exc.errors):
                    raise
                person = person_update(actor=actor, person=deleted, data=_input(fields), reason="SCIM re-create")
                returning = True
        except ValidationFailed as exc:
            raise scim_error_of(exc) from None
        _save_profile(person, profile_attributes(user, keep_unset=False), new=not returning)
    return provisioned_people(actor.tenant_id).get(pk=person.pk)


def scim_user_replace(*, actor: SystemActor, person: Person, user: Any) -> Person:
    """PUT /Users/{id}: the person takes the values sent; attributes left out are cleared (but `active`,
    which stays as it is when not sent)."""
    fields = person_fields(user)
    with transaction.atomic():
        try:
            person = person_update(actor=actor, person=person, data=_input(fields))
        except ValidationFailed as exc:
            raise scim_error_of(exc) from None
        _save_profile(person, profile_attributes(user, keep_unset=False))
    return provisioned_people(actor.tenant_id).get(pk=person.pk)


def _manager_as_object(body: Any) -> Any:
    """Entra sends the manager of a PATCH as the bare id (`"value": "42"`), not as `{"value": "42"}`."""
    if not isinstance(body, dict):
        return body
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    fixed = []
    for operation in operations:
        if (
            isinstance(operation, dict)
            and str(operation.get("path", "")).lower().endswith(":manager")
            and isinstance(operation.get("value"), str | int)
        ):
            operation = {**operation, "value": {"value": str(operation["value"])}}
        fixed.append(operation)
    return {**body, "Operations": fixed}


def scim_user_patch(*, actor: SystemActor, person: Person, body: Any) -> Person:
    """PATCH /Users/{id}: the operations are applied by scim2-models to the User as it stands, then the
    person takes the fields that changed (one audited update, or none when nothing did)."""
    patch = PatchOp[ScimUser].model_validate(
        _manager_as_object(body), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
    )
    before = user_resource(person)
    after = before.model_copy(deep=True)
    patch.patch(after, POLICY)
    if not after.user_name:
        raise InvalidValueException(detail="userName: is required")
    old, new = person_fields(before), person_fields(after)
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    with transaction.atomic():
        if changed:
            try:
                person = person_update(actor=actor, person=person, data=_input(changed))
            except ValidationFailed as exc:
                raise scim_error_of(exc) from None
        _save_profile(person, profile_attributes(after, keep_unset=True))
    return provisioned_people(actor.tenant_id).get(pk=person.pk)


def scim_user_delete(*, actor: SystemActor, person: Person) -> None:
    """DELETE /Users/{id}: the leaver flow. The person is deactivated (their open training is withdrawn as for
    any deactivation), leaves the groups the identity provider manages, and is kept with their history; SCIM
    answers 404 for them from now on (and refuses them as a group member)."""
    with transaction.atomic():
        try:
            person = person_update(actor=actor, person=person, data=PersonInput(active=False), reason="SCIM delete")
        except ValidationFailed as exc:  # the organisation's last active admin
            raise scim_error_of(exc) from None
        scim_user_leaves_groups(actor=actor, person_id=person.pk)
        profile = _profile(person)
        ScimProfile.objects.update_or_create(
            person_id=person.pk,
            defaults={"tenant_id": person.tenant_id, "deleted_at": clock.now()},
            create_defaults={
                "tenant_id": person.tenant_id,
                "deleted_at": clock.now(),
                "derived_name": person.name,
                "attributes": profile.attributes if profile else {},
            },
        )
        audit_record(
            tenant_id=person.tenant_id,
            **audit_actor(actor),
            action="person.scim_delete",
            object_type="person",
            object_id=person.pk,
            reason="deleted by the identity provider: deactivated, history kept",
        )


def scim_user_leaves_groups(*, actor: SystemActor, person_id: int) -> None:
    """A user SCIM deletes leaves the groups the identity provider manages (the leaver flow); groups made and
    kept in duecourse keep them, as for any deactivation."""
    managed = Group.objects.filter(
        tenant_id=actor.tenant_id,
        kind=Group.STATIC,
        provisioned_at__isnull=False,
        archived_at__isnull=True,
        memberships__person_id=person_id,
    )
    for group in managed:
        static_group_remove_members(actor=actor, group=group, person_ids=[person_id])
