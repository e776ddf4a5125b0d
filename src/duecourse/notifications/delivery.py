"""The worker's two email steps: compose pending notifications into outbox emails, then deliver them.

Composing claims notifications with row locks (SKIP LOCKED on PostgreSQL) and writes the email and the
notifications' new state in one transaction: a notification is put into at most one email. Delivery
holds the outbox row's lock while talking SMTP and marks it sent in the same transaction, so a
message is sent once unless the process dies between SMTP's acceptance and the commit (then it is
sent again on restart: at-least-once at that single boundary; the Message-ID stays the same).
"""

import contextlib
import datetime as dt
import logging
import zoneinfo
from collections import defaultdict

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction

from duecourse.notifications.models import (
    CATEGORY_OF_KIND,
    EMAIL_PENDING,
    EMAIL_SENT,
    EMAIL_SKIPPED,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from duecourse.notifications.rendering import TemplateFailed, items_for, render_email

logger = logging.getLogger(__name__)
BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
MAX_ATTEMPTS = 10
DIGEST_HOUR = 7


def _locked(queryset):
    return (
        queryset.select_for_update(skip_locked=True, of=("self",))
        if connection.features.has_select_for_update_skip_locked
        else queryset
    )


def _wants_digest_now(pref: NotificationPreference | None, timezone_name: str, now: dt.datetime) -> bool:
    try:
        local = now.astimezone(zoneinfo.ZoneInfo(timezone_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = now
    return local.hour >= DIGEST_HOUR and (
        pref is None or pref.last_digest_on is None or pref.last_digest_on < local.date()
    )


def compose_emails(*, now: dt.datetime, batch: int = 2000) -> int:
    """Turn pending notifications into at most one email per person (per custom template); returns emails written."""
    written = 0
    with transaction.atomic():
        claimed = list(
            _locked(
                Notification.objects.filter(email_state=EMAIL_PENDING, created_at__lte=now).order_by("person_id", "id")
            ).select_related("person", "about", "assignment")[:batch]
        )
        if not claimed:
            return 0
        prefs = {
            p.person_id: p for p in NotificationPreference.objects.filter(person_id__in={n.person_id for n in claimed})
        }
        by_recipient: dict[tuple[int, str], list[Notification]] = defaultdict(list)
        skipped = []
        for n in claimed:
            pref = prefs.get(n.person_id)
            category = CATEGORY_OF_KIND.get(n.kind, "reminders")
            if not n.person.active or (pref is not None and not getattr(pref, f"email_{category}", True)):
                skipped.append(n.pk)
                continue
            about_someone_else = n.about_id not in (None, n.person_id)
            digest_later = (
                pref is not None and pref.manager_daily_digest and not _wants_digest_now(pref, n.person.timezone, now)
            )
            if about_someone_else and digest_later:
                continue  # stays pending until the recipient's daily digest
            by_recipient[(n.person_id, n.template)].append(n)
        Notification.objects.filter(pk__in=skipped).update(email_state=EMAIL_SKIPPED)
        digests_sent = set()
        for (person_id, template), notes in by_recipient.items():
            person = notes[0].person
            items = items_for(notes)
            state, error = OutboxMessage.PENDING, ""
            try:
                subject, text, html = render_email(
                    tenant_id=person.tenant_id, person=person, items=items, template_name=template
                )
            except TemplateFailed as exc:
                state, error = OutboxMessage.HELD, str(exc)
                subject, text, html = f"(held) {items[0].headline}"[:300], "", ""
                logger.warning("Email for person %s held: %s", person_id, error)
            OutboxMessage.objects.create(
                tenant_id=person.tenant_id,
                person=person,
                to_email=person.email,
                subject=subject,
                body_text=text,
                body_html=html,
                dedup_key=f"notifications:{notes[0].pk}",
                state=state,
                created_at=now,
                next_attempt_at=now,
                last_error=error,
            )
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(email_state=EMAIL_SENT)
            if (
                any(n.about_id not in (None, n.person_id) for n in notes)
                and prefs.get(person_id)
                and prefs[person_id].manager_daily_digest
            ):
                digests_sent.add(person_id)
            written += 1
        if digests_sent:
            for person_id in digests_sent:
                pref = prefs[person_id]
                pref.last_digest_on = now.date()
                pref.save(update_fields=["last_digest_on"])
    return written


def deliver_outbox(*, now: dt.datetime, batch: int = 200) -> tuple[int, int]:
    """Send due outbox messages; returns (sent, failed attempts). An SMTP outage delays mail, loses none."""
    sent = failed = 0
    smtp = get_connection(fail_silently=False)
    try:
        for _ in range(batch):
            with transaction.atomic():
                message = (
                    _locked(OutboxMessage.objects.filter(state=OutboxMessage.PENDING, next_attempt_at__lte=now))
                    .order_by("next_attempt_at", "id")
                    .first()
                )
                if message is None:
                    break
                email = EmailMultiAlternatives(
                    subject=message.subject,
                    body=message.body_text,
                    to=[message.to_email],
                    headers={"Message-ID": f"<outbox-{message.tenant_id}-{message.pk}@duecourse>"},
                    connection=smtp,
                )
                if message.body_html:
                    email.attach_alternative(message.body_html, "text/html")
                message.attempts += 1
                try:
                    email.send(fail_silently=False)
                except Exception as exc:  # any transport failure is retried with backoff
                    failed += 1
                    message.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
                    if message.attempts >= MAX_ATTEMPTS:
                        message.state = OutboxMessage.FAILED
                    else:
                        delay = BACKOFF_SECONDS[min(message.attempts - 1, len(BACKOFF_SECONDS) - 1)]
                        message.next_attempt_at = now + dt.timedelta(seconds=delay)
                    message.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
                    with contextlib.suppress(Exception):  # a broken connection is replaced below
                        smtp.close()
                    smtp = get_connection(fail_silently=False)
                    continue
                message.state = OutboxMessage.SENT
                message.sent_at = now
                message.last_error = ""
                message.save(update_fields=["attempts", "last_error", "state", "sent_at"])
                sent += 1
    finally:
        with contextlib.suppress(Exception):
            smtp.close()
    return sent, failed
