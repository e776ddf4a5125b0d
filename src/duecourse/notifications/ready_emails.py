"""One email written to the outbox ready to send, once per dedup key (a second write with the same key is
ignored): the worker delivers it with retries. Callers render it first, in the recipient's language."""

import datetime as dt

from duecourse.notifications.models import OutboxMessage
from duecourse.people.models import Person


def ready_email_write(
    *, person: Person, subject: str, body_text: str, body_html: str, dedup_key: str, now: dt.datetime
) -> None:
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                tenant_id=person.tenant_id,
                person_id=person.pk,
                to_email=person.email,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                dedup_key=dedup_key,
                created_at=now,
                next_attempt_at=now,
            )
        ],
        ignore_conflicts=True,
    )
