"""End to end: a template an admin edits on the settings page is the email the worker sends over SMTP."""

import datetime as dt
import re

import pytest

from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, utc, worker_once
from duecourse.testing.web import signed_in

NOW = utc("2026-03-01T09:00")
pytestmark = pytest.mark.usefixtures("smtp_settings")


def test_the_edited_reminder_template_in_the_persons_language_is_sent(smtp_server, admin, tenant, make_person):
    italian = make_person(tenant, locale="it", name="Ida", email="ida@acme.test")
    german = make_person(tenant, locale="de", name="Dora", email="dora@acme.test")
    response = signed_in(admin).post(
        "/settings/emails/reminder/it/",
        {
            "subject": "Promemoria: {{ item.target_title }} entro il {{ item.due_date|date:'d/m' }}",
            "body_text": "Ciao {{ person.name }}, {{ item.link }}",
            "body_html": "<p>Ciao {{ person.name }}</p>",
        },
    )
    assert response.status_code == 302
    for person in (italian, german):
        assign_at(
            NOW,
            admin,
            person,
            make_course(tenant, title=f"Scale {person.name}"),
            due_date="2026-03-20",
            reminders=[{"days": 3, "recipients": ["learner"]}],
        )
    worker_once(NOW + dt.timedelta(minutes=1))
    worker_once(utc("2026-03-17T00:10"))

    by_recipient = {}
    for message in smtp_server.handler.received:
        by_recipient.setdefault(message["To"], []).append(message)
    assigned, reminder = by_recipient["ida@acme.test"]
    assert assigned["Subject"] == "Nuova formazione assegnata: Scale Ida (scadenza 20 Mar 2026)"  # built in, Italian
    assert reminder["Subject"] == "Promemoria: Scale Ida entro il 20/03"
    assert re.fullmatch(r"Ciao Ida, http\S+/learning/\d+/\s*", reminder.get_body(("plain",)).get_content())
    assert reminder.get_body(("html",)).get_content().strip() == "<p>Ciao Ida</p>"
    assert [str(m["Subject"]).strip() for m in by_recipient["dora@acme.test"]] == [
        "Neue Schulung zugewiesen: Scale Dora (fällig am 20 Mär 2026)",  # no German template: the built-in
        "Erinnerung: Scale Dora (fällig am 20 Mär 2026)",
    ]
