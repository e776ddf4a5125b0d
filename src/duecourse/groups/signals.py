from typing import NamedTuple

from django.dispatch import Signal


class AudienceTab(NamedTuple):
    key: str  # what a page's `active` names
    label: str
    url: str


# Sent inside the transaction after members joined or left groups.
# kwargs: tenant_id, group_ids (the groups whose membership changed), person_ids (or None: unknown/many).
group_membership_changed = Signal()

# Asked inside the transaction before a group is deleted, so that the apps above groups can say what
# still depends on it without groups importing them. kwargs: tenant_id, group_id. Each receiver
# returns a list of `core.errors.FieldError` naming one blocker each (empty when nothing blocks);
# any blocker makes the delete a 409 that names them, and nothing is deleted.
group_delete_blockers = Signal()

# Sent inside the transaction after a group was deleted. kwargs: tenant_id, group_id, name, actor.
group_deleted = Signal()

# Asked when a group, department, site or region page draws its tabs, so the apps above groups can add
# theirs (the assignments app adds "Training") without groups importing them. kwargs: actor, kind
# ("group" | "department" | "site" | "region"), object_id. Each receiver returns a list of
# `AudienceTab`s (empty when the actor may not see it).
audience_tabs = Signal()
