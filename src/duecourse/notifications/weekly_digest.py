"""The weekly digest: every Monday from 07:00 in a person's own time zone, one email listing their open
assignments that are overdue or due within two weeks, for the people who turned it on (`weekly_digest`).

Exactly once per person and week, whatever the number of workers or a crash: a conditional UPDATE of
`last_weekly_digest_on` (the person's Monday) claims the week, and the email goes into the outbox in the
same transaction under a unique dedup key (`weekly-digest:<person>:<Monday>`). A week with nothing to
list claims the week and writes no email. The words are fixed when it is written, in the person's language.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.translation import ngettext

from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import status_filter, with_status
from duecourse.assignments.status import UNFINISHED_STATUSES, AssignmentStatus
from duecourse.catalog.selectors import target_titles
from duecourse.core.timezones import zone_of
from duecourse.notifications.models import NotificationPreference
from duecourse.notifications.ready_emails import ready_email_write
from duecourse.notifications.rendering import recipient_language
from duecourse.notifications.services import assignment_link, base_url
from duecourse.notifications.template_kinds import MAX_SUBJECT_LENGTH

WEEKLY_DIGEST_HOUR = 7  # on Monday, in the person's own time zone
WEEKLY_DIGEST_DAYS = 14  # items due up to this many days ahead (and every overdue one)
KEY_PREFIX = "weekly-digest:"


def weekly_digest_monday(timezone_name: str, now: dt.datetime) -> dt.date | None:
    """The person's Monday when their digest is due now (Monday, from 07:00 local), else None."""
    local = now.astimezone(zone_of(timezone_name))
    if local.weekday() != 0 or local.hour < WEEKLY_DIGEST_HOUR:
        return None
    return local.date()


def weekly_digest_items(person, *, today: dt.date, now: dt.datetime) -> list[dict]:
    """The person's open (unfinished, not hidden, not withdrawn) assignments overdue or due by
    today + WEEKLY_DIGEST_DAYS, soonest first: title, due date, status, link."""
    rows = list(
        with_status(
            Assignment.objects.filter(
                tenant_id=person.tenant_id,
                person_id=person.pk,
                withdrawn_at__isnull=True,
                due_date__isnull=False,
            ).exclude(visibility="hidden"),
            now,
        )
        .filter(status__in=UNFINISHED_STATUSES)
        .filter(Q(due_date__lte=today + dt.timedelta(days=WEEKLY_DIGEST_DAYS)) | status_filter("overdue", now))
        .order_by("due_date", "id")
    )
    titles = target_titles(tenant_id=person.tenant_id, targets={(a.target_type, a.target_id) for a in rows})
    return [
        {
            "title": titles.get((a.target_type, a.target_id), ""),
            "due_date": a.due_date,
            "status": a.status,
            "overdue": a.status == AssignmentStatus.OVERDUE,
            "link": assignment_link(a),
        }
        for a in rows
    ]


def _render(person, items: list[dict]) -> tuple[str, str, str]:
    with recipient_language(person):
        for item in items:
            item["status_label"] = str(AssignmentStatus(item["status"]).label)
        context = {"person": {"name": person.name, "email": person.email}, "items": items, "base_url": base_url()}
        subject = ngettext(
            "Your week: %(count)d training item overdue or due soon",
            "Your week: %(count)d training items overdue or due soon",
            len(items),
        ) % {"count": len(items)}
        text = render_to_string("notifications/email/weekly_digest.txt", context)
        html = render_to_string("notifications/email/weekly_digest.html", context)
    return subject[:MAX_SUBJECT_LENGTH], text, html


def weekly_digests_send(*, now: dt.datetime) -> int:
    """Write this week's digest of everyone whose Monday 07:00 has come and who has not had it; returns
    the emails written. Safe to run on every tick and in several workers at once."""
    # A person's Monday is within a day of the UTC date; a week already claimed on it is not looked at.
    recent = (now.astimezone(dt.UTC) - dt.timedelta(days=1)).date()
    candidates = (
        NotificationPreference.objects.filter(weekly_digest=True, person__active=True)
        .filter(Q(last_weekly_digest_on__isnull=True) | Q(last_weekly_digest_on__lt=recent))
        .select_related("person")
    )
    return sum(weekly_digest_send(pref, now=now) for pref in candidates)


def weekly_digest_send(pref: NotificationPreference, *, now: dt.datetime) -> int:
    """One person's digest of this week, if their Monday 07:00 has come and nobody claimed the week yet
    (the conditional UPDATE: a second worker, or a stale `pref`, claims nothing). 1 if an email was written."""
    person = pref.person
    monday = weekly_digest_monday(person.timezone, now)
    if monday is None:
        return 0
    with transaction.atomic():
        claimed = (
            NotificationPreference.objects.filter(pk=pref.pk, weekly_digest=True)
            .filter(Q(last_weekly_digest_on__isnull=True) | Q(last_weekly_digest_on__lt=monday))
            .update(last_weekly_digest_on=monday)
        )
        if not claimed:  # another worker has this week's, or the person turned it off meanwhile
            return 0
        items = weekly_digest_items(person, today=monday, now=now)
        if not items:
            return 0
        subject, text, html = _render(person, items)
        ready_email_write(
            person=person,
            subject=subject,
            body_text=text,
            body_html=html,
            dedup_key=f"{KEY_PREFIX}{person.pk}:{monday.isoformat()}",
            now=now,
        )
    return 1
