"""Every kind of email is written in its recipient's language (their locale), delivered through a real SMTP
server on loopback; a tenant's own template keeps its own words."""

import datetime as dt

import pytest
import time_machine

from duecourse.notifications.account_emails import password_reset_email
from duecourse.notifications.models import MessageTemplate, NotificationPreference
from duecourse.notifications.services import notify_person
from duecourse.people.invitations import invitations_send
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, tick, utc
from duecourse.testing.smtp import smtp_server, smtp_settings  # noqa: F401 - fixtures

NOW = utc("2026-03-09T08:00")  # a Monday, after 07:00 in Rome and Vienna
pytestmark = pytest.mark.usefixtures("smtp_settings")


@pytest.fixture
def server(smtp_server):  # noqa: F811 - the loopback SMTP server (testing.smtp)
    return smtp_server


EXPECTED = {
    "it": {
        "assigned": ("Nuova formazione assegnata: Sicurezza antincendio (scadenza 20 Mar 2026)", "Gentile"),
        "several": ("2 aggiornamenti sulla Sua formazione", "Non ha ancora una password"),
        "reminder": ("Promemoria: Sicurezza antincendio (scadenza 20 Mar 2026)", "Gentile"),
        "certificate": ("Certificato emesso: Patentino", "Gentile"),
        "invitation": ("È invitato/a a Acme su duecourse", "Imposti la password e acceda qui:"),
        "password": ("Reimposti la password di duecourse", "Se non l'ha chiesto Lei"),
        "weekly": ("La Sua settimana: 1 formazione scaduta o in scadenza", "Scadenza 20 Mar 2026"),
    },
    "de": {
        "assigned": ("Neue Schulung zugewiesen: Sicherheit (fällig am 20 Mär 2026)", "Guten Tag"),
        "several": ("2 Neuigkeiten zu Ihren Schulungen", "Sie haben noch kein Passwort"),
        "reminder": ("Erinnerung: Sicherheit (fällig am 20 Mär 2026)", "Guten Tag"),
        "certificate": ("Zertifikat ausgestellt: Patentino", "Guten Tag"),
        "invitation": ("Sie sind zu Acme auf duecourse eingeladen", "Legen Sie hier Ihr Passwort fest"),
        "password": ("Setzen Sie Ihr duecourse-Passwort zurück", "Wenn Sie das nicht angefordert haben"),
        "weekly": ("Ihre Woche: 1 Schulung überfällig oder bald fällig", "Fällig am 20 Mär 2026"),
    },
}


def _received(server, address: str) -> dict[str, tuple[str, str]]:
    out = {}
    for message in server.handler.received:
        if message["To"] == address:
            body = message.get_body(preferencelist=("plain",)).get_content()
            out[str(message["Subject"]).strip()] = body
    return out


@pytest.mark.parametrize(
    ("locale", "title", "zone"),
    [("it", "Sicurezza antincendio", "Europe/Rome"), ("de-AT", "Sicherheit", "Europe/Vienna")],
)
def test_each_kind_of_email_in_the_recipients_language(server, admin, make_person, tenant, locale, title, zone):
    language = locale[:2]
    person = make_person(tenant, email=f"{language}@acme.test", locale=locale, timezone=zone, name="Rosa")
    NotificationPreference.objects.create(tenant=tenant, person=person, weekly_digest=True)
    expected = EXPECTED[language]

    start = NOW - dt.timedelta(days=10)

    def at(minutes: int):
        return time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False)

    # The admin, writing in English, causes each email: the words are still the recipient's.
    assignment = assign_at(start, admin, person, make_course(tenant, title=title), due_date="2026-03-20")
    tick(start + dt.timedelta(minutes=1))
    with at(2):
        notify_person(tenant_id=tenant.pk, person_id=person.pk, kind="reminder", assignment_id=assignment.pk)
    tick(start + dt.timedelta(minutes=3))
    with at(4):
        notify_person(
            tenant_id=tenant.pk,
            person_id=person.pk,
            kind="certificate_issued",
            data={"title": "Patentino", "path": "/"},
        )
    tick(start + dt.timedelta(minutes=5))
    assign_at(start + dt.timedelta(minutes=6), admin, person, make_course(tenant, title="A"), due_date="2026-05-01")
    with at(6):
        notify_person(tenant_id=tenant.pk, person_id=person.pk, kind="reminder", assignment_id=assignment.pk)
    tick(start + dt.timedelta(minutes=7))  # two in one email
    with at(8):
        invitations_send(actor=admin, person_ids=[person.pk])
        password_reset_email(person=person, link="https://learn.acme.test/reset/x", dedup_key=f"reset:{person.pk}")
    tick(start + dt.timedelta(minutes=9))
    tick(NOW)  # the Monday digest
    received = _received(server, person.email)
    for kind, (subject, phrase) in expected.items():
        if kind == "several":
            matches = [body for s, body in received.items() if s == subject]
            assert matches and phrase in matches[0], (kind, sorted(received))
            continue
        assert subject in received, (kind, subject, sorted(received))
        assert phrase in received[subject], (kind, received[subject])
    assert not any("Hello" in body for body in received.values())


def test_a_tenants_own_template_keeps_its_own_words(server, admin, make_person, tenant):
    person = make_person(tenant, email="it@acme.test", locale="it")
    MessageTemplate.objects.create(
        tenant=tenant,
        kind="assigned",
        language="",
        subject="Custom: {{ item.target_title }}",
        body_text="Hi {{ person.name }}, see {{ item.link }}",
    )
    assign_at(NOW, admin, person, make_course(tenant, title="Ladders"), due_date="2026-03-20")
    tick(NOW + dt.timedelta(minutes=1))
    [message] = [m for m in server.handler.received if m["To"] == person.email]
    assert message["Subject"] == "Custom: Ladders"
    assert message.get_body(preferencelist=("plain",)).get_content().startswith("Hi ")


def test_english_stays_english(server, admin, learner, tenant):
    assign_at(NOW, admin, learner, make_course(tenant, title="Ladders"), due_date="2026-03-20")
    tick(NOW + dt.timedelta(minutes=1))
    [message] = [m for m in server.handler.received if m["To"] == learner.email]
    assert message["Subject"] == "New training assigned: Ladders (due 20 Mar 2026)"
