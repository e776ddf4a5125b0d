"""SCIM tokens: one per identity-provider connection, shown once, stored hashed, revocable.

A SCIM request acts for the token's tenant as the system (`SystemActor` labelled with the token), not as
a person, so the audit log says "SCIM: <token name>" for every change the identity provider makes.
"""

import hmac
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from duecourse.core import clock
from duecourse.core.actors import SystemActor
from duecourse.core.audit import audit_record
from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.people.models import Person
from duecourse.people.services import token_secret_hash
from duecourse.scim import permissions
from duecourse.scim.models import ScimToken

SCIM_TOKEN_PREFIX = "scim"  # noqa: S105
MAX_SCIM_TOKEN_NAME_LENGTH = 100


def scim_actor(token: ScimToken) -> SystemActor:
    """Who the audit log names for a change made through this token."""
    return SystemActor(tenant_id=token.tenant_id, label=f"SCIM: {token.name or token.prefix}")


def scim_token_create(*, actor: Person, name: str = "") -> tuple[ScimToken, str]:
    """A new SCIM token for the actor's tenant; the plain text is returned once and never stored."""
    if not permissions.can_manage_scim_tokens(actor):
        raise forbidden("create SCIM tokens")
    name = (name or "").strip()
    if len(name) > MAX_SCIM_TOKEN_NAME_LENGTH:
        raise ValidationFailed.on("name", _("at most %(max)s characters") % {"max": MAX_SCIM_TOKEN_NAME_LENGTH})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(
            tenant_id=actor.tenant_id,
            name=name,
            prefix=prefix,
            secret_hash=token_secret_hash(secret),
            created_by_id=actor.pk,
        )
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="scim_token.create",
            object_type="scim_token",
            object_id=token.pk,
            after={"prefix": prefix, "name": name},
        )
    return token, f"{SCIM_TOKEN_PREFIX}_{prefix}_{secret}"


def scim_token_revoke(*, actor: Person, token: ScimToken) -> bool:
    """Revoke a token of the actor's tenant; False when it was already revoked."""
    if not permissions.can_manage_scim_tokens(actor) or token.tenant_id != actor.tenant_id:
        raise forbidden("revoke SCIM tokens")
    with transaction.atomic():
        updated = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
        if updated:
            audit_record(
                tenant_id=token.tenant_id,
                actor_id=actor.pk,
                action="scim_token.revoke",
                object_type="scim_token",
                object_id=token.pk,
            )
    return bool(updated)


def scim_token_authenticate(raw: str) -> ScimToken | None:
    """The live token a bearer secret stands for, or None."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != SCIM_TOKEN_PREFIX:
        return None
    token = ScimToken.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, token_secret_hash(parts[2])):
        return None
    moment = clock.now()
    # Touch last_used_at at most once a minute so a sync of thousands of users does not write it each time.
    if token.last_used_at is None or (moment - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=moment)
        token.last_used_at = moment
    return token
