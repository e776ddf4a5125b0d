"""Invitations: a single-use link, valid 7 days, to set a password and sign in.

- `invitations_send` (the API's invite, the person page, a selection, and later "invite on creation
  and import") sends new invitations set-based and replaces each person's live one; the emails are
  written by notifications (the `invitations_sent` signal) in the same transaction, one per invitation.
- `invitations_for_emails` is called by the worker when it composes emails: everyone about to get an
  email who never signed in gets a live invitation (reusing the live one), and the email carries its
  link (`invitation_link_for`).
- `invitation_accept` checks the link, the two passwords and the password validators, then marks the
  invitation accepted and sets the password, all or nothing.

Tokens are never stored: `invitation_token` is an HMAC keyed by SECRET_KEY over the row's id and its
random nonce. So the server can write the same live link into several emails (the invitation and the
assignment emails that follow it) without keeping a secret in the database; a leaked database holds no
working link. Changing SECRET_KEY ends all outstanding links (send new ones).
"""

import base64
import datetime as dt
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import CharField, DateTimeField, Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.sql import RandomHex, insert_select_ignore_conflicts, typed_value
from duecourse.people import permissions
from duecourse.people.inputs import PersonInput
from duecourse.people.limits import INVITATION_VALID_DAYS, INVITE_BATCH
from duecourse.people.models import Invitation, Person
from duecourse.people.selectors import (
    accepted_invitation_exists,
    live_invitations,
    needs_invitation_filter,
    never_signed_in_filter,
)
from duecourse.people.services import person_create, person_set_password
from duecourse.people.sign_in import SSO_ONLY_MESSAGE, password_sign_in_refused
from duecourse.people.signals import invitations_sent

KEY_SALT = "duecourse.people.invitation"
INVITATION_COLUMNS = ["tenant_id", "person_id", "nonce", "via", "created_at", "expires_at"]
MAX_AUDITED_IDS = 1000


class SkipReason(StrEnum):
    NOT_FOUND = "not found"
    DEACTIVATED = "deactivated"
    ACCEPTED = "already accepted an invitation (they sign in with their password)"
    RACED = "invited by someone else at the same moment"


# The reasons in a page's words (the API reports the values above, in English).
SKIP_REASON_TEXT = {
    SkipReason.NOT_FOUND.value: gettext_lazy("not found"),
    SkipReason.DEACTIVATED.value: gettext_lazy("deactivated"),
    SkipReason.ACCEPTED.value: gettext_lazy("already accepted an invitation (they sign in with their password)"),
    SkipReason.RACED.value: gettext_lazy("invited by someone else at the same moment"),
}


@dataclass
class InviteOutcome:
    """What `invitations_send` did: how many were invited, and who was skipped and why."""

    invited: int = 0
    invitation_ids: list[int] = field(default_factory=list)
    skipped: dict[int, SkipReason] = field(default_factory=dict)  # person id → reason

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(Counter(reason.value for reason in self.skipped.values()))

    def summary(self) -> str:
        """ "Invited 3; skipped 2: 1 deactivated, 1 already accepted …" for a page's message."""
        text = ngettext("Invited %(count)d person", "Invited %(count)d people", self.invited) % {"count": self.invited}
        if self.skipped:
            reasons = ", ".join(
                f"{n} {SKIP_REASON_TEXT.get(reason, reason)}" for reason, n in sorted(self.skipped_by_reason().items())
            )
            text += _("; skipped %(count)d: %(reasons)s") % {"count": len(self.skipped), "reasons": reasons}
        return text + "."


def expires_at_from(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=INVITATION_VALID_DAYS)


# --- links ---------------------------------------------------------------------------------------
def invitation_token(invitation: Invitation) -> str:
    mac = salted_hmac(KEY_SALT, f"{invitation.pk}:{invitation.person_id}:{invitation.nonce}", algorithm="sha256")
    return f"{invitation.pk}-{base64.urlsafe_b64encode(mac.digest()).rstrip(b'=').decode()}"


def invitation_link(invitation: Invitation) -> str:
    """DUECOURSE_BASE_URL + /invitation/<token>/"""
    return settings.BASE_URL + reverse("invitations:accept", args=[invitation_token(invitation)])


def invitation_link_for(*, person_id: int, now: dt.datetime) -> str | None:
    """The link an email to this person carries instead of a bare login link: their live invitation's,
    when they never signed in and it still works; else None."""
    if not Person.objects.filter(pk=person_id).filter(never_signed_in_filter()).exists():
        return None
    invitation = live_invitations().filter(person_id=person_id, expires_at__gt=now).first()
    return invitation_link(invitation) if invitation else None


class LinkProblem(StrEnum):
    UNKNOWN = "This invitation link is not valid. Check that you copied the whole link from the email."
    USED = "This invitation link was already used. Sign in with the password you set."
    REPLACED = "A newer invitation replaced this one. Use the link in the most recent invitation email."
    EXPIRED = "This invitation link has expired: links work for 7 days."

    @property
    def text(self) -> str:
        """The problem in the active language (the value is the English words)."""
        return str(LINK_PROBLEM_TEXT[self])


LINK_PROBLEM_TEXT = {
    LinkProblem.UNKNOWN: gettext_lazy(
        "This invitation link is not valid. Check that you copied the whole link from the email."
    ),
    LinkProblem.USED: gettext_lazy("This invitation link was already used. Sign in with the password you set."),
    LinkProblem.REPLACED: gettext_lazy(
        "A newer invitation replaced this one. Use the link in the most recent invitation email."
    ),
    LinkProblem.EXPIRED: gettext_lazy("This invitation link has expired: links work for 7 days."),
}


def invitation_by_token(token: str, now: dt.datetime) -> tuple[Invitation | None, LinkProblem | None]:
    """The invitation a link stands for and whether it can still be used (nothing is changed)."""
    id_text, _, _ = token.partition("-")
    if not id_text.isdigit() or len(id_text) > 18:
        return None, LinkProblem.UNKNOWN
    invitation = Invitation.objects.select_related("person__user", "tenant").filter(pk=int(id_text)).first()
    if invitation is None or not constant_time_compare(invitation_token(invitation), token):
        return None, LinkProblem.UNKNOWN
    if not invitation.person.active:
        return None, LinkProblem.UNKNOWN
    if invitation.accepted_at is not None:
        return invitation, LinkProblem.USED
    if invitation.revoked_at is not None:
        return invitation, LinkProblem.REPLACED
    if invitation.expires_at <= now:
        return invitation, LinkProblem.EXPIRED
    return invitation, None


# --- writes --------------------------------------------------------------------------------------
def _insert_invitations(people: QuerySet, *, via: str, now: dt.datetime) -> list[tuple[int, int]]:
    """One new invitation per person in `people` (who must have no live one): one statement.
    Returns (id, tenant_id) of the rows written; a person another transaction just invited is skipped."""
    select = people.values_list(
        "tenant_id",
        "pk",
        RandomHex(),
        typed_value(via, CharField()),
        typed_value(now, DateTimeField()),
        typed_value(expires_at_from(now), DateTimeField()),
    )
    ids = insert_select_ignore_conflicts(Invitation._meta.db_table, INVITATION_COLUMNS, select, returning="id")
    return list(Invitation.objects.filter(pk__in=ids).values_list("pk", "tenant_id"))


def invitations_send(*, actor: Person, person_ids: Collection[int]) -> InviteOutcome:
    """Invite these people of the actor's tenant (an invitation email each), set-based.

    A person's live invitation, expired or not, is replaced (its link stops working). Skipped, with the
    reason: unknown ids, deactivated people, people who already accepted an invitation. Thousands of ids
    go in batches of `INVITE_BATCH`, each its own transaction (a few statements per batch, none per
    person); a crash part-way leaves whole batches sent, and inviting "everyone not yet invited" again
    picks up the rest.
    """
    if not permissions.can_invite_people(actor):
        raise forbidden("invite people")
    wanted = sorted(set(person_ids))
    outcome = InviteOutcome()
    for start in range(0, len(wanted), INVITE_BATCH):
        _send_batch(actor, set(wanted[start : start + INVITE_BATCH]), outcome)
    return outcome


def person_create_and_invite(*, actor: Person, data: PersonInput, invite: bool) -> tuple[Person, InviteOutcome | None]:
    """Add a person (`services.person_create`) and, when asked, invite them: both or neither."""
    with transaction.atomic():
        person = person_create(actor=actor, tenant_id=actor.tenant_id, data=data)
        return person, invitations_send(actor=actor, person_ids=[person.pk]) if invite else None


def invitations_send_matching(*, actor: Person, people: QuerySet) -> InviteOutcome:
    """Invite everyone in `people` (a filtered people list) who needs an invitation: active, not accepted
    and without a working link (`selectors.needs_invitation_filter`)."""
    ids = list(people.filter(needs_invitation_filter(clock.now())).values_list("pk", flat=True))
    return invitations_send(actor=actor, person_ids=ids)


def _send_batch(actor: Person, wanted: set[int], outcome: InviteOutcome) -> None:
    with transaction.atomic():
        now = clock.now()
        people = Person.objects.filter(tenant_id=actor.tenant_id, pk__in=wanted)
        facts = people.annotate(accepted=accepted_invitation_exists()).values_list("pk", "active", "accepted")
        found = set()
        skipped: dict[int, SkipReason] = {}
        for pk, active, accepted in facts:  # three columns per person, to say why each one was skipped
            found.add(pk)
            if not active:
                skipped[pk] = SkipReason.DEACTIVATED
            elif accepted:
                skipped[pk] = SkipReason.ACCEPTED
        skipped.update({pk: SkipReason.NOT_FOUND for pk in wanted - found})
        eligible = people.filter(active=True).exclude(accepted_invitation_exists())
        live_invitations().filter(tenant_id=actor.tenant_id, person__in=eligible).update(revoked_at=now)
        written = _insert_invitations(eligible, via=Invitation.VIA_INVITE, now=now)
        invitation_ids = [pk for pk, _ in written]
        if len(written) < len(found) - len(skipped):
            new = Invitation.objects.filter(pk__in=invitation_ids)
            invited_people = set(new.values_list("person_id", flat=True))
            skipped.update({pk: SkipReason.RACED for pk in found - invited_people if pk not in skipped})
        if written:
            invited_ids = sorted(wanted - set(skipped))
            audit_record(
                tenant_id=actor.tenant_id,
                **audit_actor(actor),
                action="invitation.send",
                object_type="person",
                object_id=invited_ids[0] if len(invited_ids) == 1 else None,
                after={"count": len(written), "person_ids": invited_ids[:MAX_AUDITED_IDS]},
            )
            invitations_sent.send(sender=Invitation, tenant_id=actor.tenant_id, invitation_ids=invitation_ids)
    outcome.invited += len(written)
    outcome.invitation_ids += invitation_ids
    outcome.skipped.update(skipped)


def invitation_send_one(*, actor: Person, person: Person) -> Invitation:
    """Invite one person (the API's `POST /people/{id}/invite`): a skip is an error naming the field."""
    outcome = invitations_send(actor=actor, person_ids=[person.pk])
    reason = outcome.skipped.get(person.pk)
    if reason is SkipReason.DEACTIVATED:
        raise Conflict(
            detail=_("This person is deactivated: reactivate them before inviting"),
            errors=[FieldError("active", _("is false: deactivated people cannot be invited"))],
        )
    if reason is SkipReason.ACCEPTED:
        raise Conflict(
            detail=_("This person already accepted an invitation"),
            errors=[FieldError("invitation", _("is accepted: they sign in with their password"))],
        )
    if reason is not None:
        raise Conflict(
            detail=_("Not invited: %(reason)s") % {"reason": SKIP_REASON_TEXT.get(reason.value, reason.value)},
            errors=[FieldError("invitation", str(SKIP_REASON_TEXT.get(reason.value, reason.value)))],
        )
    return Invitation.objects.get(pk=outcome.invitation_ids[0])


def invitations_for_emails(*, recipients: QuerySet, now: dt.datetime) -> int:
    """Before emails are delivered to `recipients` (a values("person_id") queryset): each active one who
    never signed in and has no working invitation gets one (an expired one is replaced), so the email
    carries its link and the person shows as invited. A working invitation is reused, not replaced:
    every email until they accept carries the same link. Set-based; one audit event per tenant."""
    candidates = (
        Person.objects.filter(pk__in=recipients, active=True)
        .filter(never_signed_in_filter())
        .exclude(Exists(live_invitations().filter(person_id=OuterRef("pk"), expires_at__gt=now)))
    )
    live_invitations().filter(person__in=candidates).update(revoked_at=now)
    written = _insert_invitations(candidates, via=Invitation.VIA_ASSIGNMENT_EMAIL, now=now)
    for tenant_id, count in Counter(tenant_id for _person, tenant_id in written).items():
        audit_record(
            tenant_id=tenant_id,
            **audit_actor(SystemActor(tenant_id=tenant_id)),
            action="invitation.send",
            object_type="person",
            object_id=None,
            after={"count": count, "via": Invitation.VIA_ASSIGNMENT_EMAIL},
        )
    return len(written)


def invitation_accept(*, token: str, password: str, password_again: str) -> Person:
    """Use the link: set the person's password (Django's validators as configured) and mark the
    invitation accepted, all or nothing. Errors name `token`, `password` or `password_again`."""
    user_model = get_user_model()
    with transaction.atomic():
        now = clock.now()
        invitation, problem = invitation_by_token(token, now)
        if problem is not None or invitation is None:
            raise ValidationFailed.on("token", (problem or LinkProblem.UNKNOWN).text)
        person = invitation.person
        if password_sign_in_refused(person):
            raise ValidationFailed.on("password", str(SSO_ONLY_MESSAGE))
        if password != password_again:
            raise ValidationFailed.on("password_again", _("does not match the password"))
        user = person.user or user_model(
            username=f"t{person.tenant_id}:{person.email}", email=person.email, first_name=person.name[:150]
        )
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed.on("password", " ".join(exc.messages)) from None
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now)
        if not claimed:  # another request used it a moment ago
            raise ValidationFailed.on("token", LinkProblem.USED.text)
        person_set_password(person=person, password=password)
        audit_record(
            tenant_id=person.tenant_id,
            actor_id=person.pk,
            action="invitation.accept",
            object_type="person",
            object_id=person.pk,
            after={"invitation_id": invitation.pk},
        )
    return Person.objects.select_related("user", "tenant").get(pk=person.pk)
