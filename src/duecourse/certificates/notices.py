"""Telling holders: an inbox notification and an email (PDF attached) per certificate issued, and a
notification (emailed by the usual composing) per certificate that stopped being valid, saying what to
complete to restore it. Each exactly once: unique dedup keys on the notification and the outbox row."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import F
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from duecourse.assignments.fanout import CHUNK
from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.assignments.selectors import valid_completion_filter
from duecourse.catalog.selectors import target_titles
from duecourse.certificates.domain import REASON_WORDS, InvalidReason
from duecourse.certificates.files import holder_language
from duecourse.certificates.models import Certificate
from duecourse.notifications.models import (
    EMAIL_PENDING,
    EMAIL_SENT,
    EMAIL_SKIPPED,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from duecourse.people.models import Person

ISSUED_KIND, INVALIDATED_KIND = "certificate_issued", "certificate_invalidated"


ISSUED_KEY_PREFIX = "certificate:"


def issued_key(certificate_id: int) -> str:
    return f"{ISSUED_KEY_PREFIX}{certificate_id}"


def attachment_reference(certificate_id: int) -> dict[str, Any]:
    return {"kind": "certificate", "id": certificate_id}


def _day(moment: dt.datetime | None) -> str:
    return formats.date_format(moment, "j M Y") if moment else ""


def _my_learning() -> str:
    return reverse("assignments:my-learning")


def _notification(
    cert: Certificate,
    kind: str,
    *,
    note: str,
    now: dt.datetime,
    email_state: str = EMAIL_PENDING,
    email_key: str | None = None,
    **data: Any,
) -> Notification:
    """The holder's inbox row about a certificate: its words come from `data` (the title, a note and a
    link to My learning); one per certificate and kind (the dedup key)."""
    return Notification(
        tenant_id=cert.tenant_id,
        person_id=cert.person_id,
        kind=kind,
        data={
            "title": cert.title,
            "certificate_id": cert.pk,
            "number": cert.number,
            "note": note,
            "path": _my_learning(),
            **data,
        },
        dedup_key=f"{kind}:{cert.pk}",
        created_at=now,
        email_state=email_state,
        email_key=email_key,
    )


def announce_issued(certificates: Sequence[Certificate], *, now: dt.datetime) -> None:
    """One notification and, for those who take certificate emails, one email with the PDF per certificate."""
    if not certificates:
        return
    person_ids = {c.person_id for c in certificates}
    holders = Person.objects.filter(pk__in=person_ids, active=True).values_list("pk", "email", "locale")
    emails, locales = {}, {}
    for pk, email, locale in holders:
        emails[pk], locales[pk] = email, locale
    opted_out = set(
        NotificationPreference.objects.filter(person_id__in=person_ids, email_certificates=False).values_list(
            "person_id", flat=True
        )
    )
    notes, messages = [], []
    for cert in certificates:
        emailed = cert.person_id in emails and cert.person_id not in opted_out
        with translation.override(holder_language(locales.get(cert.person_id))):  # the note is the holder's
            note = _issued_note(cert, emailed=emailed)
        notes.append(
            _notification(
                cert,
                ISSUED_KIND,
                note=note,
                now=now,
                email_state=EMAIL_SENT if emailed else EMAIL_SKIPPED,
                email_key=issued_key(cert.pk) if emailed else None,
            )
        )
        if emailed:
            messages.append(
                OutboxMessage(
                    tenant_id=cert.tenant_id,
                    person_id=cert.person_id,
                    to_email=emails[cert.person_id],
                    subject="",
                    body_text="",
                    dedup_key=issued_key(cert.pk),
                    created_at=now,
                    next_attempt_at=now,
                    rendered=False,  # words from the notification above, when delivered
                    attachments=[attachment_reference(cert.pk)],
                )
            )
    Notification.objects.bulk_create(notes, ignore_conflicts=True, batch_size=1000)
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)


def _issued_note(cert: Certificate, *, emailed: bool) -> str:
    """What the holder's notification says of a new certificate, in the active language."""
    words = {"number": cert.number, "date": _day(cert.valid_until)}
    if cert.valid_until:
        if emailed:
            return _("Certificate %(number)s, valid until %(date)s. The PDF is attached.") % words
        return _("Certificate %(number)s, valid until %(date)s. Download it from My learning.") % words
    if emailed:
        return _("Certificate %(number)s, with no expiry. The PDF is attached.") % words
    return _("Certificate %(number)s, with no expiry. Download it from My learning.") % words


def _restore_note(cert: Certificate, missing: list[str]) -> str:
    """Why the certificate stopped being valid and what restores it, in the active language."""
    reason = cert.invalid_reason or InvalidReason.EXPIRED
    why = str(REASON_WORDS[reason])
    if reason == InvalidReason.REVOKED:
        return _("%(why)s: %(reason)s") % {"why": why, "reason": cert.revoke_reason} if cert.revoke_reason else why
    if reason == InvalidReason.WITHDRAWN or not missing:
        return _("%(why)s.") % {"why": why}
    return _("%(why)s. To restore it, complete: %(items)s.") % {"why": why, "items": ", ".join(missing)}


def _missing_items(certificates: Sequence[Certificate], now: dt.datetime) -> dict[int, list[str]]:
    """Per certificate, the titles of the required items its holder has no valid completion of now."""
    missing: dict[int, list[str]] = {}
    by_rule: dict[int, list[Certificate]] = {}
    for cert in certificates:
        by_rule.setdefault(cert.rule_id, []).append(cert)
    rules = AssignmentRule.objects.in_bulk(list(by_rule))
    for rule_id, certs in by_rule.items():
        rule = rules[rule_id]
        required = list(rule.items.filter(visibility="required").values_list("target_type", "target_id"))
        if not required:
            continue
        titles = target_titles(tenant_id=rule.tenant_id, targets=set(required))
        done = set(
            Assignment.objects.filter(
                valid_completion_filter(now),
                tenant_id=rule.tenant_id,
                person_id__in=[c.person_id for c in certs],
                withdrawn_at__isnull=True,
                sources__kind="rule",
                sources__ref_id=rule.pk,
            ).values_list("person_id", "target_type", "target_id")
        )
        for cert in certs:
            missing[cert.pk] = [titles.get(t, "") for t in required if (cert.person_id, *t) not in done]
    return missing


def announce_invalidated(certificate_ids: Sequence[int], *, now: dt.datetime) -> None:
    """One notification per certificate that stopped being valid, emailed like any other notification
    (so the person's certificate email switch applies)."""
    ids = list(certificate_ids)
    for start in range(0, len(ids), CHUNK):
        _announce_invalidated(ids[start : start + CHUNK], now=now)


def _announce_invalidated(certificate_ids: list[int], *, now: dt.datetime) -> None:
    certificates = list(Certificate.objects.filter(pk__in=certificate_ids).annotate(holder_locale=F("person__locale")))
    missing = _missing_items(certificates, now)
    notes = []
    for cert in certificates:
        with translation.override(holder_language(cert.holder_locale)):  # the note is the holder's
            note = _restore_note(cert, missing.get(cert.pk, []))
        notes.append(_notification(cert, INVALIDATED_KIND, note=note, now=now, reason=cert.invalid_reason))
    Notification.objects.bulk_create(
        notes,
        ignore_conflicts=True,
        batch_size=1000,
    )


def release_held_emails(tenant_id: int, *, now: dt.datetime) -> int:
    """Certificate emails held because their PDF failed go back to the outbox (after the logo changed):
    the next delivery renders them again, and holds them again if it still fails. Returns how many."""
    return OutboxMessage.objects.filter(
        tenant_id=tenant_id, state=OutboxMessage.HELD, dedup_key__startswith=ISSUED_KEY_PREFIX
    ).update(state=OutboxMessage.PENDING, next_attempt_at=now)
