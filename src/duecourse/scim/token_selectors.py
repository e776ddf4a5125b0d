"""Reads of the tenant's SCIM connection for its admins: the tokens (never their secrets) and what the
identity provider changed lately (the audit events its tokens' system actor wrote)."""

from django.db.models import Min, QuerySet

from duecourse.core.errors import forbidden, not_found
from duecourse.core.models import AuditEvent
from duecourse.people.models import Person
from duecourse.scim import permissions
from duecourse.scim.models import ScimToken

# `scim_actor` labels every change made through a SCIM token "SCIM: <token name>".
SCIM_ACTOR_LABEL_PREFIX = "SCIM:"
RECENT_ACTIVITY = 10


def scim_token_list(*, actor: Person) -> QuerySet[ScimToken]:
    """The tenant's SCIM tokens, newest first, revoked ones included (with `revoked_at`)."""
    if not permissions.can_manage_scim_tokens(actor):
        raise forbidden("see SCIM tokens")
    return (
        ScimToken.objects.filter(tenant_id=actor.tenant_id).select_related("created_by").order_by("-created_at", "-id")
    )


def access_scim_token(*, actor: Person, token_id: int) -> ScimToken:
    """A token of the actor's tenant (403 for those who may not manage tokens; another tenant's is not found)."""
    token = scim_token_list(actor=actor).filter(pk=token_id).first()
    if token is None:
        raise not_found("SCIM token")
    return token


def scim_recent_activity(*, actor: Person, limit: int = RECENT_ACTIVITY) -> list[AuditEvent]:
    """The latest changes the identity provider made through any of the tenant's SCIM tokens.

    Bounded by the first token's creation: nothing before it can be SCIM's, so a tenant that never used
    SCIM does not make the database walk its whole audit log looking for one."""
    tokens = scim_token_list(actor=actor)
    first = tokens.filter(last_used_at__isnull=False).aggregate(first=Min("created_at"))["first"]
    if first is None:
        return []
    return list(
        AuditEvent.objects.filter(
            tenant_id=actor.tenant_id,
            actor_id__isnull=True,
            actor_label__startswith=SCIM_ACTOR_LABEL_PREFIX,
            at__gte=first,
        ).order_by("-at", "-id")[:limit]
    )
