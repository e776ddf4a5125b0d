"""Forgot password (the same answer either way, one email, a single-use link valid an hour, every
session ends) and Change password (the current one required, other sessions end, this one stays)."""

import re

import pytest
from django.test import Client

from duecourse.core.models import AuditEvent
from duecourse.notifications.models import OutboxMessage
from duecourse.people import services
from duecourse.testing.web import field_error, text

pytestmark = pytest.mark.django_db

OLD = "violet-harbour-42"
NEW = "amber-lighthouse-77"
ANSWER = "If an account exists for that address, we have sent a link"


@pytest.fixture
def ada(tenant, make_person):
    person = make_person(tenant, name="Ada Lovelace", email="ada.lovelace@example.com")
    services.person_set_password(person=person, password=OLD)
    return person


def _signed_in(email, password):
    client = Client()
    assert client.post("/login/", {"email": email, "password": password}).status_code == 302
    return client


def _forgot(email, organisation=""):
    return Client().post("/password/forgot/", {"email": email, "organisation": organisation})


def _link(message: OutboxMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/password/reset/\d+/[^/\s]+/)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"', "", html)


def _reset(client, path, password, again=None):
    return client.post(path, {"new_password": password, "new_password_again": again or password})


def test_the_login_page_links_to_forgot_password(client):
    assert 'href="/password/forgot/"' in text(client.get("/login/"))


def test_the_same_answer_whether_or_not_the_address_exists(ada):
    known, unknown = _forgot(ada.email), _forgot("nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert ANSWER in text(known)
    known_html, unknown_html = _without_csrf(text(known)), _without_csrf(text(unknown))
    assert known_html == unknown_html  # nothing else differs
    assert OutboxMessage.objects.count() == 1  # only the real account gets an email


def test_one_email_per_request_with_a_link_for_the_person(ada):
    _forgot(ada.email.upper())
    message = OutboxMessage.objects.get()
    assert message.to_email == ada.email and message.person_id == ada.pk
    assert message.dedup_key.startswith(f"password-reset:{ada.pk}:")
    assert f"/password/reset/{ada.pk}/" in message.body_text
    assert AuditEvent.objects.filter(action="person.password_reset_requested", object_id=ada.pk).exists()


def test_the_organisation_decides_when_the_email_is_in_several(ada, other_tenant, make_person):
    twin = make_person(other_tenant, name="Ada Twin", email=ada.email)
    services.person_set_password(person=twin, password=OLD)
    assert ANSWER in text(_forgot(ada.email))
    assert OutboxMessage.objects.count() == 0  # ambiguous: nobody is sent a link
    assert ANSWER in text(_forgot(ada.email, organisation=other_tenant.name))
    assert OutboxMessage.objects.get().person_id == twin.pk


def test_the_link_sets_a_new_password_ends_every_session_and_signs_in(ada):
    elsewhere = _signed_in(ada.email, OLD)
    assert elsewhere.get("/").status_code == 200
    _forgot(ada.email)
    path = _link(OutboxMessage.objects.get())
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200 and "Choose a new password" in text(page)

    response = _reset(browser, path, NEW)

    assert response.status_code == 302 and response["Location"] == "/"
    assert browser.get("/").status_code == 200  # signed in
    assert elsewhere.get("/")["Location"].startswith("/login/")  # the other session ended
    ada.refresh_from_db()
    assert ada.user.check_password(NEW)
    assert AuditEvent.objects.filter(action="person.password_reset", object_id=ada.pk).exists()


def test_a_used_link_does_not_work_again(ada):
    _forgot(ada.email)
    path = _link(OutboxMessage.objects.get())
    assert _reset(Client(), path, NEW).status_code == 302
    again = _reset(Client(), path, "another-strong-one-9")
    assert again.status_code == 400
    assert "expired or was already used" in text(again)
    ada.refresh_from_db()
    assert ada.user.check_password(NEW)


def test_a_link_expires_after_an_hour(ada, time_machine):
    time_machine.move_to("2026-03-02 09:00:00Z", tick=False)
    _forgot(ada.email)
    path = _link(OutboxMessage.objects.get())
    time_machine.move_to("2026-03-02 09:59:00Z", tick=False)
    assert Client().get(path).status_code == 200
    time_machine.move_to("2026-03-02 10:00:02Z", tick=False)
    response = _reset(Client(), path, NEW)
    assert response.status_code == 400 and "expired or was already used" in text(response)
    ada.refresh_from_db()
    assert ada.user.check_password(OLD)


def test_a_forged_link_is_refused(ada):
    response = Client().get(f"/password/reset/{ada.pk}/abc-123/")
    assert response.status_code == 400 and "expired or was already used" in text(response)


def test_the_reset_page_refuses_weak_or_differing_passwords_beside_the_field(ada):
    _forgot(ada.email)
    path = _link(OutboxMessage.objects.get())
    weak = _reset(Client(), path, "adalovelace")
    assert "too similar to the name" in field_error(text(weak), "new_password")
    differ = _reset(Client(), path, NEW, NEW + "x")
    assert "differ" in field_error(text(differ), "new_password_again")
    ada.refresh_from_db()
    assert ada.user.check_password(OLD)
    assert _reset(Client(), path, NEW).status_code == 302  # the link still works after a refusal


def test_change_password_needs_the_current_one_and_ends_other_sessions(ada):
    here, elsewhere = _signed_in(ada.email, OLD), _signed_in(ada.email, OLD)
    wrong = here.post("/password/change/", {"current_password": "nope", "new_password": NEW, "new_password_again": NEW})
    assert "not your current password" in field_error(text(wrong), "current_password")
    weak = here.post(
        "/password/change/",
        {"current_password": OLD, "new_password": "1234567890", "new_password_again": "1234567890"},
    )
    assert "entirely numeric" in field_error(text(weak), "new_password")

    response = here.post("/password/change/", {"current_password": OLD, "new_password": NEW, "new_password_again": NEW})

    assert response.status_code == 302
    assert here.get("/").status_code == 200  # this session stays
    assert elsewhere.get("/")["Location"].startswith("/login/")
    ada.refresh_from_db()
    assert ada.user.check_password(NEW)
    assert AuditEvent.objects.filter(action="person.password_change", object_id=ada.pk).exists()


def test_the_user_menu_offers_change_password(ada):
    assert 'href="/password/change/"' in text(_signed_in(ada.email, OLD).get("/"))
