"""Who does a change that no person made: the system actor (living rules, the scheduler)."""

from dataclasses import dataclass
from typing import Any, Protocol

SYSTEM_LABEL = "System"
# Room for "Rule: " and the longest rule name; longer labels are cut rather than failing the change.
MAX_ACTOR_LABEL_LENGTH = 300


@dataclass(frozen=True)
class SystemActor:
    """The product itself acting in one tenant, e.g. a living rule keeping its audience current or the
    scheduler starting a new cycle. Audited with no person and this label; it is never a Person, so it
    cannot pass a person's permission check by accident."""

    tenant_id: int
    label: str = SYSTEM_LABEL


class PersonLike(Protocol):
    """A person as the kernel sees one (the kernel imports no domain app)."""

    @property
    def pk(self) -> Any: ...


def audit_actor(actor: PersonLike | SystemActor) -> dict:
    """The audit event's actor columns for this actor: a person's id, or none and the system's label."""
    if isinstance(actor, SystemActor):
        return {"actor_id": None, "actor_label": actor.label[:MAX_ACTOR_LABEL_LENGTH]}
    return {"actor_id": actor.pk, "actor_label": ""}
