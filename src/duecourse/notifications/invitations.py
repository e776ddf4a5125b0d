"""Invitation emails: written into the outbox with the invitations (one per invitation, keyed by its id),
worded when first delivered, with the link `people.invitations` makes."""

import datetime as dt

from django.db.models import BooleanField, CharField, DateTimeField, F, IntegerField, TextField, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from duecourse.core import clock
from duecourse.core.sql import insert_select_ignore_conflicts
from duecourse.notifications.models import OutboxMessage
from duecourse.notifications.rendering import recipient_language
from duecourse.notifications.services import OUTBOX_COLUMNS, base_url
from duecourse.people.invitations import invitation_link
from duecourse.people.models import Invitation
from duecourse.people.sign_in import invitation_sign_in_link, sso_settings_for

KEY_PREFIX = "invitation:"


def queue_invitation_emails(*, tenant_id: int, invitation_ids: list[int], now: dt.datetime | None = None) -> int:
    """One outbox email per invitation, in the caller's transaction; the dedup key makes it exactly once."""
    now = now or clock.now()
    rows = Invitation.objects.filter(tenant_id=tenant_id, pk__in=invitation_ids).values_list(
        "tenant_id",
        "person_id",
        "person__email",
        Value("", output_field=CharField()),
        Value("", output_field=TextField()),
        Value("", output_field=TextField()),
        Concat(Value(KEY_PREFIX), Cast(F("pk"), CharField()), output_field=CharField()),
        Value(OutboxMessage.PENDING, output_field=CharField()),
        Value(now, output_field=DateTimeField()),
        Value(0, output_field=IntegerField()),
        Value(now, output_field=DateTimeField()),
        Value("", output_field=TextField()),
        Value(False, output_field=BooleanField()),
        Value("", output_field=CharField()),
    )
    return insert_select_ignore_conflicts(OutboxMessage._meta.db_table, OUTBOX_COLUMNS, rows)


def is_invitation_email(message: OutboxMessage) -> bool:
    return message.dedup_key.startswith(KEY_PREFIX)


def render_invitation_email(message: OutboxMessage) -> str | None:
    """Word the invitation email in place; returns why it must not be sent (a replaced or used
    invitation: its link no longer works), else None."""
    invitation = (
        Invitation.objects.select_related("person", "tenant")
        .filter(tenant_id=message.tenant_id, pk=int(message.dedup_key.removeprefix(KEY_PREFIX)))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None or invitation.accepted_at is not None:
        return "invitation replaced or used before this email was sent"
    sso = sso_settings_for(invitation.tenant)
    context = {
        "sso_link": invitation_sign_in_link(tenant_name=invitation.tenant.name, email=invitation.person.email)
        if sso
        else "",
        "sso_only": bool(sso and sso.sso_only),
        "person": {"name": invitation.person.name, "email": invitation.person.email},
        "organisation": invitation.tenant.name,
        "link": invitation_link(invitation),
        "expires_at": invitation.expires_at,
        "base_url": base_url(),
    }
    with recipient_language(invitation.person):
        subject = _("You are invited to %(organisation)s on duecourse") % {"organisation": invitation.tenant.name}
        message.subject = subject[:300]
        message.body_text = render_to_string("notifications/email/invitation.txt", context)
        message.body_html = render_to_string("notifications/email/invitation.html", context)
    return None
