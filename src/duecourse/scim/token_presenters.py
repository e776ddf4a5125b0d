"""What the Provisioning (SCIM) page shows of the identity provider's recent changes, in words."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duecourse.core.models import AuditEvent
from duecourse.scim.token_selectors import SCIM_ACTOR_LABEL_PREFIX

# "Created person Ann Example": each verb with each kind of object, whole, as each language words it.
WHAT = {
    ("create", "person"): gettext_lazy("Created person"),
    ("update", "person"): gettext_lazy("Changed person"),
    ("delete", "person"): gettext_lazy("Deleted person"),
    ("deactivate", "person"): gettext_lazy("Deactivated person"),
    ("reactivate", "person"): gettext_lazy("Reactivated person"),
    ("create", "group"): gettext_lazy("Created group"),
    ("update", "group"): gettext_lazy("Changed group"),
    ("delete", "group"): gettext_lazy("Deleted group"),
    ("archive", "group"): gettext_lazy("Archived group"),
}
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
    kind, _dot, verb = event.action.partition(".")
    name = after.get("name") or before.get("name") or after.get("email") or before.get("email")
    if verb == "update" and after.get("active") is False:
        verb = "deactivate"  # SCIM `active: false` and DELETE: the leaver flow
    elif verb == "update" and after.get("active") is True and before.get("active") is False:
        verb = "reactivate"
    known = WHAT.get((verb, event.object_type))
    what = (
        str(known) if known else f"{verb.replace('_', ' ').capitalize() or kind} {event.object_type.replace('_', ' ')}"
    )
    if name:
        what = _("%(what)s %(name)s") % {"what": what, "name": name}
    elif event.object_id:
        what = _("%(what)s #%(id)s") % {"what": what, "id": event.object_id}
    if verb in ("update", "deactivate", "reactivate"):
        changed = [k for k in after if k != "active" and (k not in ("name", "email") or before.get(k) != after.get(k))]
        if changed:
            shown = ", ".join(k.replace("_", " ") for k in changed[:MAX_CHANGED_FIELDS])
            what += f" ({shown}{', …' if len(changed) > MAX_CHANGED_FIELDS else ''})"
    connection = event.actor_label.removeprefix(SCIM_ACTOR_LABEL_PREFIX).strip()
    return ActivityRow(
        at=event.at, connection=connection, what=what, object_type=event.object_type, object_id=event.object_id
    )
