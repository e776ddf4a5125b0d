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

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Concat

from duecourse.core import clock
from duecourse.core.sql import insert_select_ignore_conflicts, skip_locked
from duecourse.core.timezones import zone_of
from duecourse.notifications.attachments import AttachmentFailed, resolve_attachments
from duecourse.notifications.invitations import is_invitation_email, render_invitation_email
from duecourse.notifications.models import (
    CATEGORIES,
    CATEGORY_OF_KIND,
    EMAIL_PENDING,
    EMAIL_SENT,
    EMAIL_SKIPPED,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from duecourse.notifications.rendering import (
    TemplateFailed,
    TenantTemplates,
    items_for,
    recipient_language,
    render_email,
)
from duecourse.notifications.services import OUTBOX_COLUMNS
from duecourse.people.invitations import invitation_link_for, invitations_for_emails
from duecourse.people.models import Person

logger = logging.getLogger(__name__)
# Seconds before attempt 2, 3, …; the last value repeats for as long as a transient failure lasts.
BACKOFF_SECONDS = (60, 300, 900, 1800, 3600)
MAX_ATTEMPTS = 5  # only for permanent (5xx) refusals
DIGEST_HOUR = 7


def _local_date(timezone_name: str, now: dt.datetime) -> tuple[dt.date, int]:
    local = now.astimezone(zone_of(timezone_name))
    return local.date(), local.hour


def _wants_digest_now(pref: NotificationPreference | None, timezone_name: str, now: dt.datetime) -> bool:
    today, hour = _local_date(timezone_name, now)
    return hour >= DIGEST_HOUR and (pref is None or pref.last_digest_on is None or pref.last_digest_on < today)


def compose_emails(*, now: dt.datetime) -> int:
    """Turn pending notifications into at most one email per person (per custom template), set-based.

    Notifications whose category the person turned off (or of deactivated people) are skipped; a
    manager's daily-digest items wait for the digest hour. Each remaining group becomes one outbox row
    (its words are rendered when it is first delivered) and its notifications point at it, all in
    one transaction: a notification is put into at most one email. Returns the emails written.
    The scheduler runs it in one worker at a time (its "compose" lock).
    """
    with transaction.atomic():
        pending = Notification.objects.filter(email_state=EMAIL_PENDING, created_at__lte=now)
        watermark = pending.aggregate(top=Max("pk"))["top"]
        if watermark is None:
            return 0
        pending = pending.filter(pk__lte=watermark)
        _skip_unwanted(pending)
        held = _held_for_digest(pending, now)
        if connection.vendor == "postgresql":
            written = _claim_and_compose(watermark=watermark, held=held, now=now)
            _invite_recipients(watermark, now)
            return written
        # SQLite: this transaction has held the only write lock since `_skip_unwanted`, so nothing can
        # commit between the two statements below.
        ready = pending.exclude(pk__in=held) if held else pending
        groups = (
            ready.order_by()
            .values("tenant_id", "person_id", "person__email", "template")
            .annotate(first=Min("pk"))
            .values_list(
                "tenant_id",
                "person_id",
                "person__email",
                Value("", output_field=CharField()),
                Value("", output_field=TextField()),
                Value("", output_field=TextField()),
                _email_key(watermark),
                Value(OutboxMessage.PENDING, output_field=CharField()),
                Value(now, output_field=DateTimeField()),
                Value(0, output_field=IntegerField()),
                Value(now, output_field=DateTimeField()),
                Value("", output_field=TextField()),
                Value(False, output_field=BooleanField()),
                "template",
            )
        )
        written = insert_select_ignore_conflicts(
            OutboxMessage._meta.db_table,
            OUTBOX_COLUMNS,
            groups,
        )
        # Mark each notification with its email's key: a plain UPDATE, no join, whatever the statistics say.
        ready.update(email_key=_email_key(watermark), email_state=EMAIL_SENT)
        _invite_recipients(watermark, now)
    return written


def _invite_recipients(watermark: int, now: dt.datetime) -> None:
    """Recipients of this round's emails who never signed in get a live invitation (or keep theirs), in
    the composing transaction, so the emails carry its link when they are worded (`_invitation_link`)."""
    recipients = OutboxMessage.objects.filter(
        state=OutboxMessage.PENDING, next_attempt_at=now, dedup_key__startswith=f"notifications:{watermark}:"
    ).values("person_id")
    invitations_for_emails(recipients=recipients, now=now)


def _claim_and_compose(*, watermark: int, held: list[int], now: dt.datetime) -> int:
    """PostgreSQL: mark the ready notifications and write their emails in one statement, so one snapshot.

    As two statements (insert the emails, then mark the notifications), a notification another
    transaction committed in between with an id under the watermark (a worker fanning out a big
    operation) would be marked as sent without being in any email.
    """
    prefix = f"notifications:{watermark}:"
    sql = """
        WITH claimed AS (
            UPDATE notification AS n
            SET email_key = %s || n.person_id::text || ':' || n.template, email_state = %s
            WHERE n.email_state = %s AND n.created_at <= %s AND n.id <= %s AND NOT (n.id = ANY(%s::bigint[]))
            RETURNING n.tenant_id, n.person_id, n.template
        )
        INSERT INTO outbox (tenant_id, person_id, to_email, subject, body_text, body_html, dedup_key, state,
            created_at, attempts, next_attempt_at, last_error, rendered, template)
        SELECT c.tenant_id, c.person_id, p.email, '', '', '', %s || c.person_id::text || ':' || c.template,
            %s, %s, 0, %s, '', false, c.template
        FROM claimed AS c JOIN person AS p ON p.id = c.person_id
        GROUP BY c.tenant_id, c.person_id, p.email, c.template
        ON CONFLICT DO NOTHING
    """
    params = (prefix, EMAIL_SENT, EMAIL_PENDING, now, watermark, held, prefix, OutboxMessage.PENDING, now, now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _email_key(watermark: int) -> Concat:
    """One email per person and template per composing round: the outbox dedup key, as SQL."""
    return Concat(
        Value(f"notifications:{watermark}:"),
        Cast("person_id", CharField()),
        Value(":"),
        F("template"),
        output_field=CharField(),
    )


def _skip_unwanted(pending) -> None:
    # EXISTS, not a join: Django turns an UPDATE over a join into `id IN (a self-join)`, which a stale
    # row estimate (a burst of new rows) plans as a nested loop of rows × rows — minutes for 10,000.
    inactive = Person.objects.filter(pk=OuterRef("person_id"), active=False)
    pending.filter(Exists(inactive)).update(email_state=EMAIL_SKIPPED)
    for category in CATEGORIES:
        kinds = [kind for kind, of in CATEGORY_OF_KIND.items() if of == category]
        opted_out = NotificationPreference.objects.filter(
            person_id=OuterRef("person_id"), **{f"email_{category}": False}
        )
        pending.filter(Exists(opted_out), kind__in=kinds).update(email_state=EMAIL_SKIPPED)


def _held_for_digest(pending, now: dt.datetime) -> list[int]:
    """Items about others for managers on a daily digest wait until the digest hour (few people: Python)."""
    about_others = pending.filter(
        email_state=EMAIL_PENDING, person__notification_preference__manager_daily_digest=True, about__isnull=False
    ).exclude(about_id=F("person_id"))
    held: list[int] = []
    sent_digest: list[NotificationPreference] = []
    prefs = {
        p.person_id: p for p in NotificationPreference.objects.filter(person_id__in=about_others.values("person_id"))
    }
    for person_id, timezone_name in about_others.order_by().values_list("person_id", "person__timezone").distinct():
        pref = prefs[person_id]
        if _wants_digest_now(pref, timezone_name, now):
            pref.last_digest_on = _local_date(timezone_name, now)[0]
            sent_digest.append(pref)
        else:
            held.extend(about_others.filter(person_id=person_id).values_list("pk", flat=True))
    NotificationPreference.objects.bulk_update(sent_digest, ["last_digest_on"])
    return held


class RenderCache:
    """What a delivery run looks up once and reuses for every email: tenants' templates, target titles."""

    def __init__(self):
        self.templates: dict[int, TenantTemplates] = {}
        self.titles: dict = {}

    def templates_of(self, tenant_id: int) -> TenantTemplates:
        if tenant_id not in self.templates:
            self.templates[tenant_id] = TenantTemplates({tenant_id})
        return self.templates[tenant_id]


def render_outbox_message(message: OutboxMessage, cache: RenderCache | None = None) -> None:
    """Write the subject and bodies from the message's notifications; a failing template holds it."""
    if is_invitation_email(message):
        problem = render_invitation_email(message)  # in the invitee's language
        if problem:
            message.state, message.last_error = OutboxMessage.HELD, problem
        message.rendered = True
        message.save(update_fields=["subject", "body_text", "body_html", "rendered", "state", "last_error"])
        return
    cache = cache or RenderCache()
    notes = list(
        Notification.objects.filter(tenant_id=message.tenant_id, email_key=message.dedup_key)
        .select_related("person", "about", "assignment")
        .order_by("id")
    )
    if not notes:
        message.state, message.last_error = OutboxMessage.HELD, "no notifications to render"
        return
    person = notes[0].person
    try:
        with recipient_language(person):  # words, subject and dates in the recipient's language
            items = items_for(notes, known_titles=cache.titles)
            subject, text, html = render_email(
                tenant_id=message.tenant_id,
                person=person,
                items=items,
                template_name=message.template,
                templates=cache.templates_of(message.tenant_id),
                invitation_link=invitation_link_for(person_id=person.pk, now=clock.now()),
            )
    except TemplateFailed as exc:
        message.state, message.last_error = OutboxMessage.HELD, str(exc)
        message.subject = f"(held) {items[0].headline}"[:300]
        logger.warning("Email %s held: %s", message.pk, exc)
    else:
        message.subject, message.body_text, message.body_html = subject, text, html
    message.rendered = True
    message.save(update_fields=["subject", "body_text", "body_html", "rendered", "state", "last_error"])


def _attach(email: EmailMultiAlternatives, message: OutboxMessage) -> bool:
    """Add the message's files; one that cannot be produced holds the message (never sent without it)."""
    try:
        files = resolve_attachments(message.tenant_id, message.attachments)
    except AttachmentFailed as exc:
        message.state, message.last_error = OutboxMessage.HELD, f"Attachment failed: {exc}"[:2000]
        message.save(update_fields=["state", "last_error"])
        logger.warning("Email %s held: %s", message.pk, exc)
        return False
    for file in files:
        email.attach(file.filename, file.content, file.mimetype)
    return True


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
    cache = RenderCache()  # one delivery run: templates and titles looked up once (a later run sees edits)
    try:
        for _ in range(batch):
            if time.monotonic() > deadline:
                break
            with transaction.atomic():
                message = (
                    skip_locked(OutboxMessage.objects.filter(state=OutboxMessage.PENDING, next_attempt_at__lte=now))
                    .order_by("next_attempt_at", "id")
                    .first()
                )
                if message is None:
                    break
                if not message.rendered:
                    render_outbox_message(message, cache)
                    if message.state == OutboxMessage.HELD:
                        continue
                email = EmailMultiAlternatives(
                    subject=message.subject,
                    body=message.body_text,
                    to=[message.to_email],
                    headers={"Message-ID": f"<outbox-{message.tenant_id}-{message.pk}@duecourse>"},
                    connection=smtp,
                )
                if message.body_html:
                    email.attach_alternative(message.body_html, "text/html")
                if message.attachments and not _attach(email, message):
                    continue
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
