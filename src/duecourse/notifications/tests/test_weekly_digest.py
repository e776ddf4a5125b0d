"""The weekly digest: Monday from 07:00 in the person's own time zone, once a week, only when opted in and
only when something is overdue or due within two weeks."""

import datetime as dt
import re

import time_machine
from django.core import mail

from duecourse.assignments.models import Assignment
from duecourse.notifications.models import NotificationPreference, OutboxMessage
from duecourse.notifications.weekly_digest import weekly_digest_send, weekly_digests_send
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, tick, utc
from duecourse.testing.web import text

ASSIGNED = utc("2026-02-20T09:00")
# Monday 9 March 2026: 07:00 in Rome is 06:00 UTC.
BEFORE_SEVEN_IN_ROME = utc("2026-03-09T05:59")
SEVEN_IN_ROME = utc("2026-03-09T06:00")


def digests_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and "Your week" in m.subject]


def opt_in(person, **fields):
    return NotificationPreference.objects.create(tenant=person.tenant, person=person, weekly_digest=True, **fields)


def _week_of_work(admin, person):
    tenant = person.tenant
    overdue = assign_at(ASSIGNED, admin, person, make_course(tenant, title="Fire safety"), due_date="2026-03-02")
    soon = assign_at(ASSIGNED, admin, person, make_course(tenant, title="Ladders"), due_date="2026-03-19")
    assign_at(ASSIGNED, admin, person, make_course(tenant, title="Far away"), due_date="2026-04-30")
    done = assign_at(ASSIGNED, admin, person, make_course(tenant, title="Done already"), due_date="2026-03-12")
    Assignment.objects.filter(pk=done.pk).update(completed_at=ASSIGNED)
    return overdue, soon


def test_monday_seven_local_sends_one_digest_listing_overdue_and_due_soon(admin, learner, settings):
    settings.BASE_URL = "https://learn.acme.test"
    learner.timezone = "Europe/Rome"
    learner.save()
    opt_in(learner)
    overdue, soon = _week_of_work(admin, learner)
    tick(BEFORE_SEVEN_IN_ROME)
    assert digests_to(learner.email) == []

    tick(SEVEN_IN_ROME)
    [message] = digests_to(learner.email)
    assert message.subject == "Your week: 2 training items overdue or due soon"
    body = message.body
    assert body.index("Fire safety") < body.index("Ladders")  # soonest first
    assert "Due 2 Mar 2026 · Overdue" in body and "Due 19 Mar 2026 · Assigned" in body
    assert f"https://learn.acme.test/learning/{overdue.pk}/" in body
    assert f"https://learn.acme.test/learning/{soon.pk}/" in body
    assert "Far away" not in body and "Done already" not in body
    html = message.alternatives[0][0]
    assert ">Due date</th>" in html and "Fire safety" in html
    assert NotificationPreference.objects.get(person=learner).last_weekly_digest_on == dt.date(2026, 3, 9)

    tick(SEVEN_IN_ROME + dt.timedelta(minutes=1))  # a second tick
    tick(utc("2026-03-09T20:00"))
    assert len(digests_to(learner.email)) == 1
    tick(utc("2026-03-16T06:00"))  # the next Monday: the next week's
    assert len(digests_to(learner.email)) == 2


def test_a_second_worker_with_the_same_view_writes_nothing(admin, learner):
    pref = opt_in(learner)
    _week_of_work(admin, learner)
    stale = NotificationPreference.objects.select_related("person").get(pk=pref.pk)  # read by worker B
    assert weekly_digests_send(now=utc("2026-03-09T07:00")) == 1  # worker A
    assert weekly_digest_send(stale, now=utc("2026-03-09T07:00")) == 0  # worker B, after A committed
    assert weekly_digests_send(now=utc("2026-03-09T07:05")) == 0
    assert OutboxMessage.objects.filter(dedup_key__startswith="weekly-digest:").count() == 1


def test_the_week_claimed_before_a_crash_is_not_sent_again(admin, learner):
    """The claim and the email commit together: a worker that died before committing left neither."""
    opt_in(learner, last_weekly_digest_on=dt.date(2026, 3, 2))  # last week's went out
    _week_of_work(admin, learner)
    assert weekly_digests_send(now=utc("2026-03-09T07:00")) == 1
    OutboxMessage.objects.all().delete()  # even if the outbox row were gone, the claim stands
    assert weekly_digests_send(now=utc("2026-03-09T08:00")) == 0


def test_nothing_due_means_no_email(admin, learner):
    opt_in(learner)
    assign_at(ASSIGNED, admin, learner, make_course(learner.tenant, title="Far away"), due_date="2026-04-30")
    tick(utc("2026-03-09T07:30"))
    assert digests_to(learner.email) == []
    assert not OutboxMessage.objects.filter(dedup_key__startswith="weekly-digest:").exists()


def test_only_people_who_opted_in_get_it(admin, learner, make_person, tenant):
    other = make_person(tenant, email="otto@acme.test")
    NotificationPreference.objects.create(tenant=tenant, person=other, weekly_digest=False)
    _week_of_work(admin, learner)
    _week_of_work(admin, other)
    tick(utc("2026-03-09T07:30"))
    assert digests_to(learner.email) == [] and digests_to(other.email) == []


def test_not_on_other_days_and_by_each_persons_own_clock(admin, learner, make_person, tenant):
    tokyo = make_person(tenant, email="tomo@acme.test", timezone="Asia/Tokyo")
    opt_in(learner)  # UTC
    opt_in(tokyo)
    _week_of_work(admin, learner)
    _week_of_work(admin, tokyo)
    tick(utc("2026-03-08T21:59"))  # Monday 06:59 in Tokyo
    tick(utc("2026-03-10T07:30"))  # Tuesday: a missed Monday waits for the next one
    assert mail.outbox == [] or not any("Your week" in m.subject for m in mail.outbox)
    tick(utc("2026-03-15T22:00"))  # Monday 16 March, 07:00 in Tokyo; still Sunday in UTC
    assert len(digests_to(tokyo.email)) == 1 and digests_to(learner.email) == []


def test_the_digest_is_written_in_the_recipients_language(admin, make_person, tenant):
    lucia = make_person(tenant, email="lucia@acme.test", locale="it", timezone="Europe/Rome")
    greta = make_person(tenant, email="greta@acme.test", locale="de-AT", timezone="Europe/Vienna")
    for person in (lucia, greta):
        opt_in(person)
        _week_of_work(admin, person)
    tick(SEVEN_IN_ROME)
    [italian] = [m for m in mail.outbox if m.to == [lucia.email] and "settimana" in m.subject]
    assert italian.subject == "La Sua settimana: 2 formazioni scadute o in scadenza"
    assert "Gentile" in italian.body and "Scadenza 2 Mar 2026" in italian.body
    [german] = [m for m in mail.outbox if m.to == [greta.email] and "Woche" in m.subject]
    assert german.subject == "Ihre Woche: 2 Schulungen überfällig oder bald fällig"
    assert "Guten Tag" in german.body and "Fällig am 19 Mär 2026 · " in german.body


def test_preferences_api_round_trip(learner, api_as):
    api = api_as(learner)
    assert api.get("me/notification-preferences").json()["weekly_digest"] is False
    response = api.patch("me/notification-preferences", {"weekly_digest": True})
    assert response.status_code == 200 and response.json()["weekly_digest"] is True
    assert api.get("me/notification-preferences").json()["weekly_digest"] is True
    assert NotificationPreference.objects.get(person=learner).weekly_digest is True
    assert api.patch("me/notification-preferences", {"weekly_digest": "sometimes"}).status_code == 422


def test_settings_page_sets_the_weekly_digest(learner, signed_in):
    client = signed_in(learner)
    html = text(client.get("/notifications/settings/"))
    assert "A weekly digest of what is due" in html and 'name="weekly_digest"' in html
    form = {"email_assigned": "on", "email_reminders": "on", "weekly_digest": "on"}
    response = client.post("/notifications/settings/", form)
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(person=learner)
    assert pref.weekly_digest is True and pref.email_changes is False
    assert re.search(r'<input[^>]*name="weekly_digest"[^>]*checked', text(client.get("/notifications/settings/")))
    client.post("/notifications/settings/", {"email_assigned": "on"})
    assert NotificationPreference.objects.get(person=learner).weekly_digest is False


def test_settings_page_in_italian(make_person, tenant, signed_in):
    person = make_person(tenant, locale="it")
    with time_machine.travel(SEVEN_IN_ROME, tick=False):
        html = text(signed_in(person).get("/notifications/settings/"))
    assert "Impostazioni delle notifiche" in html and "Riepilogo settimanale" in html
