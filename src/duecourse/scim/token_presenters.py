"""What the Provisioning (SCIM) page shows of the identity provider's recent changes, in words."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from duecourse.core.models import AuditEvent
from duecourse.scim.token_selectors import SCIM_ACTOR_LABEL_PREFIX

VERBS = {
    "create": "Created",
    "update": "Changed",
    "delete": "Deleted",
    "archive": "Archived",
    "deactivate": "Deactivated",
    "reactivate": "Reactivated",
}
OBJECT_WORDS = {"person": "person", "group": "group"}
MAX_CHANGED_FIELDS = 4


@dataclass(frozen=True)
class ActivityRow:
    at: datetime
    connection: str
    what: str
    object_type: str
    object_id: int | None


def _fields(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def activity_row(event: AuditEvent) -> ActivityRow:
    """One audit event by a SCIM token as "Changed person Ann Example (department, manager_id)"."""
    before, after = _fields(event.before), _fields(event.after)
    kind, _, verb = event.action.partition(".")
    name = after.get("name") or before.get("name") or after.get("email") or before.get("email")
    subject = OBJECT_WORDS.get(event.object_type, event.object_type.replace("_", " "))
    if verb == "update" and after.get("active") is False:
        verb = "deactivate"  # SCIM `active: false` and DELETE: the leaver flow
    elif verb == "update" and after.get("active") is True and before.get("active") is False:
        verb = "reactivate"
    what = f"{VERBS.get(verb, verb.replace('_', ' ').capitalize() or kind)} {subject}"
    what += f" {name}" if name else (f" #{event.object_id}" if event.object_id else "")
    if verb in ("update", "deactivate", "reactivate"):
        changed = [k for k in after if k != "active" and (k not in ("name", "email") or before.get(k) != after.get(k))]
        if changed:
            shown = ", ".join(k.replace("_", " ") for k in changed[:MAX_CHANGED_FIELDS])
            what += f" ({shown}{', …' if len(changed) > MAX_CHANGED_FIELDS else ''})"
    connection = event.actor_label.removeprefix(SCIM_ACTOR_LABEL_PREFIX).strip()
    return ActivityRow(
        at=event.at, connection=connection, what=what, object_type=event.object_type, object_id=event.object_id
    )
