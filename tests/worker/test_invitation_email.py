"""Invitation emails through a real SMTP server: exactly once per invitation; assignment emails to people
who never signed in carry their (one, reused) invitation link instead of a bare login link."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from duecourse.people.models import Invitation
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, utc, worker_once
from duecourse.testing.web import signed_in

NOW = utc("2026-03-02T09:00")
pytestmark = pytest.mark.usefixtures("smtp_settings")
LINK = re.compile(r"https?://\S+?/invitation/[^/\s]+/")


def bodies_to(smtp_server, person) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in smtp_server.handler.received if m["To"] == person.email]


def test_an_invitation_is_emailed_exactly_once_with_a_working_link(smtp_server, admin_api, tenant, make_person):
    person = make_person(tenant, name="Ines Invited", email="ines@acme.test")
    with time_machine.travel(NOW, tick=False):
        assert admin_api.post(f"people/{person.pk}/invite").status_code == 202
    worker_once(NOW)
    worker_once(NOW + dt.timedelta(hours=1))
    [body] = bodies_to(smtp_server, person)
    [message] = smtp_server.handler.received
    assert message["Subject"] == f"You are invited to {tenant.name} on duecourse"
    [link] = LINK.findall(body)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert Client().get("/" + link.split("/", 3)[3]).status_code == 200


def test_assignment_emails_to_people_who_never_signed_in_carry_one_reused_invitation_link(
    smtp_server, admin, tenant, make_person
):
    newcomer = make_person(tenant, name="Nora New", email="nora@acme.test")
    veteran = make_person(tenant, name="Vera Veteran", email="vera@acme.test")
    signed_in(veteran)  # has logged in: last_login is set
    for person in (newcomer, veteran):
        assign_at(NOW, admin, person, make_course(tenant, title=f"Safety for {person.name}"))
    worker_once(NOW + dt.timedelta(minutes=1))

    [first] = bodies_to(smtp_server, newcomer)
    [link] = LINK.findall(first)
    assert "You have no password yet" in first
    [veteran_body] = bodies_to(smtp_server, veteran)
    assert not LINK.findall(veteran_body) and "See everything that is due for you" in veteran_body
    [invitation] = Invitation.objects.filter(person=newcomer)
    assert invitation.via == "assignment_email"
    assert not Invitation.objects.filter(person=veteran).exists()

    # A second email reuses the live invitation: same link, no new invitation, no separate invitation email.
    later = NOW + dt.timedelta(days=1)
    assign_at(later, admin, newcomer, make_course(tenant, title="Fire drill"))
    worker_once(later + dt.timedelta(minutes=1))
    bodies = bodies_to(smtp_server, newcomer)
    assert len(bodies) == 2 and LINK.findall(bodies[1]) == [link]
    assert Invitation.objects.filter(person=newcomer).count() == 1

    # Accepting through the link ends the invitation links in later emails.
    path = "/" + link.split("/", 3)[3]
    with time_machine.travel(later + dt.timedelta(hours=1), tick=False):
        response = Client().post(path, {"password": "lantern-orchard-77", "password_again": "lantern-orchard-77"})
    assert response.status_code == 302
    latest = later + dt.timedelta(days=1)
    assign_at(latest, admin, newcomer, make_course(tenant, title="First aid"))
    worker_once(latest + dt.timedelta(minutes=1))
    bodies = bodies_to(smtp_server, newcomer)
    assert len(bodies) == 3 and not LINK.findall(bodies[2])


def test_an_expired_invitation_is_replaced_by_the_next_assignment_email(smtp_server, admin, tenant, make_person):
    person = make_person(tenant, email="late@acme.test")
    assign_at(NOW, admin, person, make_course(tenant))
    worker_once(NOW + dt.timedelta(minutes=1))
    [old_link] = LINK.findall(bodies_to(smtp_server, person)[0])
    much_later = NOW + dt.timedelta(days=8)
    assign_at(much_later, admin, person, make_course(tenant))
    worker_once(much_later + dt.timedelta(minutes=1))
    [new_link] = LINK.findall(bodies_to(smtp_server, person)[1])
    assert new_link != old_link
    assert Invitation.objects.filter(person=person, revoked_at__isnull=True).count() == 1


def test_the_assignment_email_carries_the_link_of_the_invitation_sent_before_it(
    smtp_server, admin_api, admin, tenant, make_person
):
    person = make_person(tenant, email="both@acme.test")
    with time_machine.travel(NOW, tick=False):
        admin_api.post(f"people/{person.pk}/invite")
    assign_at(NOW, admin, person, make_course(tenant))
    worker_once(NOW + dt.timedelta(minutes=1))
    links = [LINK.findall(body) for body in bodies_to(smtp_server, person)]
    assert len(links) == 2 and links[0] == links[1] and len(links[0]) == 1
