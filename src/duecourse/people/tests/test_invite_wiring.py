"""Invitations wired into the people pages: "invite everyone matching" the list's filters (count, confirm,
set-based in batches), "Send an invitation" when adding a person, "Invite the people this import creates"."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.core import clock
from duecourse.notifications.models import OutboxMessage
from duecourse.people import invitations
from duecourse.people.invitations import invitations_send
from duecourse.people.models import Invitation, Person
from duecourse.testing.web import text


@pytest.fixture(autouse=True)
def staging_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def invitation_emails() -> int:
    return OutboxMessage.objects.filter(dedup_key__startswith="invitation:").count()


@pytest.fixture
def crew(admin, tenant, make_person):
    """Nine "Crew" people in every invitation state, and two others the filter leaves out."""
    people = {f"fresh{i}": make_person(tenant, name=f"Crew Fresh {i}") for i in range(3)}
    people["gone"] = make_person(tenant, name="Crew Gone", active=False)
    for key in ("invited", "accepted", "expired"):
        people[key] = make_person(tenant, name=f"Crew {key.title()}")
    with time_machine.travel(clock.now() - dt.timedelta(days=8)):
        invitations_send(actor=admin, person_ids=[people["expired"].pk])
    invitations_send(actor=admin, person_ids=[people["invited"].pk, people["accepted"].pk])
    Invitation.objects.filter(person=people["accepted"]).update(accepted_at=clock.now())
    people["other"] = make_person(tenant, name="Office Olga")
    return people


def test_invite_everyone_matching_asks_with_the_count_then_invites_only_those_who_need_it(admin, crew, signed_in):
    client = signed_in(admin)
    before = invitation_emails()
    live_before = Invitation.objects.get(person=crew["invited"], revoked_at__isnull=True).pk
    listing = text(client.get("/people/?q=crew"))
    assert 'href="/people/invite-matching/?q=crew"' in listing and "Invite everyone matching" in listing

    ask = text(client.get("/people/invite-matching/?q=crew"))
    assert "Invite 4 people?" in ask  # 3 never invited + 1 expired; not invited, accepted, deactivated, Olga
    assert invitation_emails() == before  # asking sends nothing

    done = client.post("/people/invite-matching/?q=crew")
    assert done.status_code == 302 and done["Location"] == "/people/?q=crew"
    assert "Invited 4 people." in text(client.get(done["Location"]))
    assert invitation_emails() == before + 4
    needed = [crew[k] for k in ("fresh0", "fresh1", "fresh2", "expired")]
    working = Invitation.objects.filter(revoked_at__isnull=True, expires_at__gt=clock.now())
    assert working.filter(person__in=needed).count() == 4
    assert Invitation.objects.get(person=crew["invited"], revoked_at__isnull=True).pk == live_before  # link kept
    assert not Invitation.objects.filter(person__in=[crew["other"], crew["gone"]]).exists()

    again = client.post("/people/invite-matching/?q=crew", follow=True)
    assert "Nobody matching these filters needs an invitation" in text(again)
    assert "Nobody to invite" in text(client.get("/people/invite-matching/?q=crew"))
    assert invitation_emails() == before + 4


@pytest.mark.parametrize("role", ["instructor", "hr", "learner"])
def test_only_admins_invite_everyone_matching(tenant, make_person, crew, signed_in, role):
    client = signed_in(make_person(tenant, roles=(role,) if role != "learner" else ()))
    before = Invitation.objects.count()
    assert client.get("/people/invite-matching/").status_code == 403
    assert client.post("/people/invite-matching/").status_code == 403
    assert Invitation.objects.count() == before


def test_thousands_go_in_batches_with_no_query_per_person(admin, tenant, make_person, monkeypatch):
    def queries_to_invite(n: int) -> tuple[int, int]:
        ids = [make_person(tenant).pk for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            outcome = invitations_send(actor=admin, person_ids=ids)
        return outcome.invited, len(queries)

    assert queries_to_invite(3) == (3, queries_to_invite(40)[1])  # the same statements for 3 or 40 people
    monkeypatch.setattr(invitations, "INVITE_BATCH", 10)
    invited, _ = queries_to_invite(25)  # three batches, each its own transaction
    assert invited == 25 and invitation_emails() == 3 + 40 + 25


# Add a person with "Send an invitation"

NEW = {"name": "Nina New", "email": "nina@acme.test", "timezone": "Europe/London", "active": "on"}


def test_adding_a_person_with_the_box_ticked_invites_them(admin, signed_in):
    client = signed_in(admin)
    assert 'name="send_invitation"' in text(client.get("/people/new/"))
    response = client.post("/people/new/", {**NEW, "send_invitation": "on"}, follow=True)
    nina = Person.objects.get(email="nina@acme.test")
    assert "Added Nina New. Invitation sent to nina@acme.test." in text(response)
    assert Invitation.objects.filter(person=nina).count() == 1 and invitation_emails() == 1


def test_adding_a_person_without_the_box_sends_nothing(admin, signed_in):
    signed_in(admin).post("/people/new/", NEW)
    assert Person.objects.filter(email="nina@acme.test").exists()
    assert not Invitation.objects.exists() and invitation_emails() == 0


def test_adding_an_inactive_person_with_the_box_says_why_nobody_was_invited(admin, signed_in):
    response = signed_in(admin).post("/people/new/", {**NEW, "active": "", "send_invitation": "on"}, follow=True)
    assert "Added Nina New. Invited 0 people; skipped 1: 1 deactivated." in text(response)
    assert not Invitation.objects.exists()


def test_a_rejected_add_invites_nobody(admin, signed_in):
    response = signed_in(admin).post("/people/new/", {**NEW, "email": "not-an-email", "send_invitation": "on"})
    assert response.status_code == 422 and not Invitation.objects.exists()


# Import with "Invite the people this import creates"

CSV = "email,name\nivy@acme.test,Ivy Import\nnina@acme.test,Nina Known Renamed\nbroken,Bad Row\n"


def _import(client, **extra):
    file = SimpleUploadedFile("staff.csv", CSV.encode(), content_type="text/csv")
    response = client.post("/people/import/", {"file": file, **extra})
    preview = text(client.get(response["Location"]))
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview).group(1)
    return preview, client.post(f"{response['Location']}confirm/", {"sha256": sha}, follow=True)


def test_import_invites_the_people_it_creates_when_asked(admin, tenant, make_person, signed_in):
    known = make_person(tenant, name="Nina Known", email="nina@acme.test")
    client = signed_in(admin)
    assert 'name="invite_created"' in text(client.get("/people/import/"))
    preview, done = _import(client, invite_created="on")
    assert "the people it creates are invited" in preview
    assert "1 created, 1 updated, 0 deactivated, 1 rows failed. Invited 1 person." in text(done)
    ivy = Person.objects.get(email="ivy@acme.test")
    assert list(Invitation.objects.values_list("person_id", flat=True)) == [ivy.pk]  # not the updated Nina
    assert invitation_emails() == 1 and known.pk != ivy.pk


def test_import_without_the_box_invites_nobody(admin, tenant, make_person, signed_in):
    make_person(tenant, name="Nina Known", email="nina@acme.test")
    _, done = _import(signed_in(admin))
    assert "1 created" in text(done) and "Invited" not in text(done)
    assert not Invitation.objects.exists() and invitation_emails() == 0
