"""Delivery through a real SMTP server on loopback: right recipients and subjects; outages delay, never lose."""

import datetime as dt

import pytest

from duecourse.notifications.delivery import BACKOFF_SECONDS, MAX_ATTEMPTS
from duecourse.notifications.models import OutboxMessage
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, utc, worker_once

NOW = utc("2026-03-01T09:00")
pytestmark = pytest.mark.usefixtures("smtp_settings")


@pytest.fixture
def learners(tenant, make_person, admin):
    people = [make_person(tenant, name=f"Learner {i}", email=f"learner{i}@acme.test") for i in range(5)]
    for person in people:
        assign_at(NOW, admin, person, make_course(tenant, title=f"Course for {person.name}"), due_date="2026-03-20")
    return people


def outbox_ids() -> set[str]:
    return {f"<outbox-{m.tenant_id}-{m.pk}@duecourse>" for m in OutboxMessage.objects.all()}


def test_messages_arrive_with_the_right_recipients_and_subjects(smtp_server, learners):
    worker_once(NOW + dt.timedelta(minutes=1))
    received = smtp_server.handler.received
    assert sorted(smtp_server.handler.envelopes) == sorted([[p.email] for p in learners])
    by_recipient = {m["To"]: m for m in received}
    for person in learners:
        message = by_recipient[person.email]
        assert message["Subject"] == f"New training assigned: Course for {person.name} (due 20 Mar 2026)"
        assert message.get_body(("plain",)).get_content().startswith(f"Hello {person.name},")
        assert "<ul" in message.get_body(("html",)).get_content()
    assert set(smtp_server.handler.message_ids()) == outbox_ids()
    assert set(OutboxMessage.objects.values_list("state", "attempts", "last_error")) == {("sent", 1, "")}

    worker_once(NOW + dt.timedelta(hours=2))
    assert len(received) == len(learners)


def test_server_down_delays_mail_and_loses_none(smtp_server, learners):
    smtp_server.stop()
    first_tick = NOW + dt.timedelta(minutes=1)
    worker_once(first_tick)
    assert smtp_server.handler.received == []
    tried = OutboxMessage.objects.filter(attempts__gt=0)
    [failed] = tried  # an outage stops the tick's delivery after one failed connection
    assert failed.state == "pending"
    assert failed.next_attempt_at == first_tick + dt.timedelta(seconds=BACKOFF_SECONDS[0])
    assert "Connection refused" in failed.last_error or "ConnectionRefused" in failed.last_error
    assert OutboxMessage.objects.filter(state="pending").count() == len(learners)

    # Still down an hour later: each tick records one more attempt and backs off further.
    worker_once(first_tick + dt.timedelta(hours=1))
    assert OutboxMessage.objects.filter(state="pending").count() == len(learners)

    smtp_server.start()
    worker_once(first_tick + dt.timedelta(hours=3))
    ids = smtp_server.handler.message_ids()
    assert sorted(ids) == sorted(outbox_ids()) and len(ids) == len(set(ids)) == len(learners)
    sent = OutboxMessage.objects.filter(state="sent")
    assert sent.count() == len(learners)
    assert all(m.last_error == "" and m.sent_at == first_tick + dt.timedelta(hours=3) for m in sent)

    worker_once(first_tick + dt.timedelta(days=1))
    assert len(smtp_server.handler.received) == len(learners)


def test_temporary_refusal_451_is_retried_after_the_backoff(smtp_server, learners):
    smtp_server.handler.refuse_with = "451 4.3.0 Mailbox temporarily unavailable"
    first_tick = NOW + dt.timedelta(minutes=1)
    worker_once(first_tick)
    messages = list(OutboxMessage.objects.all())
    assert len(messages) == len(learners)
    for message in messages:
        assert (message.state, message.attempts) == ("pending", 1)
        assert "451" in message.last_error and "temporarily unavailable" in message.last_error
        assert message.next_attempt_at == first_tick + dt.timedelta(seconds=BACKOFF_SECONDS[0])

    smtp_server.handler.refuse_with = None
    worker_once(first_tick + dt.timedelta(seconds=BACKOFF_SECONDS[0] - 1))  # backoff not over yet
    assert smtp_server.handler.received == []
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}

    worker_once(first_tick + dt.timedelta(seconds=BACKOFF_SECONDS[0]))
    ids = smtp_server.handler.message_ids()
    assert sorted(ids) == sorted(outbox_ids()) and len(set(ids)) == len(learners)
    assert set(OutboxMessage.objects.values_list("state", "attempts", "last_error")) == {("sent", 2, "")}
    worker_once(first_tick + dt.timedelta(days=2))
    assert len(smtp_server.handler.received) == len(learners)


def test_a_long_outage_never_gives_up_but_permanent_refusals_do(smtp_server, tenant, admin, make_person):
    person = make_person(tenant, email="gone@acme.test")
    assign_at(NOW, admin, person, due_date="2026-03-20")
    moment = NOW + dt.timedelta(minutes=1)
    smtp_server.handler.refuse_with = "451 4.3.0 Try again later"
    for _ in range(MAX_ATTEMPTS + 3):
        worker_once(moment)
        moment += dt.timedelta(seconds=BACKOFF_SECONDS[-1])
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == ("pending", MAX_ATTEMPTS + 3)

    smtp_server.handler.refuse_with = "550 5.1.1 No such mailbox"
    for _ in range(MAX_ATTEMPTS):
        worker_once(moment)
        moment += dt.timedelta(seconds=BACKOFF_SECONDS[-1])
    message.refresh_from_db()
    assert message.state == "failed" and "550" in message.last_error
    assert smtp_server.handler.received == []
