"""A person's invitation state, the one rule: pure, no database. `selectors.INVITATION_STATE_SQL` is its
SQL form (held to it by `tests/test_invitations.py`)."""

import datetime as dt
from enum import StrEnum


class InvitationState(StrEnum):
    NONE = "none"  # never invited (or every invitation was replaced and none is live)
    INVITED = "invited"  # a live invitation whose link still works
    ACCEPTED = "accepted"  # an invitation was used: the person set a password through it
    EXPIRED = "expired"  # the live invitation's 7 days are over: send a new one


INVITATION_STATES = tuple(s.value for s in InvitationState)


def invitation_state(*, accepted: bool, live_expires_at: dt.datetime | None, now: dt.datetime) -> InvitationState:
    """Accepted wins; else the live invitation (at most one) decides: invited until it expires."""
    if accepted:
        return InvitationState.ACCEPTED
    if live_expires_at is None:
        return InvitationState.NONE
    return InvitationState.INVITED if live_expires_at > now else InvitationState.EXPIRED


def needs_invitation_link(*, has_logged_in: bool, accepted: bool) -> bool:
    """Emails to someone who never signed in (and never accepted an invitation) carry an invitation link."""
    return not has_logged_in and not accepted
