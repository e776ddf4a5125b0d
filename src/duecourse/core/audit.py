"""Writing audit events; called by services inside the transaction of the change."""

from duecourse.core import clock
from duecourse.core.models import AuditEvent


def audit_record(
    *,
    tenant_id: int,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """One event; `actor_id=None` is the system (pass `**audit_actor(actor)` to name which)."""
    return AuditEvent.objects.create(
        tenant_id=tenant_id,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
        at=clock.now(),
    )


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
