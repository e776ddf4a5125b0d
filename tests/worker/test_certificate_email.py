"""A certificate is emailed with its PDF attached through a real SMTP server, exactly once; a PDF that
cannot be rendered holds the email (never sent without it) and shows the error to admins."""

import datetime as dt
import io

import pytest
import time_machine
from PIL import Image

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.progress import progress_record
from duecourse.certificates.files import verification_url
from duecourse.certificates.inputs import LogoInput
from duecourse.certificates.models import Certificate, TenantLogo
from duecourse.certificates.services import tenant_logo_set
from duecourse.notifications.models import OutboxMessage
from duecourse.testing.factories import make_course, target
from duecourse.testing.pdfs import pdf_text, qr_matches
from duecourse.testing.scheduling import utc, worker_once

NOW = utc("2026-03-02T09:00")
pytestmark = pytest.mark.usefixtures("smtp_settings")


@pytest.fixture
def certified(tenant, admin, make_person, settings):
    settings.BASE_URL = "https://training.acme.example"
    people = [
        make_person(tenant, name="Łukasz Wójcik", email="lukasz@acme.test"),
        make_person(tenant, name="Zoë Brandt", email="zoe@acme.test"),
    ]
    theory = make_course(tenant, title="Forklift theory")
    practice = make_course(tenant, title="Forklift practice")
    with time_machine.travel(NOW, tick=False):
        rule_create(
            actor=admin,
            data=RuleInput.model_validate(
                {
                    "name": "Forklift licence",
                    "audience": {"person_ids": [p.pk for p in people]},
                    "items": [{"target": target(theory), "validity_months": 12}, {"target": target(practice)}],
                    "certificate": True,
                }
            ),
        )
        for person in people:
            for course in (theory, practice):
                progress_record(actor=admin, person_id=person.pk, course_id=course.pk, completed_at=NOW)
    return people


def test_each_certificate_arrives_once_with_its_pdf(smtp_server, certified):
    worker_once(NOW + dt.timedelta(minutes=1))
    received = smtp_server.handler.received
    certificate_mails = [m for m in received if m["Subject"] == "Certificate issued: Forklift licence"]
    assert sorted(m["To"] for m in certificate_mails) == ["lukasz@acme.test", "zoe@acme.test"]
    for message in certificate_mails:
        cert = Certificate.objects.select_related("person").get(person__email=message["To"])
        assert (
            f"Certificate {cert.number}, valid until 2 Mar 2027. The PDF is attached."
            in message.get_body(("plain",)).get_content()
        )
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"certificate-{cert.number}.pdf"
        content = attachment.get_content()
        text = pdf_text(content)
        for expected in (cert.person.name, "Forklift theory", "Forklift practice", cert.number, "2 March 2027"):
            assert expected in text
        assert f"https://training.acme.example/verify/{cert.code}" in text
        assert qr_matches(content, verification_url(cert.code))
    assert OutboxMessage.objects.filter(dedup_key__startswith="certificate:", state="sent").count() == 2

    worker_once(NOW + dt.timedelta(hours=2))
    worker_once(NOW + dt.timedelta(days=1))
    assert len([m for m in received if m["Subject"].startswith("Certificate issued")]) == 2


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 90), (29, 78, 216)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_pdf_that_fails_to_render_holds_the_email(smtp_server, certified, tenant, admin):
    TenantLogo.objects.create(tenant=tenant, image=b"\x89PNG broken", width=1, height=1, uploaded_at=NOW)
    worker_once(NOW + dt.timedelta(minutes=1))
    assert not [m for m in smtp_server.handler.received if m["Subject"].startswith("Certificate issued")]
    held = OutboxMessage.objects.filter(dedup_key__startswith="certificate:")
    assert {m.state for m in held} == {"held"} and all("Attachment failed" in m.last_error for m in held)
    assert all(c.pdf_error for c in Certificate.objects.all())

    worker_once(NOW + dt.timedelta(hours=1))  # held stays held: nothing half-sent, nothing sent twice
    assert not [m for m in smtp_server.handler.received if m["Subject"].startswith("Certificate issued")]

    # The admin replaces the broken logo: the held emails go out, each once, with a PDF that renders.
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        tenant_logo_set(actor=admin, data=LogoInput(content=png(), filename="logo.png"))
    worker_once(NOW + dt.timedelta(hours=2, minutes=1))
    sent = [m for m in smtp_server.handler.received if m["Subject"].startswith("Certificate issued")]
    assert sorted(m["To"] for m in sent) == ["lukasz@acme.test", "zoe@acme.test"]
    assert all(pdf_text(next(m.iter_attachments()).get_content()) for m in sent)
    assert not any(c.pdf_error for c in Certificate.objects.all())
