"""Invitations: the state rule and its SQL form, the invite API and pages, the link's single use and expiry."""

import datetime as dt
import itertools
import re

import pytest
import time_machine
from django.test import Client

from duecourse.core.models import AuditEvent
from duecourse.notifications.delivery import render_outbox_message
from duecourse.notifications.models import OutboxMessage
from duecourse.people.invitation_state import InvitationState, invitation_state
from duecourse.people.invitations import invitations_send
from duecourse.people.models import Invitation, Person
from duecourse.people.selectors import with_invitation_state
from duecourse.testing.scheduling import utc
from duecourse.testing.web import field_error, signed_in, text

NOW = utc("2026-03-02T09:00")
GOOD_PASSWORD = "lantern-orchard-77"
POLICY = [
    {"NAME": f"django.contrib.auth.password_validation.{name}", "OPTIONS": options}
    for name, options in (
        ("UserAttributeSimilarityValidator", {}),
        ("MinimumLengthValidator", {"min_length": 10}),
        ("CommonPasswordValidator", {}),
    )
]


def link_of(person: Person) -> str:
    """The invitation link in the person's latest invitation email, as delivery words it."""
    message = OutboxMessage.objects.filter(person=person, dedup_key__startswith="invitation:").latest("id")
    render_outbox_message(message)
    assert message.state == "pending", message.last_error
    return re.search(r"https?://\S+/invitation/(\S+?)/", message.body_text).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.fixture
def invitee(tenant, make_person):
    return make_person(tenant, name="Nina Newcomer", email="nina@acme.test")


# --- the rule and its SQL form -------------------------------------------------------------------
def test_sql_form_matches_the_rule_on_every_combination(tenant, make_person):
    cases = {}
    for index, (accepted, live) in enumerate(itertools.product([False, True], [None, "future", "past"])):
        person = make_person(tenant, email=f"case{index}@acme.test")
        if accepted:
            Invitation.objects.create(
                tenant=tenant, person=person, nonce="a", created_at=NOW, expires_at=NOW, accepted_at=NOW
            )
        # A replaced invitation never counts.
        Invitation.objects.create(
            tenant=tenant, person=person, nonce="r", created_at=NOW, expires_at=NOW, revoked_at=NOW
        )
        expires = {None: None, "future": NOW + dt.timedelta(days=1), "past": NOW - dt.timedelta(seconds=1)}[live]
        if expires is not None:
            Invitation.objects.create(tenant=tenant, person=person, nonce="l", created_at=NOW, expires_at=expires)
        cases[person.pk] = invitation_state(accepted=accepted, live_expires_at=expires, now=NOW)
    found = dict(with_invitation_state(Person.objects.filter(pk__in=cases), NOW).values_list("pk", "invitation_state"))
    assert found == {pk: state.value for pk, state in cases.items()}
    assert set(cases.values()) == set(InvitationState)


def test_one_live_invitation_per_person_is_a_database_constraint(tenant, invitee):
    from django.db import IntegrityError, transaction

    Invitation.objects.create(tenant=tenant, person=invitee, nonce="a", created_at=NOW, expires_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(tenant=tenant, person=invitee, nonce="b", created_at=NOW, expires_at=NOW)


# --- API -----------------------------------------------------------------------------------------
def test_invite_answers_202_writes_one_email_and_shows_invited(admin_api, invitee):
    response = admin_api.post(f"people/{invitee.pk}/invite")
    assert response.status_code == 202, response.content
    assert response.json()["invitation"] == "invited"
    [message] = OutboxMessage.objects.filter(person=invitee)
    assert message.dedup_key == f"invitation:{Invitation.objects.get(person=invitee).pk}"
    assert AuditEvent.objects.filter(action="invitation.send", object_id=invitee.pk).count() == 1
    assert admin_api.get("people?invitation=invited").json()["items"][0]["id"] == invitee.pk
    assert [p["id"] for p in admin_api.get("people?invitation=none").json()["items"]] != []
    assert invitee.pk not in [p["id"] for p in admin_api.get("people?invitation=none").json()["items"]]


def test_resend_replaces_the_link_and_the_old_one_stops_working(admin_api, invitee):
    admin_api.post(f"people/{invitee.pk}/invite")
    first = link_of(invitee)
    assert admin_api.post(f"people/{invitee.pk}/invite").status_code == 202
    second = link_of(invitee)
    assert first != second
    assert OutboxMessage.objects.filter(person=invitee).count() == 2
    old = Client().get(path_of(first))
    assert old.status_code == 410 and "newer invitation replaced" in text(old)
    assert Client().get(path_of(second)).status_code == 200


def test_invite_a_deactivated_person_is_409_naming_the_field(admin_api, invitee):
    invitee.active = False
    invitee.save()
    response = admin_api.post(f"people/{invitee.pk}/invite")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "active"
    assert not Invitation.objects.exists() and not OutboxMessage.objects.exists()


def test_invite_someone_who_accepted_is_409(admin_api, invitee):
    admin_api.post(f"people/{invitee.pk}/invite")
    Client().post(path_of(link_of(invitee)), {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD})
    response = admin_api.post(f"people/{invitee.pk}/invite")
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "invitation"
    assert admin_api.get(f"people/{invitee.pk}").json()["invitation"] == "accepted"


def test_invite_unknown_filter_value_is_422(admin_api):
    assert admin_api.get("people?invitation=maybe").status_code == 422


# --- accepting -----------------------------------------------------------------------------------
def test_accept_sets_the_password_signs_in_and_the_link_is_single_use(admin_api, invitee):
    admin_api.post(f"people/{invitee.pk}/invite")
    path = path_of(link_of(invitee))
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert "Nina Newcomer" in text(page) and invitee.tenant.name in text(page)

    response = client.post(path, {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/learning/"
    assert client.get("/learning/").status_code == 200  # signed in
    invitee.refresh_from_db()
    assert invitee.user.check_password(GOOD_PASSWORD)
    assert Invitation.objects.get(person=invitee).accepted_at is not None

    again = Client().post(path, {"password": "another-pass-1234", "password_again": "another-pass-1234"})
    assert again.status_code == 410 and "already used" in text(again)
    invitee.user.refresh_from_db()
    assert invitee.user.check_password(GOOD_PASSWORD)  # nothing changed


@pytest.mark.parametrize(
    ("password", "again", "field", "message"),
    [
        ("short", "short", "password", "too short"),
        ("password1234", "password1234", "password", "too common"),
        ("nina@acme.test1", "nina@acme.test1", "password", "too similar"),
        (GOOD_PASSWORD, GOOD_PASSWORD + "x", "password_again", "does not match"),
    ],
)
def test_a_weak_or_mismatched_password_is_said_beside_the_field_and_nothing_changes(
    admin_api, invitee, settings, password, again, field, message
):
    settings.AUTH_PASSWORD_VALIDATORS = POLICY  # the policy, whatever the settings say today
    admin_api.post(f"people/{invitee.pk}/invite")
    path = path_of(link_of(invitee))
    response = Client().post(path, {"password": password, "password_again": again})
    assert response.status_code == 422
    assert message in field_error(text(response), field)
    invitee.refresh_from_db()
    assert invitee.user is None
    assert Invitation.objects.get(person=invitee).accepted_at is None


def test_an_expired_link_shows_a_clear_page_and_changes_nothing(admin_api, invitee):
    with time_machine.travel(NOW, tick=False):
        admin_api.post(f"people/{invitee.pk}/invite")
        path = path_of(link_of(invitee))
    with time_machine.travel(NOW + dt.timedelta(days=7, seconds=1), tick=False):
        response = Client().post(path, {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD})
        assert response.status_code == 410
        assert "expired" in text(response) and "new invitation" in text(response)
        assert admin_api.get(f"people/{invitee.pk}").json()["invitation"] == "expired"
    invitee.refresh_from_db()
    assert invitee.user is None
    with time_machine.travel(NOW + dt.timedelta(days=6, hours=23), tick=False):
        assert Client().get(path).status_code == 200


@pytest.mark.parametrize("token", ["nonsense", "999999-abc", "1-", "12345678901234567890-x"])
def test_unknown_links_are_not_found(db, token):
    response = Client().get(f"/invitation/{token}/")
    assert response.status_code == 404 and "not valid" in text(response)


def test_a_tampered_token_is_not_valid(admin_api, invitee):
    admin_api.post(f"people/{invitee.pk}/invite")
    path = path_of(link_of(invitee))
    assert Client().get(path[:-3] + ("A/" if path[-2] != "A" else "B/")).status_code == 404


# --- pages ---------------------------------------------------------------------------------------
def test_person_page_shows_the_state_and_invites(admin, invitee):
    client = signed_in(admin)
    page = text(client.get(f"/people/{invitee.pk}/"))
    assert "Not invited" in page and ">Invite</button>" in page
    response = client.post(f"/people/{invitee.pk}/invite/")
    assert response.status_code == 302
    page = text(client.get(f"/people/{invitee.pk}/"))
    assert "Invited" in page and "Resend invitation" in page and "Invitation sent to nina@acme.test" in page


def test_selection_invites_and_says_who_was_skipped_and_why(admin, tenant, make_person, other_tenant):
    fresh = [make_person(tenant) for _ in range(3)]
    gone = make_person(tenant, active=False)
    foreign = make_person(other_tenant)
    client = signed_in(admin)
    response = client.post("/people/invite/", {"person_ids": [p.pk for p in fresh] + [gone.pk, foreign.pk]})
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Invited 3 people; skipped 2: 1 deactivated, 1 not found." in page
    assert Invitation.objects.filter(person__in=fresh).count() == 3
    assert not Invitation.objects.filter(person__in=[gone, foreign]).exists()
    assert OutboxMessage.objects.filter(dedup_key__startswith="invitation:").count() == 3


@pytest.mark.parametrize("role", ["instructor", "hr", "manager", "learner"])
def test_only_admins_see_and_use_invite(tenant, make_person, invitee, role):
    actor = make_person(tenant, roles=(role,) if role in ("instructor", "hr") else ())
    if role == "manager":
        invitee.manager = actor
        invitee.save()
    client = signed_in(actor)
    assert client.post(f"/people/{invitee.pk}/invite/").status_code == (403 if role != "learner" else 404)
    assert client.post("/people/invite/", {"person_ids": [invitee.pk]}).status_code == 403
    assert "Invite" not in text(client.get("/people/"))
    assert not Invitation.objects.exists()


def test_other_tenants_person_page_invite_is_404(admin, other_tenant, make_person):
    foreign = make_person(other_tenant)
    assert signed_in(admin).post(f"/people/{foreign.pk}/invite/").status_code == 404
    assert Client().post(f"/people/{foreign.pk}/invite/").status_code == 302  # anonymous: sign in


def test_service_outcome_for_the_lead(admin, tenant, make_person):
    people = [make_person(tenant) for _ in range(2)]
    outcome = invitations_send(actor=admin, person_ids=[p.pk for p in people] + [10**12])
    assert outcome.invited == 2 and outcome.skipped_by_reason() == {"not found": 1}
