"""Pure rules about a group's standing: provisioned by the identity provider, archived. No database access;
services, forms, views, selectors and other apps' presenters import these (one home for each rule)."""

import datetime as dt
from typing import Protocol

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PROVISIONED_NOTICE = gettext_lazy("Managed by your identity provider (SCIM): change its members there.")
PROVISIONED_REFUSAL = gettext_lazy("is managed by your identity provider (SCIM): change it there")
ARCHIVED_REFUSAL = gettext_lazy("the group is archived and takes no members")


class GroupState(Protocol):
    """What these rules read of a group (a `Group`, or a row with the same fields)."""

    external_id: str | None
    archived_at: dt.datetime | None
    archived_reason: str


class ManagedGroupState(GroupState, Protocol):
    """What the provisioning rules read besides: when SCIM first created or wrote the group (or None)."""

    provisioned_at: dt.datetime | None


def group_is_provisioned(group: ManagedGroupState) -> bool:
    """The identity provider owns this group (SCIM created it or wrote it, with or without an `externalId`:
    Okta pushes groups without one): its name and members change there, not in duecourse. The system actor
    (SCIM itself) still changes them."""
    return group.provisioned_at is not None


def group_is_archived(group: GroupState) -> bool:
    """An archived group is empty for good: kept for history and for the configurations that named it."""
    return group.archived_at is not None


def archived_notice(group: GroupState) -> str:
    """'Archived on 7 Dec 2026: removed by the identity provider' (empty for a group that is not archived)."""
    if group.archived_at is None:
        return ""
    return _("Archived on %(day)s: %(reason)s") % {
        "day": archived_day(group),
        "reason": group.archived_reason or _("no longer in use"),
    }


def archived_day(group: GroupState) -> str:
    """The day it was archived as pages write dates ('7 Dec 2026', the month in the active language); empty
    when it is not archived."""
    return dateformat.format(group.archived_at, "j M Y") if group.archived_at is not None else ""


def members_edited_here(group: ManagedGroupState, kind: str) -> bool:
    """Whether people add and remove this group's members in duecourse: a static group that is neither archived
    nor managed by the identity provider (a dynamic group's members come from its rule)."""
    return kind == "static" and not group_is_archived(group) and not group_is_provisioned(group)
