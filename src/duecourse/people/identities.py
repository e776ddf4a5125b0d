"""Writes for single sign-on: a tenant's connection settings, and signing a person in from a validated
OpenID Connect identity (match by subject, else by email; link; optionally create). The `sso` app runs
the protocol and calls these; the rules they apply live in `people.sign_in`.
"""

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction

from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record, changed_fields
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.people import permissions, secret_box
from duecourse.people.inputs import PersonInput, SsoConnectionInput
from duecourse.people.limits import (
    MAX_ALLOWED_DOMAINS,
    MAX_CLAIM_NAME_LENGTH,
    MAX_CLIENT_ID_LENGTH,
    MAX_CLIENT_SECRET_LENGTH,
    MAX_ISSUER_LENGTH,
    MAX_SUBJECT_LENGTH,
)
from duecourse.people.models import Invitation, OidcIdentity, Person, SsoConnection
from duecourse.people.selectors import live_invitations
from duecourse.people.services import person_create
from duecourse.people.sign_in import (
    SSO_SESSION_KEY,
    EmailRefusal,
    EnvironmentSso,
    SsoSettings,
    email_match_refusal,
    sso_settings_for,
    tenants_claiming_domain,
)
from duecourse.people.validation import clean_email

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CLAIM_NAME = re.compile(r"^[A-Za-z0-9_.:/-]+$")
SSO_SIGN_IN_LABEL = "Single sign-on"
PROVIDER_LOCKED_BY_SSO_ONLY = (
    "cannot change while SSO only is on (a wrong value would lock everyone out): switch SSO only off and "
    "save first, sign in with the new setting, then switch it on again"
)
SSO_ONLY_SET_BY_ENVIRONMENT = "the environment sets SSO only (DUECOURSE_OIDC_SSO_ONLY): unset it and restart"
ENTER_IT_AGAIN_FOR_NEW_PROVIDER = (
    "enter the client secret again: the issuer or client ID changed, and the stored secret is never sent "
    "to another provider"
)


# --- settings ------------------------------------------------------------------------------------
def insecure_loopback_allowed() -> bool:
    """Plain http and this machine's own addresses, for a provider running beside duecourse: only with
    DEBUG or OIDC_ALLOW_INSECURE_LOOPBACK (the test settings), never in production."""
    return bool(settings.DEBUG or getattr(settings, "OIDC_ALLOW_INSECURE_LOOPBACK", False))


def _is_loopback_name(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


def address_refusal(address: str) -> str | None:
    """Why duecourse will not call a provider at this IP address (an admin's setting must not reach this
    machine or its private network): loopback only as `insecure_loopback_allowed`; link-local (cloud
    metadata services) never; other non-public ranges only with OIDC_ALLOW_PRIVATE_ADDRESSES."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    if ip.is_loopback:
        return None if insecure_loopback_allowed() else "must not name this machine"
    if ip.is_link_local:
        return "must not name a link-local address"
    if not ip.is_global and not getattr(settings, "OIDC_ALLOW_PRIVATE_ADDRESSES", False):
        return "must name a public host, not a private or reserved address"
    return None


def provider_url_refusal(url: str) -> str | None:
    """Why duecourse will not call this provider URL (the issuer, and every endpoint its discovery names):
    https to a public host; plain http only to this machine, and only as `insecure_loopback_allowed`."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower() if parsed.scheme in ("https", "http") else ""
    if not host:
        return "must be a URL such as https://login.example.com/realms/acme"
    loopback = _is_loopback_name(host) or _ip_is_loopback(host)
    if parsed.scheme == "http" and not (loopback and insecure_loopback_allowed()):
        return "must start with https:// (plain http is only accepted for this machine, when testing)"
    if _is_loopback_name(host):
        return None if insecure_loopback_allowed() else "must not name this machine"
    return address_refusal(host)


def _ip_is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_issuer(value: str) -> str:
    """An issuer URL: https to a public host (plain http only on this machine, for testing), no query or
    fragment."""
    issuer = value.strip()
    if not issuer:
        raise ValueError("is required")
    if len(issuer) > MAX_ISSUER_LENGTH:
        raise ValueError(f"is longer than {MAX_ISSUER_LENGTH} characters")
    refusal = provider_url_refusal(issuer)
    if refusal:
        raise ValueError(refusal)
    parsed = urlparse(issuer)
    if parsed.query or parsed.fragment or any(c.isspace() for c in issuer):
        raise ValueError("must not contain spaces, a query (?…) or a fragment (#…)")
    return issuer


def clean_domains(value: list[str] | str) -> list[str]:
    parts = re.split(r"[\s,;]+", value) if isinstance(value, str) else list(value)
    domains: list[str] = []
    for part in parts:
        domain = part.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN.match(domain):
            raise ValueError(f"{part.strip()!r} is not a domain name such as example.com")
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_ALLOWED_DOMAINS:
        raise ValueError(f"lists more than {MAX_ALLOWED_DOMAINS} domains")
    return domains


def clean_claim_name(value: str, *, required: bool) -> str:
    name = value.strip()
    if not name:
        if required:
            raise ValueError("is required")
        return ""
    if len(name) > MAX_CLAIM_NAME_LENGTH or not CLAIM_NAME.match(name):
        raise ValueError("must be a claim name such as name, department or manager_email")
    return name


def connection_snapshot(row: SsoConnection) -> dict[str, Any]:
    """The settings as the audit log shows them: never the secret, only whether one is stored."""
    return {
        "enabled": row.enabled,
        "issuer": row.issuer,
        "client_id": row.client_id,
        "client_secret": "stored" if row.client_secret_sealed else "",
        "allowed_domains": list(row.allowed_domains or []),
        "sso_only": row.sso_only,
        "create_people_on_first_login": row.create_people_on_first_login,
        "claim_name": row.claim_name,
        "claim_department": row.claim_department,
        "claim_manager_email": row.claim_manager_email,
    }


def _clean_connection(
    data: SsoConnectionInput, row: SsoConnection, env_fields: frozenset[str]
) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    clean: dict[str, Any] = {"enabled": data.enabled, "create_people_on_first_login": data.create_people_on_first_login}
    checks = {
        "issuer": lambda: clean_issuer(data.issuer) if (data.enabled or data.issuer.strip()) else "",
        "client_id": lambda: _clean_client_id(data.client_id, required=data.enabled),
        "allowed_domains": lambda: clean_domains(data.allowed_domains),
        "claim_name": lambda: clean_claim_name(data.claim_name, required=True),
        "claim_department": lambda: clean_claim_name(data.claim_department, required=False),
        "claim_manager_email": lambda: clean_claim_name(data.claim_manager_email, required=False),
    }
    for name, check in checks.items():
        if name in env_fields:
            continue
        try:
            clean[name] = check()
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if "client_secret" not in env_fields:
        secret = data.client_secret or ""
        if len(secret) > MAX_CLIENT_SECRET_LENGTH:
            errors.append(FieldError("client_secret", f"is longer than {MAX_CLIENT_SECRET_LENGTH} characters"))
        elif secret:
            clean["client_secret"] = secret
        elif row.client_secret_sealed and provider_changed(row, clean):
            # The stored secret belongs to the old provider: never send it to another one.
            if data.enabled:
                errors.append(FieldError("client_secret", ENTER_IT_AGAIN_FOR_NEW_PROVIDER))
            else:
                clean["client_secret"] = ""
        elif data.enabled and not row.client_secret_sealed:
            errors.append(FieldError("client_secret", "is required (your provider shows it when you add duecourse)"))
    if "sso_only" not in env_fields:
        clean["sso_only"] = data.sso_only
        if data.sso_only and not data.enabled and not env_fields:
            errors.append(FieldError("sso_only", "needs single sign-on switched on"))
    if data.create_people_on_first_login and not clean.get("allowed_domains", row.allowed_domains):
        errors.append(
            FieldError(
                "create_people_on_first_login",
                "needs at least one allowed email domain, so only your organisation's addresses can be added",
            )
        )
    return clean, errors


def provider_changed(row: SsoConnection, clean: dict[str, Any]) -> bool:
    """Whether this save names another provider or client than the stored one (the secret then goes)."""
    return any(name in clean and clean[name] != getattr(row, name) for name in ("issuer", "client_id"))


def _clean_client_id(value: str, *, required: bool) -> str:
    client_id = value.strip()
    if not client_id:
        if required:
            raise ValueError("is required (your provider shows it when you add duecourse)")
        return ""
    if len(client_id) > MAX_CLIENT_ID_LENGTH or any(c.isspace() for c in client_id):
        raise ValueError(f"must be at most {MAX_CLIENT_ID_LENGTH} characters, without spaces")
    return client_id


def sso_connection_update(
    *, actor: Person, data: SsoConnectionInput, keep_session_key: str | None = None
) -> SsoConnection:
    """Save the actor's tenant's single sign-on settings (admins). Every bad field is named and nothing
    changes. Switching "SSO only" on needs the acting admin to have signed in by single sign-on with this
    provider once, so no admin locks the organisation (and themself) out with a wrong setting."""
    if not permissions.can_manage_sign_in(actor):
        raise forbidden("change how your organisation signs in")
    with transaction.atomic():
        row, _ = SsoConnection.objects.select_for_update().get_or_create(tenant_id=actor.tenant_id)
        before = connection_snapshot(row)
        current = sso_settings_for(actor.tenant_id)
        env_fields = current.from_environment if current else frozenset()
        clean, errors = _clean_connection(data, row, env_fields)
        claimed = [
            domain
            for domain in clean.get("allowed_domains", [])
            if domain not in (row.allowed_domains or [])
            and tenants_claiming_domain(domain, exclude_tenant_id=actor.tenant_id)
        ]
        if claimed:
            errors.append(
                FieldError(
                    "allowed_domains",
                    f"{', '.join(claimed)} {'is' if len(claimed) == 1 else 'are'} already listed by another "
                    "organisation on this installation; ask the operator if it is yours",
                )
            )
        was_sso_only = bool(current and current.sso_only)
        if was_sso_only and clean.get("sso_only", True):
            # With SSO only on, a wrong issuer or client ID would refuse everyone, this admin included.
            errors.extend(
                FieldError(name, PROVIDER_LOCKED_BY_SSO_ONLY)
                for name in ("issuer", "client_id")
                if name in clean and clean[name] != getattr(row, name)
            )
        issuer = _issuer_in_effect(env_fields, clean.get("issuer", ""))
        already_refused = any(e.field == "sso_only" for e in errors)
        if (
            clean.get("sso_only")
            and not was_sso_only
            and not already_refused
            and not _has_signed_in_by_sso(actor, issuer)
        ):
            errors.append(
                FieldError(
                    "sso_only",
                    "sign in with your organisation once yourself before requiring it for everyone "
                    "(so a wrong setting cannot lock you out)",
                )
            )
        if errors:
            raise ValidationFailed(
                detail="Invalid sign-in settings: " + "; ".join(f"{e.field} {e.message}" for e in errors),
                errors=errors,
            )
        switched_on = bool(clean.get("sso_only")) and not was_sso_only
        secret = clean.pop("client_secret", None)
        for name, value in clean.items():
            setattr(row, name, value)
        if secret is not None:
            row.client_secret_sealed = secret_box.seal(secret)  # "" (discarded) seals as ""
        elif row.client_secret_sealed:
            row.client_secret_sealed = secret_box.reseal(row.client_secret_sealed)
        row.save()
        after = connection_snapshot(row)
        old, new = changed_fields(before, after)
        if secret:
            old["client_secret"], new["client_secret"] = before["client_secret"], "replaced"
        if switched_on and sso_settings_for(actor.tenant_id) is not None:
            new["password_sessions_ended"] = end_password_sessions(actor.tenant_id, keep=keep_session_key)
        if new:
            audit_record(
                tenant_id=actor.tenant_id,
                actor_id=actor.pk,
                action="sso.settings_update",
                object_type="sso_connection",
                object_id=row.pk,
                before=old,
                after=new,
            )
    return row


def _issuer_in_effect(env_fields: frozenset[str], page_issuer: str) -> str:
    """The issuer a save or a check means: the environment's when it sets one, else the page's."""
    return EnvironmentSso.from_settings().issuer if "issuer" in env_fields else page_issuer


def issuer_to_check(*, actor: Person, typed_issuer: str) -> str:
    """The issuer "Check connection" may call (admins): the environment's, else the typed one through
    `clean_issuer`, so a check reaches no more than a saved setting could. ValidationFailed on `issuer`."""
    if not permissions.can_manage_sign_in(actor):
        raise forbidden("change how your organisation signs in")
    current = sso_settings_for(actor.tenant_id)
    env_fields = current.from_environment if current else frozenset()
    if "issuer" in env_fields:
        return _issuer_in_effect(env_fields, "")
    try:
        return clean_issuer(typed_issuer)
    except ValueError as exc:
        message = "is required to check the connection" if not typed_issuer.strip() else str(exc)
        raise ValidationFailed.on("issuer", message) from None


def end_password_sessions(tenant_id: int, *, keep: str | None = None) -> int:
    """SSO only switched on: end the tenant's sessions that were signed in by password (those without the
    single sign-on marker), except `keep` (the acting admin's own page). Returns how many ended. Sessions
    live in the database (Django's default engine); another engine keeps them until they expire."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    user_ids = {
        str(pk)
        for pk in Person.objects.filter(tenant_id=tenant_id, user__isnull=False).values_list("user_id", flat=True)
    }
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=clock.now()).exclude(session_key=keep or "").iterator()
        if _is_password_session(session.get_decoded(), user_ids)
    ]
    for start in range(0, len(ended), 500):
        Session.objects.filter(session_key__in=ended[start : start + 500]).delete()
    return len(ended)


def _is_password_session(data: dict[str, Any], user_ids: set[str]) -> bool:
    return str(data.get("_auth_user_id", "")) in user_ids and SSO_SESSION_KEY not in data


def sso_only_switch_off(*, tenant_id: int, label: str) -> bool:
    """Break glass (`duecourse tenant sso-only NAME --off`): the operator lets the tenant's passwords back
    in when its provider is broken and nobody can sign in to switch SSO only off. Audited as `label`;
    False when it was not on. Raises Conflict when the environment sets it (no row change would help)."""
    current = sso_settings_for(tenant_id)
    if current is not None and "sso_only" in current.from_environment:
        raise Conflict(SSO_ONLY_SET_BY_ENVIRONMENT)
    with transaction.atomic():
        row = SsoConnection.objects.select_for_update().filter(tenant_id=tenant_id).first()
        if row is None or not row.sso_only:
            return False
        row.sso_only = False
        row.save(update_fields=["sso_only", "updated_at"])
        audit_record(
            tenant_id=tenant_id,
            **audit_actor(SystemActor(tenant_id=tenant_id, label=label)),
            action="sso.settings_update",
            object_type="sso_connection",
            object_id=row.pk,
            before={"sso_only": True},
            after={"sso_only": False},
            reason="SSO only switched off from the command line",
        )
    return True


def _has_signed_in_by_sso(actor: Person, issuer: str) -> bool:
    return OidcIdentity.objects.filter(
        tenant_id=actor.tenant_id, person_id=actor.pk, issuer=issuer, last_login_at__isnull=False
    ).exists()


# --- signing in ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OidcClaims:
    """What a validated ID token says about the person, after the tenant's claim mapping."""

    issuer: str
    subject: str
    email: str = ""
    email_verified: bool | None = None
    name: str = ""
    department: str = ""
    manager_email: str = ""


class Refusal(StrEnum):
    UNKNOWN_PERSON = "unknown_person"
    DEACTIVATED = "deactivated"
    EMAIL_REFUSED = "email_refused"
    NOT_CREATED = "not_created"
    LINKED_TO_ANOTHER_ACCOUNT = "linked_to_another_account"


class SignInRefused(Exception):
    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


def oidc_sign_in(*, sso: SsoSettings, claims: OidcClaims) -> Person:
    """The person this identity signs in as: linked by subject, else matched by email (linked now), else
    created from the claims when the tenant allows it. Records the login and accepts the person's
    invitation. Raises SignInRefused, having changed nothing, when none applies."""
    if not claims.subject or len(claims.subject) > MAX_SUBJECT_LENGTH:
        raise SignInRefused(Refusal.UNKNOWN_PERSON, "the ID token has no usable subject")
    now = clock.now()
    with transaction.atomic():
        identity = (
            OidcIdentity.objects.select_related("person")
            .filter(tenant_id=sso.tenant_id, issuer=claims.issuer, subject=claims.subject)
            .first()
        )
        if identity is not None:
            person = identity.person
            if not person.active:
                raise SignInRefused(Refusal.DEACTIVATED)
        else:
            person = _person_by_email(sso, claims)
            identity = _link(person, claims, now)
        OidcIdentity.objects.filter(pk=identity.pk).update(last_login_at=now)
        _ensure_user(person)
        _accept_invitation(person, now)
    return Person.objects.select_related("user", "tenant").get(pk=person.pk)


def _person_by_email(sso: SsoSettings, claims: OidcClaims) -> Person:
    try:
        email = clean_email(claims.email)
    except ValueError:
        raise SignInRefused(Refusal.EMAIL_REFUSED, EmailRefusal.MISSING.value) from None
    refusal = email_match_refusal(
        email=email, email_verified=claims.email_verified, allowed_domains=sso.allowed_domains
    )
    if refusal is not None:
        raise SignInRefused(Refusal.EMAIL_REFUSED, refusal.value)
    person = Person.objects.filter(tenant_id=sso.tenant_id, email=email).first()
    if person is not None:
        if not person.active:
            raise SignInRefused(Refusal.DEACTIVATED)
        return person
    if not sso.create_people_on_first_login:
        raise SignInRefused(Refusal.UNKNOWN_PERSON)
    return _create_from_claims(sso, claims, email)


def _create_from_claims(sso: SsoSettings, claims: OidcClaims, email: str) -> Person:
    """A newcomer from the mapped claims, through `person_create` (its validation, its audit). A manager
    email naming nobody in the organisation is left out rather than refusing the sign-in."""
    manager = None
    if claims.manager_email:
        try:
            manager_email = clean_email(claims.manager_email)
        except ValueError:
            manager_email = ""
        if manager_email and Person.objects.filter(tenant_id=sso.tenant_id, email=manager_email).exists():
            manager = manager_email
    data = PersonInput(
        email=email,
        name=claims.name.strip() or email,
        department=claims.department.strip() or None,
        manager_email=manager,
    )
    try:
        with transaction.atomic():
            return person_create(
                actor=SystemActor(tenant_id=sso.tenant_id, label=SSO_SIGN_IN_LABEL),
                tenant_id=sso.tenant_id,
                data=data,
            )
    except ValidationFailed as exc:
        raise SignInRefused(Refusal.NOT_CREATED, exc.detail) from None


def _link(person: Person, claims: OidcClaims, now: dt.datetime) -> OidcIdentity:
    """Link the identity to the person, audited. A person already linked to another account of the same
    provider is refused: a second account with the same email must not take theirs over (an admin
    unlinks the old account first, `person_sso_unlink`, when it really was recreated)."""
    if OidcIdentity.objects.filter(tenant_id=person.tenant_id, person=person, issuer=claims.issuer).exists():
        raise SignInRefused(Refusal.LINKED_TO_ANOTHER_ACCOUNT)
    try:
        with transaction.atomic():
            identity = OidcIdentity.objects.create(
                tenant_id=person.tenant_id,
                person=person,
                issuer=claims.issuer,
                subject=claims.subject,
                created_at=now,
            )
    except IntegrityError:  # the same first login in another tab a moment ago
        return OidcIdentity.objects.get(tenant_id=person.tenant_id, issuer=claims.issuer, subject=claims.subject)
    audit_record(
        tenant_id=person.tenant_id,
        **audit_actor(SystemActor(tenant_id=person.tenant_id, label=SSO_SIGN_IN_LABEL)),
        action="person.sso_link",
        object_type="person",
        object_id=person.pk,
        after={"issuer": claims.issuer, "subject": claims.subject},
    )
    return identity


def person_sso_links(*, actor: Person, person: Person) -> list[OidcIdentity]:
    """The provider accounts linked to this person, for the admins who may unlink them (else none)."""
    if not permissions.can_manage_sign_in(actor) or person.tenant_id != actor.tenant_id:
        return []
    return list(OidcIdentity.objects.filter(tenant_id=actor.tenant_id, person_id=person.pk).order_by("issuer"))


def person_sso_unlink(*, actor: Person, person: Person) -> int:
    """Remove the person's links to provider accounts (admins): their next single sign-on links the account
    it comes with, by email. Audited with the links removed; returns how many there were."""
    if not permissions.can_manage_sign_in(actor) or person.tenant_id != actor.tenant_id:
        raise forbidden("unlink single sign-on")
    with transaction.atomic():
        links = OidcIdentity.objects.select_for_update().filter(tenant_id=actor.tenant_id, person_id=person.pk)
        removed = [{"issuer": i, "subject": s} for i, s in links.order_by("issuer").values_list("issuer", "subject")]
        if not removed:
            return 0
        links.delete()
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="person.sso_unlink",
            object_type="person",
            object_id=person.pk,
            before={"links": removed},
        )
    return len(removed)


def _ensure_user(person: Person) -> None:
    """A Django user for the session (no usable password: single sign-on is how they prove who they are)."""
    if person.user_id is not None:
        return
    user_model = get_user_model()
    username = f"t{person.tenant_id}:{person.email}"[:150]
    if user_model.objects.filter(username=username).exists():  # left behind by an earlier email change
        username = f"t{person.tenant_id}:p{person.pk}"
    user = user_model(username=username, email=person.email)
    user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user"])


def _accept_invitation(person: Person, now: dt.datetime) -> None:
    """The first sign-in by SSO uses the person's invitation, as setting a password through it would."""
    accepted = live_invitations().filter(person_id=person.pk).update(accepted_at=now)
    if accepted:
        invitation = Invitation.objects.filter(person_id=person.pk, accepted_at=now).first()
        audit_record(
            tenant_id=person.tenant_id,
            actor_id=person.pk,
            action="invitation.accept",
            object_type="person",
            object_id=person.pk,
            after={"invitation_id": invitation.pk if invitation else None, "via": "sso"},
        )
