"""Issuing and invalidating certificates as the facts change, in the transaction of the change."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments.exemptions import exemption_grant
from duecourse.assignments.inputs import ExemptionInput
from duecourse.assignments.living_rules import rule_delete
from duecourse.certificates.domain import format_number, requirements_key
from duecourse.certificates.models import Certificate
from duecourse.certificates.tests.conftest import (
    START,
    assignment_of,
    certificates_of,
    change_config,
    complete,
    item,
    live,
    make_config,
)
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification, OutboxMessage
from duecourse.testing.factories import make_course

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def crew(tenant, make_person):
    return [make_person(tenant, name=name) for name in ("Łukasz Nowak", "Zoë Brandt", "José Álvarez")]


class TestIssue:
    def test_issued_once_every_required_item_is_completed_and_valid(self, admin, crew, courses):
        theory, practice, ladder = courses
        rule = make_config(
            admin,
            crew,
            [item(theory, validity_months=12), item(practice, validity_months=24), item(ladder, "optional")],
        )
        lukasz = crew[0]
        complete(admin, lukasz, theory, START + DAY)
        assert certificates_of(lukasz) == []  # one of two required items done
        complete(admin, lukasz, practice, START + 2 * DAY)

        (cert,) = certificates_of(lukasz)
        assert (cert.rule_id, cert.title, cert.number) == (rule.pk, "Forklift licence", format_number(1))
        assert len(cert.code) >= 32 and cert.issued_at == START + 2 * DAY
        # The earliest expiry among the required items' completions: theory's 12 months.
        assert cert.valid_until == START + DAY + dt.timedelta(days=365)
        assert cert.items == [
            {
                "target": {"type": "course", "id": theory.pk, "title": "Forklift theory"},
                "completed_at": (START + DAY).isoformat(),
            },
            {
                "target": {"type": "course", "id": practice.pk, "title": "Forklift practice"},
                "completed_at": (START + 2 * DAY).isoformat(),
            },
        ]
        assert cert.requirements == requirements_key([("course", theory.pk), ("course", practice.pk)])
        # Nobody else completed anything: nobody else has one; the optional item never blocked Łukasz.
        assert Certificate.objects.count() == 1

    def test_the_holder_is_told_once_and_emailed_the_pdf_once(self, admin, crew, courses):
        theory = courses[0]
        make_config(admin, crew, [item(theory)])
        zoe = crew[1]
        complete(admin, zoe, theory, START + DAY)
        complete(admin, zoe, theory, START + 2 * DAY)  # a second completion: nothing new to issue
        (cert,) = certificates_of(zoe)
        (note,) = Notification.objects.filter(person=zoe, kind="certificate_issued")
        assert note.data["certificate_id"] == cert.pk and note.email_key == f"certificate:{cert.pk}"
        (email,) = OutboxMessage.objects.filter(person=zoe)
        assert email.attachments == [{"kind": "certificate", "id": cert.pk}]
        assert (email.dedup_key, email.to_email, email.rendered) == (f"certificate:{cert.pk}", zoe.email, False)
        assert AuditEvent.objects.filter(action="certificate.issue").count() == 1

    def test_email_off_for_certificates_still_notifies_in_app(self, admin, crew, courses):
        from duecourse.notifications.models import NotificationPreference

        theory = courses[0]
        NotificationPreference.objects.create(tenant=admin.tenant, person=crew[2], email_certificates=False)
        make_config(admin, crew, [item(theory)])
        complete(admin, crew[2], theory, START + DAY)
        (note,) = Notification.objects.filter(person=crew[2], kind="certificate_issued")
        assert note.email_state == "skipped"
        assert not OutboxMessage.objects.filter(person=crew[2]).exists()

    def test_people_already_complete_get_one_when_the_configuration_is_saved(self, admin, crew, courses):
        theory = courses[0]
        complete(admin, crew[0], theory, START - 10 * DAY)
        rule = make_config(admin, crew, [item(theory)])
        (cert,) = certificates_of(crew[0], rule)
        assert cert.items[0]["completed_at"] == (START - 10 * DAY).isoformat()
        assert certificates_of(crew[1]) == []

    def test_optional_and_hidden_items_never_block(self, admin, crew, courses):
        theory, practice, ladder = courses
        rule = make_config(admin, crew, [item(theory), item(practice, "optional"), item(ladder, "hidden")])
        complete(admin, crew[0], theory, START + DAY)
        assert live(crew[0], rule) is not None

    def test_an_exempt_required_item_blocks_issue(self, admin, crew, courses):
        theory, practice, _ = courses
        rule = make_config(admin, crew, [item(theory), item(practice)])
        with time_machine.travel(START + DAY, tick=False):
            exemption_grant(
                actor=admin, assignment=assignment_of(crew[0], practice), data=ExemptionInput(reason="On leave")
            )
        complete(admin, crew[0], theory, START + 2 * DAY)
        assert live(crew[0], rule) is None  # a certificate states what was completed
        complete(admin, crew[0], practice, START + 3 * DAY)  # completed beats exempt
        assert live(crew[0], rule) is not None

    def test_without_certificates_nothing_is_issued(self, admin, crew, courses):
        make_config(admin, crew, [item(courses[0])], certificate=False)
        complete(admin, crew[0], courses[0], START + DAY)
        assert Certificate.objects.count() == 0

    def test_a_paused_configuration_issues_nothing_new(self, admin, crew, courses):
        theory = courses[0]
        rule = make_config(admin, crew, [item(theory)])
        change_config(admin, rule, START + DAY, active=False)
        complete(admin, crew[0], theory, START + 2 * DAY)
        assert certificates_of(crew[0]) == []

    def test_numbers_count_up_per_tenant(self, admin, crew, courses, other_tenant, make_person):
        theory = courses[0]
        make_config(admin, crew, [item(theory)])
        for n, person in enumerate(crew):
            complete(admin, person, theory, START + (n + 1) * DAY)
        assert [c.number for c in Certificate.objects.order_by("id")] == [format_number(n) for n in (1, 2, 3)]
        assert len({c.code for c in Certificate.objects.all()}) == 3

        other_admin = make_person(other_tenant, roles=("admin",))
        other_course = make_course(other_tenant)
        other = make_person(other_tenant)
        make_config(other_admin, [other], [item(other_course)])
        complete(other_admin, other, other_course, START + DAY)
        assert certificates_of(other)[0].number == format_number(1)


class TestInvalidate:
    @pytest.fixture
    def held(self, admin, crew, courses):
        theory, practice, _ = courses
        rule = make_config(admin, crew, [item(theory, validity_months=12), item(practice)])
        complete(admin, crew[0], theory, START + DAY)
        complete(admin, crew[0], practice, START + DAY)
        return rule, live(crew[0], rule)

    def test_a_new_required_item_invalidates_and_catching_up_issues_a_new_one(self, admin, crew, courses, held):
        theory, practice, ladder = courses
        rule, first = held
        change_config(
            admin, rule, START + 10 * DAY, items=[item(theory, validity_months=12), item(practice), item(ladder)]
        )
        first.refresh_from_db()
        assert (first.invalid_reason, first.invalidated_at) == ("requirements_changed", START + 10 * DAY)
        (told,) = Notification.objects.filter(person=crew[0], kind="certificate_invalidated")
        assert "To restore it, complete: Ladder safety" in told.data["note"]
        assert told.email_state == "pending"  # emailed by the usual composing

        complete(admin, crew[0], ladder, START + 11 * DAY)
        second = live(crew[0], rule)
        assert second.pk != first.pk and (second.number, second.code) != (first.number, first.code)
        assert len(second.items) == 3
        assert [c.pk for c in certificates_of(crew[0], rule)] == [first.pk, second.pk]  # history kept

    def test_a_hidden_item_made_required_counts_as_new(self, admin, crew, courses):
        theory, _, ladder = courses
        rule = make_config(admin, crew, [item(theory), item(ladder, "hidden")])
        complete(admin, crew[0], theory, START + DAY)
        cert = live(crew[0], rule)
        change_config(admin, rule, START + 2 * DAY, items=[item(theory), item(ladder)])
        cert.refresh_from_db()
        assert cert.invalid_reason == "requirements_changed"

    def test_a_required_item_made_optional_keeps_it_valid(self, admin, crew, courses, held):
        theory, practice, _ = courses
        rule, cert = held
        change_config(
            admin, rule, START + 2 * DAY, items=[item(theory, validity_months=12), item(practice, "optional")]
        )
        cert.refresh_from_db()
        assert cert.invalidated_at is None

    def test_leaving_the_audience_withdraws_it(self, admin, crew, courses, held):
        rule, cert = held
        change_config(admin, rule, START + 3 * DAY, audience={"person_ids": [p.pk for p in crew[1:]]})
        cert.refresh_from_db()
        assert (cert.invalid_reason, cert.invalidated_at) == ("withdrawn", START + 3 * DAY)

    def test_deleting_the_configuration_withdraws_it(self, admin, crew, held):
        rule, cert = held
        with time_machine.travel(START + 3 * DAY, tick=False):
            rule_delete(actor=admin, rule=rule)
        cert.refresh_from_db()
        assert cert.invalid_reason == "withdrawn"

    def test_a_retake_of_a_required_item_invalidates_it_as_expired(self, admin, crew, courses, held):
        from duecourse.testing.factories import assign

        theory = courses[0]
        rule, cert = held
        with time_machine.travel(START + 5 * DAY, tick=False):
            assign(admin, crew[0], theory, retake=True, due_in_days=7)
        cert.refresh_from_db()
        assert (cert.invalid_reason, cert.invalidated_at) == ("expired", START + 5 * DAY)
        complete(admin, crew[0], theory, START + 6 * DAY)
        assert live(crew[0], rule) is not None
