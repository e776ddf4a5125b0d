"""What the shell's pages show, computed in Python so templates only loop over plain rows."""

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from duecourse.core.models import AuditEvent

MAX_SHOWN_VALUE_LENGTH = 300
COLLAPSE_ABOVE_FIELDS = 3


@dataclass(frozen=True)
class Change:
    """One field of an audit event: its value before and after (None where the event has no such side)."""

    field: str
    before: str | None
    after: str | None


def _as_fields(value: Any) -> dict[str, Any]:
    # before/after are JSON: normally an object, but a list or a bare value must not break the page.
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {"value": value}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = _("yes") if value else _("no")
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_SHOWN_VALUE_LENGTH else text[: MAX_SHOWN_VALUE_LENGTH - 1] + "…"


def audit_changes(event: AuditEvent) -> list[Change]:
    """The event's before/after as a list of (field, before, after), after's fields first.

    Any field name works, "items" and "keys" included: a template looking up `after.items` would get
    the field, not the dict's method (the audit page answered 500 after every rule save)."""
    before, after = _as_fields(event.before), _as_fields(event.after)
    fields = list(after) + [k for k in before if k not in after]
    return [
        Change(
            field=k,
            before=_shown(before[k]) if k in before else None,
            after=_shown(after[k]) if k in after else None,
        )
        for k in fields
    ]


def audit_row(event: AuditEvent, actor: Any) -> dict[str, Any]:
    changes = audit_changes(event)
    return {"event": event, "actor": actor, "changes": changes, "collapsed": len(changes) > COLLAPSE_ABOVE_FIELDS}
