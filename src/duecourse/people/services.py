"""Every change to people, org units, passwords, tokens and tenants goes through here."""

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.urls import reverse
from django.utils.translation import gettext as _

from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record, changed_fields
from duecourse.core.errors import UNIQUE, FieldError, PermissionDenied, ValidationFailed, forbidden
from duecourse.core.models import Tenant
from duecourse.core.sql import TypedQuery
from duecourse.people import permissions, roles, throttle, token_format
from duecourse.people.authentication import login_account
from duecourse.people.inputs import PersonInput
from duecourse.people.limits import MAX_TOKEN_NAME_LENGTH
from duecourse.people.models import ApiToken, OrgUnit, Person
from duecourse.people.passwords import RESET_LINK_INVALID, reset_tokens
from duecourse.people.sign_in import SSO_ONLY_MESSAGE, password_sign_in_refused
from duecourse.people.signals import password_reset_requested, people_changed
from duecourse.people.validation import ORG_FIELDS, clean_person_input

MAX_MANAGER_DEPTH = 200


def org_units_ensure(*, tenant_id: int, kind: str, names: Iterable[str]) -> dict[str, int]:
    """Ids of the named org units of one kind, creating the unknown ones (unknown names are created)."""
    wanted = {n for n in names if n}
    if not wanted:
        return {}
    existing = dict(OrgUnit.objects.filter(tenant_id=tenant_id, kind=kind, name__in=wanted).values_list("name", "id"))
    missing = wanted - set(existing)
    if missing:
        OrgUnit.objects.bulk_create(
            [OrgUnit(tenant_id=tenant_id, kind=kind, name=n) for n in sorted(missing)], ignore_conflicts=True
        )
        existing = dict(
            OrgUnit.objects.filter(tenant_id=tenant_id, kind=kind, name__in=wanted).values_list("name", "id")
        )
    return existing


def person_snapshot(person: Person) -> dict[str, Any]:
    """The person as the audit log and the API show it."""
    return {
        "email": person.email,
        "name": person.name,
        "external_id": person.external_id,
        "manager_id": person.manager_id,
        "department_id": person.department_id,
        "site_id": person.site_id,
        "region_id": person.region_id,
        "job_title": person.job_title,
        "hire_date": person.hire_date.isoformat() if person.hire_date else None,
        "timezone": person.timezone,
        "locale": person.locale,
        "active": person.active,
        "roles": roles.stored_roles(person),
    }


def manager_chain_contains(*, tenant_id: int, start_manager_id: int, person_id: int) -> bool:
    """True when walking up from `start_manager_id` reaches `person_id` (the change would make a cycle)."""
    current: int | None = start_manager_id
    for _step in range(MAX_MANAGER_DEPTH):
        if current is None:
            return False
        if current == person_id:
            return True
        current = Person.objects.filter(tenant_id=tenant_id, pk=current).values_list("manager_id", flat=True).first()
    return True


def _resolve_manager(tenant_id: int, clean: dict[str, Any], errors: list[FieldError]) -> None:
    """Turn manager_email / manager_id into a checked `manager_id` (or record the error)."""
    manager_email = clean.pop("manager_email", None)
    if manager_email is not None and "manager_id" not in clean:
        manager_id = (
            Person.objects.filter(tenant_id=tenant_id, email=manager_email).values_list("id", flat=True).first()
        )
        if manager_id is None:
            errors.append(FieldError("manager_email", _("no person with email %(email)s") % {"email": manager_email}))
        else:
            clean["manager_id"] = manager_id
    elif (
        clean.get("manager_id") is not None
        and not Person.objects.filter(tenant_id=tenant_id, pk=clean["manager_id"]).exists()
    ):
        errors.append(FieldError("manager_id", _("no person with id %(id)s") % {"id": clean["manager_id"]}))


def _apply_clean_fields(person: Person, clean: dict[str, Any]) -> None:
    for org in ORG_FIELDS:
        if org in clean:
            name = clean.pop(org)
            unit_id = org_units_ensure(tenant_id=person.tenant_id, kind=org, names=[name]).get(name) if name else None
            setattr(person, f"{org}_id", unit_id)
    if "roles" in clean:
        held = clean.pop("roles")
        for role in roles.STORED_ROLES:
            setattr(person, f"is_{role}", role in held)
    if "active" in clean:
        active = clean.pop("active")
        if person.active and not active:
            person.deactivated_at = clock.now()
        elif active:
            person.deactivated_at = None
        person.active = active
    for key, value in clean.items():
        setattr(person, key, value)


def _raise_if(errors: list[FieldError], what: str) -> None:
    if errors:
        raise ValidationFailed(detail=f"{what}: " + "; ".join(f"{e.field} {e.message}" for e in errors), errors=errors)


def _check_unique(person: Person, errors: list[FieldError]) -> None:
    others = Person.objects.filter(tenant_id=person.tenant_id).exclude(pk=person.pk)
    if others.filter(email=person.email).exists():
        errors.append(
            FieldError("email", _("%(value)s is already used by another person") % {"value": person.email}, UNIQUE)
        )
    if person.external_id and others.filter(external_id=person.external_id).exists():
        errors.append(
            FieldError(
                "external_id", _("%(value)s is already used by another person") % {"value": person.external_id}, UNIQUE
            )
        )


def _save_or_conflict(person: Person) -> None:
    """Save; a concurrent insert of the same email loses with a field error, not a 500."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        if "external_id" in str(exc):
            raise ValidationFailed.on(
                "external_id", f"{person.external_id} is already used by another person", code=UNIQUE
            ) from None
        raise ValidationFailed.on(
            "email", _("%(value)s is already used by another person") % {"value": person.email}, code=UNIQUE
        ) from None


def person_create(*, actor: Person | SystemActor, tenant_id: int, data: PersonInput) -> Person:
    """A new person, by an admin or by the system (a new tenant's first admin, the demo loader)."""
    if not isinstance(actor, SystemActor) and not permissions.can_manage_people(actor):
        raise forbidden("create people")
    clean, errors = clean_person_input(data.given(), partial=False)
    _resolve_manager(tenant_id, clean, errors)
    _raise_if(errors, "Invalid person")
    with transaction.atomic():
        person = Person(tenant_id=tenant_id)
        _apply_clean_fields(person, clean)
        _check_unique(person, errors)
        _raise_if(errors, "Invalid person")
        _save_or_conflict(person)
        audit_record(
            tenant_id=tenant_id,
            **audit_actor(actor),
            action="person.create",
            object_type="person",
            object_id=person.pk,
            after=person_snapshot(person),
        )
        people_changed.send(sender=Person, tenant_id=tenant_id, person_ids=[person.pk])
    return person


LAST_ADMIN_REFUSAL = "is the organisation's last active admin; make another person admin first"
ROLE_EMAIL_REFUSAL = (
    "belongs to a person with a role in duecourse (admin, HR or instructor): an admin changes it in duecourse, "
    "not the identity provider"
)


def _last_admin_errors(person: Person, clean: dict[str, Any]) -> list[FieldError]:
    """An organisation keeps an active admin, whoever acts (an admin, HR, SCIM): the last one is neither
    deactivated nor loses the role. Run under the person's row lock (the other admins' rows are locked too)."""
    if not (person.active and person.is_admin):
        return []
    deactivated = clean.get("active") is False
    demoted = "roles" in clean and "admin" not in clean["roles"]
    if not (deactivated or demoted):
        return []
    others = Person.objects.select_for_update().filter(tenant_id=person.tenant_id, active=True, is_admin=True)
    if others.exclude(pk=person.pk).exists():
        return []
    return [FieldError("active" if deactivated else "roles", f"{person.email} {LAST_ADMIN_REFUSAL}")]


def _provisioned_email_errors(actor: Person | SystemActor, person: Person, clean: dict[str, Any]) -> list[FieldError]:
    """The identity provider (SCIM, the system actor) does not change the sign-in email of a person who holds a
    role: with a changed email, "forgot password" would mail the role's account to whoever the address is."""
    if not isinstance(actor, SystemActor) or "email" not in clean or clean["email"] == person.email:
        return []
    if any(getattr(person, f"is_{role}") for role in roles.STORED_ROLES):
        return [FieldError("email", ROLE_EMAIL_REFUSAL)]
    return []


def person_update(*, actor: Person | SystemActor, person: Person, data: PersonInput, reason: str = "") -> Person:
    """Change the fields given (PATCH); no audit entry when nothing changes. The system actor (SCIM
    provisioning) changes the people of its own tenant only."""
    given = data.given()
    clean, errors = clean_person_input(given, partial=True)
    if isinstance(actor, SystemActor):
        if actor.tenant_id != person.tenant_id:
            raise forbidden("change this person")
    else:
        if not permissions.can_change_person_fields(actor, person, set(given)):
            raise forbidden(
                "change this person" if not set(given) <= permissions.SELF_EDITABLE_FIELDS else "change them"
            )
        errors += [
            FieldError(name, message) for name, message in permissions.self_lockout_errors(actor, person.pk, clean)
        ]
    _resolve_manager(person.tenant_id, clean, errors)
    new_manager = clean.get("manager_id")
    if new_manager is not None and manager_chain_contains(
        tenant_id=person.tenant_id, start_manager_id=new_manager, person_id=person.pk
    ):
        errors.append(
            FieldError("manager_id", _("would make a reporting cycle (a person cannot manage their own manager)"))
        )
    _raise_if(errors, "Invalid person")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        errors += _provisioned_email_errors(actor, person, clean) + _last_admin_errors(person, clean)
        _raise_if(errors, "Invalid person")
        before = person_snapshot(person)
        _apply_clean_fields(person, clean)
        _check_unique(person, errors)
        _raise_if(errors, "Invalid person")
        after = person_snapshot(person)
        if after == before:
            return person
        _save_or_conflict(person)
        old, new = changed_fields(before, after)
        audit_record(
            tenant_id=person.tenant_id,
            **audit_actor(actor),
            action="person.update",
            object_type="person",
            object_id=person.pk,
            before=old,
            after=new,
            reason=reason,
        )
        people_changed.send(sender=Person, tenant_id=person.tenant_id, person_ids=[person.pk])
    return person


def password_policy_errors(password: str, person: Person) -> str:
    """The password policy's messages for this password and person ("" when it passes): the one check
    behind every way a password is set (`AUTH_PASSWORD_VALIDATORS`)."""
    try:
        validate_password(password, user=person)  # type: ignore[arg-type]  # PersonAttributeSimilarityValidator
    except DjangoValidationError as exc:
        return " ".join(exc.messages)
    return ""


def person_set_password(
    *, person: Person, password: str, actor: Person | None = None, enforce_policy: bool = True, action: str = ""
) -> None:
    """Give a person a web login (a Django user linked one-to-one) with this password. Their other
    sessions end (Django's session hash covers the password). `enforce_policy=False` is for the demo
    company's documented password only."""
    if enforce_policy and (errors := password_policy_errors(password, person)):
        raise ValidationFailed.on("password", errors)
    user_model = get_user_model()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.user is None:
            user = user_model(username=f"t{person.tenant_id}:{person.email}", email=person.email)
            user.set_password(password)
            user.save()
            person.user = user
            person.save(update_fields=["user"])
        else:
            person.user.set_password(password)
            person.user.save(update_fields=["password"])
        audit_record(
            tenant_id=person.tenant_id,
            actor_id=actor.pk if actor is not None else None,
            action=action or "person.set_password",
            object_type="person",
            object_id=person.pk,
        )


FORGOT_PASSWORD_LABEL = "Forgot password form (anyone who knows the email)"  # noqa: S105 (an audit label)


def password_reset_request(*, email: str, tenant_name: str | None) -> None:
    """ "Forgot password": email a one-hour, single-use reset link to the account this email (and
    organisation) resolves to, if any. The caller answers the same either way, and the work is the same:
    one look-up and one token either way; the email itself is written by the notifications app
    (`password_reset_requested`), keyed so a request sends it once."""
    person = login_account(email, tenant_name)
    user = person.user if person is not None else None
    if person is None or user is None or not user.is_active or password_sign_in_refused(person):
        reset_tokens.make_token(get_user_model()(pk=0, password=UNUSABLE))  # the same work as below
        return
    token = reset_tokens.make_token(user)
    path = reverse("password-reset", kwargs={"person_id": person.pk, "token": token})
    with transaction.atomic():
        password_reset_requested.send(
            sender=Person,
            person=person,
            link=f"{settings.BASE_URL}{path}",
            dedup_key=f"password-reset:{person.pk}:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
        )
        audit_record(
            tenant_id=person.tenant_id,
            actor_id=None,
            actor_label=FORGOT_PASSWORD_LABEL,
            action="person.password_reset_requested",
            object_type="person",
            object_id=person.pk,
        )


def password_reset_person(*, person_id: int, token: str) -> Person | None:
    """The person a reset link is for, while the link is valid (an hour, unused); else None."""
    person = Person.objects.filter(pk=person_id, active=True).select_related("user").first()
    if person is None or person.user is None or not reset_tokens.check_token(person.user, token):
        return None
    return None if password_sign_in_refused(person) else person


def password_reset_complete(*, person_id: int, token: str, password: str) -> Person:
    """Set the new password through a reset link; the link then no longer works (the token hashed the
    old password), and every session of the person ends."""
    person = password_reset_person(person_id=person_id, token=token)
    if person is None:
        raise ValidationFailed.on("token", RESET_LINK_INVALID)
    person_set_password(person=person, password=password, actor=person, action="person.password_reset")
    return person


def person_user(person: Person) -> Any:
    """The person's Django user as stored now (after a password change, for the session's hash)."""
    return get_user_model().objects.get(person__pk=person.pk)


def password_change(*, actor: Person, current: str, new: str) -> None:
    """A signed-in person changes their own password: the current one is required (never in an
    organisation that signs in by SSO only)."""
    if password_sign_in_refused(actor):
        raise PermissionDenied(detail=str(SSO_ONLY_MESSAGE))
    user = actor.user
    if user is None or not user.check_password(current):
        raise ValidationFailed.on("current_password", _("That is not your current password."))
    person_set_password(person=actor, password=new, actor=actor, action="person.password_change")


def person_sign_in_unlock(*, actor: Person, person: Person) -> bool:
    """An admin lifts a person's sign-in lock (too many failed logins); audited. False: not locked."""
    if not permissions.can_manage_people(actor) or actor.tenant_id != person.tenant_id:
        raise forbidden("unlock sign-in")
    with transaction.atomic():
        was_locked = throttle.person_sign_in_locked(person)
        throttle.person_sign_in_unlock(person)
        if was_locked:
            audit_record(
                tenant_id=person.tenant_id,
                actor_id=actor.pk,
                action="person.sign_in_unlock",
                object_type="person",
                object_id=person.pk,
            )
    return was_locked


def token_secret_hash(secret: str) -> str:
    """How every bearer secret (API and SCIM tokens) is stored: a SHA-256 of a 256-bit random secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, actor: Person | SystemActor, person: Person, name: str = "", expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token, by its person, an admin, or the system (the `token` command, the demo loader); the
    plain text is returned once and never stored. From `expires_at` on (when given) it no longer works."""
    if not isinstance(actor, SystemActor) and not permissions.can_manage_tokens(actor, person):
        raise forbidden("create tokens for this person")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            tenant_id=person.tenant_id,
            person=person,
            name=name[:MAX_TOKEN_NAME_LENGTH],
            prefix=prefix,
            secret_hash=token_secret_hash(secret),
            expires_at=expires_at,
        )
        audit_record(
            tenant_id=person.tenant_id,
            **audit_actor(actor),
            action="token.create",
            object_type="api_token",
            object_id=token.pk,
            after={
                "person_id": person.pk,
                "prefix": prefix,
                "name": token.name,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return token, token_format.compose(prefix, secret)


def api_token_revoke(*, actor: Person, token: ApiToken) -> None:
    if not permissions.can_manage_tokens(actor, token.person):
        raise forbidden("revoke this token")
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
        if updated:
            audit_record(
                tenant_id=token.tenant_id,
                actor_id=actor.pk,
                action="token.revoke",
                object_type="api_token",
                object_id=token.pk,
            )


def api_token_authenticate(raw: str) -> Person | None:
    """The active person a bearer token stands for, or None."""
    parts = token_format.split_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    rows = _token_query(connection.vendor).fetch([prefix])
    if not rows:
        return None
    token_id, secret_hash, last_used_at, expires_at, *person_values = rows[0]
    if not hmac.compare_digest(secret_hash, token_secret_hash(secret)):
        return None
    moment = clock.now()
    if expires_at is not None and expires_at <= moment:
        return None
    # Touch last_used_at at most once a minute so reads do not become writes.
    if last_used_at is None or (moment - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=moment)
    return Person.from_db(connection.alias, [f.attname for f in Person._meta.concrete_fields], person_values)


@functools.cache
def _token_query(vendor: str) -> TypedQuery:
    """Every API request runs this: one indexed look-up by prefix, written out so it skips ORM compilation."""
    token_columns = {f.name: f for f in ApiToken._meta.concrete_fields}
    token_fields = [token_columns[name] for name in ("id", "secret_hash", "last_used_at", "expires_at")]
    person_fields = list(Person._meta.concrete_fields)

    def column(alias: str, field: "Field[Any, Any]") -> str:
        assert field.column is not None  # concrete fields always have one
        return f"{alias}.{connection.ops.quote_name(field.column)}"

    columns = [column("t", f) for f in token_fields] + [column("p", f) for f in person_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM api_token t JOIN person p ON p.id = t.person_id "
        "WHERE t.prefix = %s AND t.revoked_at IS NULL AND p.active"
    )
    return TypedQuery(sql, token_fields + person_fields)


def tenant_create(*, name: str, admin_email: str, admin_name: str = "") -> tuple[Tenant, Person]:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.on("name", "is required")
    if Tenant.objects.filter(name=name).exists():
        raise ValidationFailed.on("name", f"a tenant named {name!r} already exists", code=UNIQUE)
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name)
        admin = person_create(
            actor=SystemActor(tenant_id=tenant.pk, label="System: new organisation"),
            tenant_id=tenant.pk,
            data=PersonInput(email=admin_email, name=admin_name or admin_email, roles=["admin"]),
        )
    return tenant, admin


def tenant_by_name(name: str | None) -> Tenant | None:
    if name:
        return Tenant.objects.filter(name=name).first()
    return None


def person_find_by_email(*, email: str, tenant_name: str | None = None) -> Person:
    """For the CLI: the one person with this email (in the named tenant when given)."""
    people = Person.objects.filter(email=(email or "").strip().lower())
    if tenant_name:
        people = people.filter(tenant__name=tenant_name)
    found = list(people.select_related("tenant")[:2])
    if not found:
        raise ValidationFailed.on(
            "email", f"no person with email {email}" + (f" in {tenant_name}" if tenant_name else "")
        )
    if len(found) > 1:
        raise ValidationFailed.on("tenant", f"{email} exists in several tenants: name one with --tenant")
    return found[0]
