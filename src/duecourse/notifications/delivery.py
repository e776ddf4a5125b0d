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
import smtplib
import time
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
from duecourse.notifications.rendering import TemplateFailed, TenantTemplates, items_for, render_email

logger = logging.getLogger(__name__)
# Seconds before attempt 2, 3, …; the last value repeats for as long as a transient failure lasts.
BACKOFF_SECONDS = (60, 300, 900, 1800, 3600)
MAX_ATTEMPTS = 5  # only for permanent (5xx) refusals
DIGEST_HOUR = 7


def _locked(queryset):
    return (
        queryset.select_for_update(skip_locked=True, of=("self",))
        if connection.features.has_select_for_update_skip_locked
        else queryset
    )


def _local_date(timezone_name: str, now: dt.datetime) -> tuple[dt.date, int]:
    try:
        local = now.astimezone(zoneinfo.ZoneInfo(timezone_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = now
    return local.date(), local.hour


def _wants_digest_now(pref: NotificationPreference | None, timezone_name: str, now: dt.datetime) -> bool:
    today, hour = _local_date(timezone_name, now)
    return hour >= DIGEST_HOUR and (pref is None or pref.last_digest_on is None or pref.last_digest_on < today)


def compose_emails(*, now: dt.datetime, batch: int = 2000) -> int:
    """Turn pending notifications into at most one email per person (per custom template); returns emails written.

    Batches walk forward by person, so notifications waiting for a manager's digest never hold up the
    rest, and a batch boundary does not split one person's notifications into two emails.
    """
    written, after_person = 0, 0
    while True:
        count, after_person = _compose_batch(now=now, batch=batch, after_person=after_person)
        written += count
        if after_person is None:
            return written


def _compose_batch(*, now: dt.datetime, batch: int, after_person: int) -> tuple[int, int | None]:
    """One transaction; returns (emails written, the last person handled, or None when nothing is left)."""
    with transaction.atomic():
        claimed = list(
            _locked(
                Notification.objects.filter(
                    email_state=EMAIL_PENDING, created_at__lte=now, person_id__gt=after_person
                ).order_by("person_id", "id")
            ).select_related("person", "about", "assignment")[:batch]
        )
        if not claimed:
            return 0, None
        last_person = claimed[-1].person_id
        if len(claimed) == batch and claimed[0].person_id != last_person:
            # The last person may have more pending: they go whole into the next batch.
            claimed = [n for n in claimed if n.person_id != last_person]
            last_person = claimed[-1].person_id
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
        grouped = [n for notes in by_recipient.values() for n in notes]
        items = dict(zip((n.pk for n in grouped), items_for(grouped), strict=True))
        templates = TenantTemplates({n.tenant_id for n in grouped})
        emails = []
        digests_sent: dict[int, str] = {}
        for (person_id, template), notes in by_recipient.items():
            person = notes[0].person
            person_items = [items[n.pk] for n in notes]
            state, error = OutboxMessage.PENDING, ""
            try:
                subject, text, html = render_email(
                    tenant_id=person.tenant_id,
                    person=person,
                    items=person_items,
                    template_name=template,
                    templates=templates,
                )
            except TemplateFailed as exc:
                state, error = OutboxMessage.HELD, str(exc)
                subject, text, html = f"(held) {person_items[0].headline}"[:300], "", ""
                logger.warning("Email for person %s held: %s", person_id, error)
            emails.append(
                OutboxMessage(
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
            )
            pref = prefs.get(person_id)
            about_others = any(n.about_id not in (None, person_id) for n in notes)
            if pref is not None and pref.manager_daily_digest and about_others:
                digests_sent[person_id] = person.timezone
        OutboxMessage.objects.bulk_create(emails, batch_size=1000)
        Notification.objects.filter(pk__in=[n.pk for n in grouped]).update(email_state=EMAIL_SENT)
        written = len(emails)
        for person_id, timezone_name in digests_sent.items():
            pref = prefs[person_id]
            pref.last_digest_on = _local_date(timezone_name, now)[0]
            pref.save(update_fields=["last_digest_on"])
    return written, last_person


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer about this message (e.g. 550 no such mailbox); outages and 4xx answers are transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _is_outage(exc: Exception) -> bool:
    """The server cannot be reached or talked to at all: no point trying the next message this tick."""
    if isinstance(exc, smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # service not available, closing the channel
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPRecipientsRefused)


def _retry_at(attempts: int, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)])


def deliver_outbox(*, now: dt.datetime, batch: int = 10_000, budget_seconds: float = 120.0) -> tuple[int, int]:
    """Send due outbox messages; returns (sent, failed attempts). An SMTP outage delays mail, loses none.

    Transient failures (no connection, 4xx) are retried with backoff for as long as it takes; only a
    message the server keeps refusing with 5xx is given up (state failed) after MAX_ATTEMPTS.
    """
    sent = failed = 0
    deadline = time.monotonic() + budget_seconds  # a huge backlog yields to the next tick's other steps
    smtp = get_connection(fail_silently=False)
    try:
        for _ in range(batch):
            if time.monotonic() > deadline:
                break
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
                    smtp.open()  # once per tick; a no-op while the connection is up
                    email.send(fail_silently=False)
                except Exception as exc:  # any transport failure is retried with backoff
                    failed += 1
                    message.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
                    if _is_permanent(exc) and message.attempts >= MAX_ATTEMPTS:
                        message.state = OutboxMessage.FAILED
                    else:
                        message.next_attempt_at = _retry_at(message.attempts, now)
                    message.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
                    logger.warning("Email %s not delivered (attempt %s): %s", message.pk, message.attempts, exc)
                    with contextlib.suppress(Exception):  # a broken connection is replaced below
                        smtp.close()
                    if _is_outage(exc):
                        break  # the rest wait for the next tick instead of each waiting for a timeout
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
