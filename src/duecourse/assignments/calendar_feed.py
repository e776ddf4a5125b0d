"""A person's training calendar: every open assignment as an all-day event on its due date (iCalendar,
RFC 5545, written by the `icalendar` library), at a secret per-person URL to subscribe to, or downloaded.

The secret is not stored: the URL carries an HMAC of the person and a random nonce (`CalendarFeed`) made
with the install's SECRET_KEY, so a copy of the database alone opens no feed, and resetting the nonce ends
every copy of the old URL at once. A due date is already the person's local date (it is due at the end of
that day in their zone), so the event is that date, with no time and no zone to convert.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from duecourse.assignments import selectors
from duecourse.assignments.models import Assignment, CalendarFeed
from duecourse.assignments.presenters import TYPE_LABELS
from duecourse.assignments.priorities import Priority
from duecourse.assignments.status import UNFINISHED_STATUSES
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.core.audit import audit_record
from duecourse.core.languages import language_for_locale
from duecourse.people.models import Person

PRODUCT_ID = "-//duecourse//Training calendar//EN"
_SALT = "duecourse.assignments.calendar_feed"
# RFC 5545 PRIORITY: 1 is the highest, 9 the lowest.
ICAL_PRIORITY: dict[str, int] = {Priority.HIGH: 1, Priority.MEDIUM: 5, Priority.LOW: 9}


def _token(person_id: int, nonce: str) -> str:
    return salted_hmac(_SALT, f"{person_id}:{nonce}", algorithm="sha256").hexdigest()[:40]


def _url(person_id: int, nonce: str) -> str:
    path = reverse("assignments:calendar-feed", kwargs={"person_id": person_id, "token": _token(person_id, nonce)})
    return settings.BASE_URL.rstrip("/") + path


def _new_nonce() -> str:
    return secrets.token_urlsafe(24)


def calendar_feed_url(*, actor: Person) -> str:
    """The caller's feed URL (made on first use)."""
    feed = CalendarFeed.objects.filter(person_id=actor.pk).first()
    if feed is None:
        try:
            with transaction.atomic():
                feed = CalendarFeed.objects.create(
                    tenant_id=actor.tenant_id, person_id=actor.pk, nonce=_new_nonce(), reset_at=clock.now()
                )
        except IntegrityError:  # made by a request of theirs at the same moment: use that one
            feed = CalendarFeed.objects.get(person_id=actor.pk)
    return _url(actor.pk, feed.nonce)


def calendar_feed_reset(*, actor: Person) -> str:
    """A new URL for the caller; the old one stops working at once. Audited."""
    with transaction.atomic():
        nonce = _new_nonce()
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            person_id=actor.pk, defaults={"tenant_id": actor.tenant_id, "nonce": nonce, "reset_at": clock.now()}
        )
        if not created:
            feed.nonce, feed.reset_at = nonce, clock.now()
            feed.save(update_fields=["nonce", "reset_at"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="calendar.feed_reset",
            object_type="person",
            object_id=actor.pk,
        )
    return _url(actor.pk, nonce)


def person_of_feed(*, person_id: int, token: str) -> Person | None:
    """The active person whose feed this is, or None (unknown, reset, or deactivated)."""
    feed = CalendarFeed.objects.filter(person_id=person_id).select_related("person").first()
    if feed is None or not feed.person.active or not constant_time_compare(token, _token(person_id, feed.nonce)):
        return None
    return feed.person


def _open_items(person: Person) -> list[Assignment]:
    """What the person still has to do and has a due date for (My learning's to-do list)."""
    return [
        item
        for item in selectors.my_assignments(actor=person)
        if item.status in UNFINISHED_STATUSES and item.due_date is not None
    ]


def calendar_ics(*, person: Person, now: dt.datetime | None = None) -> bytes:
    """The person's calendar: one all-day event per open assignment with a due date, its words in the
    person's own language (their locale's, `core.languages`; the default when we do not speak it)."""
    with translation.override(language_for_locale(person.locale)):
        return _calendar_ics(person, now or clock.now())


def _calendar_ics(person: Person, now: dt.datetime) -> bytes:
    items = _open_items(person)
    titles = target_titles(tenant_id=person.tenant_id, targets={(i.target_type, i.target_id) for i in items})
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Training due (duecourse)"))
    calendar.add("x-published-ttl", "PT1H")  # how often a subscribing calendar should look again
    base = settings.BASE_URL.rstrip("/")
    host = base.split("://", 1)[-1].split("/", 1)[0] or "duecourse"
    for item in items:
        due = item.due_date
        assert due is not None  # `_open_items` keeps only items with a due date
        title = titles.get((item.target_type, item.target_id)) or str(
            TYPE_LABELS.get(item.target_type, item.target_type)
        )
        link = base + reverse("assignments:detail", kwargs={"assignment_id": item.pk})
        lines = [_("Priority: %(priority)s") % {"priority": item.get_priority_display()}]
        if item.note:
            lines.append(_("Note: %(note)s") % {"note": item.note})
        lines.append(_("Open it: %(link)s") % {"link": link})
        event = Event()
        event.add("uid", f"assignment-{item.pk}-{item.cycle}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        event.add("summary", _("Due: %(title)s") % {"title": title})
        event.add("description", "\n".join(lines))
        event.add("url", link)
        event.add("priority", ICAL_PRIORITY.get(item.priority, 5))
        event.add("transp", "TRANSPARENT")  # a deadline, not time taken: it does not make the person busy
        event.add("categories", [_("Training")])
        calendar.add_component(event)
    return calendar.to_ical()
