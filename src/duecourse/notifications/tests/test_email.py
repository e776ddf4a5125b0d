"""Emails: one per person per tick, per their preferences; broken tenant templates are held, the rest go out."""

import datetime as dt

import time_machine
from django.core import mail

from duecourse.core import clock
from duecourse.notifications.models import MessageTemplate, Notification, NotificationPreference, OutboxMessage
from duecourse.notifications.services import notify_person
from duecourse.testing.factories import make_course, target
from duecourse.testing.scheduling import assign_at, inbox, tick, utc

NOW = utc("2026-03-01T09:00")


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_twelve_assignments_in_one_bulk_call_make_one_email_each(admin_api, tenant, make_person):
    people = [make_person(tenant, email=f"worker{i}@acme.test") for i in range(3)]
    courses = [make_course(tenant, title=f"Module {i:02d}") for i in range(12)]
    with time_machine.travel(NOW, tick=False):
        response = admin_api.post(
            "assignments/bulk",
            {
                "targets": [target(c) for c in courses],
                "assignees": {"person_ids": [p.pk for p in people]},
                "due_date": "2026-03-31",
                "note": "Before the audit, please",
            },
        )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 36
    tick(NOW + dt.timedelta(minutes=1))

    assert len(mail.outbox) == 3
    for person in people:
        [message] = sent_to(person.email)
        assert message.subject == "12 updates on your training"
        for course in courses:
            assert f"New training assigned: {course.title} (due 31 Mar 2026)" in message.body
        assert message.body.count("Note: Before the audit, please") == 12
        html = message.alternatives[0][0]
        assert html.count("<li") == 12
        assert len(inbox(person, "assigned")) == 12
    tick(NOW + dt.timedelta(minutes=2))
    assert len(mail.outbox) == 3


def test_one_email_carries_title_due_date_note_link_and_a_stable_message_id(admin, learner, tenant, settings):
    settings.BASE_URL = "https://learn.acme.test"
    course = make_course(tenant, title="Fire safety")
    assignment = assign_at(NOW, admin, learner, course, due_date="2026-03-20", note="Bring your badge")
    tick(NOW + dt.timedelta(minutes=1))
    [message] = mail.outbox
    assert message.to == ["lena@acme.test"]
    assert message.subject == "New training assigned: Fire safety (due 20 Mar 2026)"
    assert "Hello Lena Learner" in message.body
    assert "Note: Bring your badge" in message.body
    assert f"https://learn.acme.test/learning/{assignment.pk}/" in message.body
    outbox = OutboxMessage.objects.get()
    assert message.extra_headers["Message-ID"] == f"<outbox-{tenant.pk}-{outbox.pk}@duecourse>"
    assert (outbox.state, outbox.attempts, outbox.sent_at) == ("sent", 1, NOW + dt.timedelta(minutes=1))


def test_email_off_for_reminders_keeps_the_inbox_entry_and_the_obligation(admin, admin_api, learner, api_as, tenant):
    assert api_as(learner).patch("me/notification-preferences", {"email_reminders": False}).status_code == 200
    assignment = assign_at(NOW, admin, learner, make_course(tenant, title="Ladders"), due_date="2026-03-20")
    tick(NOW + dt.timedelta(minutes=1))
    assert [m.subject for m in sent_to(learner.email)] == ["New training assigned: Ladders (due 20 Mar 2026)"]

    tick(utc("2026-03-17T00:10"))
    tick(utc("2026-03-21T00:10"))
    assert len(sent_to(learner.email)) == 1
    assert [n.kind for n in inbox(learner)] == ["assigned", "reminder", "overdue"]
    assert Notification.objects.filter(person=learner, email_state="skipped").count() == 2
    with time_machine.travel(utc("2026-03-21T00:10"), tick=False):
        assert admin_api.get(f"assignments/{assignment.pk}").json()["status"] == "overdue"
        assert [a["id"] for a in api_as(learner).get("me/assignments").json()["items"]] == [assignment.pk]


def test_email_off_for_new_assignments_still_puts_them_in_the_inbox(admin, learner, tenant):
    NotificationPreference.objects.create(tenant=tenant, person=learner, email_assigned=False)
    assign_at(NOW, admin, learner, due_date="2026-03-20")
    tick(NOW + dt.timedelta(minutes=1))
    assert mail.outbox == []
    assert [n.kind for n in inbox(learner)] == ["assigned"]


def test_deactivated_people_get_no_email(admin, learner):
    assign_at(NOW, admin, learner, due_date="2026-03-20")
    learner.active = False
    learner.save()
    tick(NOW + dt.timedelta(minutes=1))
    assert mail.outbox == []


def test_a_broken_tenant_template_holds_that_message_and_the_others_go_out(
    admin, admin_api, learner, tenant, other_tenant, make_person
):
    MessageTemplate.objects.create(
        tenant=tenant, name="message", subject="{{ count }} items", body_text="{% for item in items %}broken"
    )
    outsider_admin = make_person(other_tenant, roles=("admin",))
    outsider = make_person(other_tenant, email="olga@globex.test")
    assign_at(NOW, admin, learner, due_date="2026-03-20")
    assign_at(NOW, outsider_admin, outsider, due_date="2026-03-20")
    tick(NOW + dt.timedelta(minutes=1))

    assert [m.to for m in mail.outbox] == [["olga@globex.test"]]
    held = admin_api.get("outbox", {"state": "held"}).json()
    assert held["count"] == 1
    [item] = held["items"]
    assert item["to_email"] == "lena@acme.test" and item["state"] == "held"
    assert "TemplateSyntaxError" in item["last_error"]
    assert admin_api.get("outbox", {"state": "sent"}).json()["count"] == 0  # the other tenant's is not listed here
    tick(NOW + dt.timedelta(hours=1))
    assert len(mail.outbox) == 1


def test_a_reminder_template_is_used_and_a_broken_one_holds_only_the_reminder(admin, admin_api, learner, tenant):
    MessageTemplate.objects.create(
        tenant=tenant,
        name="gentle",
        subject="Hi {{ person.name }}: {{ items.0.target_title }} is due {{ items.0.due_date|date:'j M' }}",
        body_text="{% for item in items %}{{ item.headline }} {{ item.link }}{% endfor %}",
    )
    MessageTemplate.objects.create(tenant=tenant, name="stern", subject="Overdue", body_text="{{ items|bogus }}")
    assign_at(
        NOW,
        admin,
        learner,
        make_course(tenant, title="Ladders"),
        due_date="2026-03-20",
        reminders=[
            {"days": 3, "recipients": ["learner"], "template": "gentle"},
            {"days": -1, "recipients": ["learner"], "template": "stern"},
        ],
    )
    tick(NOW + dt.timedelta(minutes=1))
    tick(utc("2026-03-17T00:10"))
    assert [m.subject for m in mail.outbox] == [
        "New training assigned: Ladders (due 20 Mar 2026)",
        "Hi Lena Learner: Ladders is due 20 Mar",
    ]
    tick(utc("2026-03-21T00:10"))  # the plain "now overdue" notice uses the default template
    tick(utc("2026-03-22T00:10"))  # the "stern" one cannot render: held, visible to admins
    assert len(mail.outbox) == 3
    [held] = admin_api.get("outbox", {"state": "held"}).json()["items"]
    assert "bogus" in held["last_error"]
    assert len(inbox(learner, "overdue")) == 2


def test_tenant_templates_cannot_reach_into_models(admin, learner, tenant):
    MessageTemplate.objects.create(
        tenant=tenant, name="message", subject="Hello", body_text="[{{ person.tenant.name }}{{ person.pk }}]"
    )
    assign_at(NOW, admin, learner, due_date="2026-03-20")
    tick(NOW + dt.timedelta(minutes=1))
    assert "[]" in mail.outbox[0].body


def test_manager_digest_collects_the_team_once_a_day_at_seven_local(admin, tenant, make_person):
    manager = make_person(tenant, email="mo@acme.test", timezone="Pacific/Auckland")
    NotificationPreference.objects.create(tenant=tenant, person=manager, manager_daily_digest=True)
    team = [make_person(tenant, manager=manager) for _ in range(3)]
    for person in team:
        assign_at(
            NOW,
            admin,
            person,
            due_date="2026-03-20",
            reminders=[{"days": 1, "recipients": ["manager"]}, {"days": 0, "recipients": ["manager"]}],
        )
    # 19 Mar in Auckland (NZDT, +13) starts at 11:00 UTC on 18 Mar; 07:00 local is 18:00 UTC.
    tick(utc("2026-03-18T11:05"))
    assert len(inbox(manager, "reminder")) == 3
    assert sent_to("mo@acme.test") == []
    tick(utc("2026-03-18T18:05"))
    [digest] = sent_to("mo@acme.test")
    assert digest.subject == "3 updates on your training"
    # Still 19 Mar in Auckland (but already another date in UTC): a new item waits for tomorrow.
    with clock.running_at(utc("2026-03-18T19:00")):
        notify_person(tenant_id=tenant.pk, person_id=manager.pk, kind="overdue", about_id=team[0].pk)
    tick(utc("2026-03-18T19:05"))
    assert len(sent_to("mo@acme.test")) == 1
    # Later the same local day, new items about the team wait for tomorrow's digest.
    tick(utc("2026-03-19T11:05"))  # 20 Mar 00:05 in Auckland: the due-day reminders about the team
    tick(utc("2026-03-19T12:05"))
    assert len(inbox(manager, "reminder")) == 6 and len(inbox(manager, "overdue")) == 1
    assert len(sent_to("mo@acme.test")) == 1
    tick(utc("2026-03-19T18:05"))
    assert len(sent_to("mo@acme.test")) == 2
    tick(utc("2026-03-19T23:05"))
    assert len(sent_to("mo@acme.test")) == 2
