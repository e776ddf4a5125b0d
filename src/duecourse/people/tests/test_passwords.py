"""The password policy, `set-password` on the command line, one hash per login attempt, and the login
throttle (per account, per address, through a trusted proxy, admin unlock)."""

import io

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from duecourse.core.errors import ValidationFailed
from duecourse.core.models import AuditEvent
from duecourse.people import services, throttle
from duecourse.people.limits import LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS
from duecourse.people.models import Person
from duecourse.testing.web import PASSWORD, signed_in, text

pytestmark = pytest.mark.django_db

GOOD = "violet-harbour-42"


@pytest.fixture
def ada(tenant, make_person):
    return make_person(tenant, name="Ada Lovelace", email="ada.lovelace@example.com")


# The policy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("1234509876", "This password is entirely numeric."),
        ("adalovelace", "The password is too similar to the name."),
        ("lovelace!!", "The password is too similar to the name."),
        ("ada.lovelace@example", "The password is too similar to the email."),
    ],
)
def test_each_rule_of_the_policy_refuses_with_its_message(ada, password, message):
    with pytest.raises(ValidationFailed) as caught:
        services.person_set_password(person=ada, password=password)
    assert caught.value.errors[0].field == "password"
    assert message in caught.value.errors[0].message
    assert Person.objects.get(pk=ada.pk).user is None  # nothing changed


def test_a_strong_password_is_set_and_audited(ada):
    services.person_set_password(person=ada, password=GOOD)
    ada.refresh_from_db()
    assert ada.user.check_password(GOOD)
    assert AuditEvent.objects.filter(action="person.set_password", object_id=ada.pk).exists()


def test_similarity_sees_the_person_behind_a_django_user(ada):
    """Other code calls validate_password(password, user) with the auth user: the name still counts."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    services.person_set_password(person=ada, password=GOOD)
    ada.refresh_from_db()
    with pytest.raises(ValidationError, match="too similar to the name"):
        validate_password("adalovelace", user=ada.user)


# set-password on the command line -------------------------------------------------------------------


class _Stdin(io.StringIO):
    def __init__(self, value: str, tty: bool):
        super().__init__(value)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_cli_reads_the_password_from_standard_input(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin(GOOD + "\n", tty=False))
    call_command("set_password", email=ada.email, stderr=io.StringIO())
    ada.refresh_from_db()
    assert ada.user.check_password(GOOD)


def test_cli_prompts_twice_without_echo_at_a_terminal(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin("", tty=True))
    answers = iter([GOOD, GOOD])
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or next(answers))
    call_command("set_password", email=ada.email, stderr=io.StringIO())
    assert prompts == ["New password: ", "New password again: "]
    ada.refresh_from_db()
    assert ada.user.check_password(GOOD)


def test_cli_prompt_refuses_two_different_passwords(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin("", tty=True))
    answers = iter([GOOD, GOOD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="differ"):
        call_command("set_password", email=ada.email, stderr=io.StringIO())
    assert Person.objects.get(pk=ada.pk).user is None


def test_cli_refuses_a_weak_password_with_the_policy_messages(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin("adalovelace\n", tty=False))
    with pytest.raises(CommandError) as caught:
        call_command("set_password", email=ada.email, stderr=io.StringIO())
    assert "too similar to the name" in str(caught.value)
    assert Person.objects.get(pk=ada.pk).user is None


def test_cli_still_takes_password_as_an_argument(ada):
    call_command("set_password", email=ada.email, password=GOOD, stderr=io.StringIO())
    ada.refresh_from_db()
    assert ada.user.check_password(GOOD)


# One hash per attempt --------------------------------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch):
    """Counts every password hash (verify and make both end in the hasher's encode)."""
    calls = []
    original = MD5PasswordHasher.encode

    def counting(self, password, salt):
        calls.append(password)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    return calls


def _login(client, email, password, organisation=""):
    return client.post("/login/", {"email": email, "password": password, "organisation": organisation})


def test_unknown_email_no_password_and_wrong_password_each_cost_one_hash(tenant, make_person, hashes):
    with_password = make_person(tenant, email="has@example.com")
    services.person_set_password(person=with_password, password=GOOD)
    make_person(tenant, email="none@example.com")  # never given a password
    counts = {}
    for email in ("nobody@example.com", "none@example.com", "has@example.com"):
        hashes.clear()
        response = _login(Client(), email, "wrong-password-1")
        assert response.status_code == 200
        counts[email] = len(hashes)
    assert counts == {"nobody@example.com": 1, "none@example.com": 1, "has@example.com": 1}
    hashes.clear()
    assert _login(Client(), "has@example.com", GOOD).status_code == 302
    assert len(hashes) == 1


def test_the_organisation_decides_when_an_email_is_in_several(tenant, other_tenant, make_person, hashes):
    for t in (tenant, other_tenant):
        services.person_set_password(person=make_person(t, email="twice@example.com"), password=GOOD)
    hashes.clear()
    response = _login(Client(), "twice@example.com", GOOD)
    assert "enter the organisation too" in text(response)
    assert len(hashes) == 1
    assert _login(Client(), "twice@example.com", GOOD, organisation=other_tenant.name.upper()).status_code == 302


# Throttling ---------------------------------------------------------------------------------------------


def _fail(client, email, times, organisation="", **extra):
    for _ in range(times):
        response = client.post(
            "/login/", {"email": email, "password": "not-it-at-all", "organisation": organisation}, **extra
        )
    return response


def test_an_account_locks_after_its_failures_even_with_the_right_password(ada):
    services.person_set_password(person=ada, password=GOOD)
    response = _fail(Client(REMOTE_ADDR="10.0.0.1"), ada.email, LOGIN_FAILURES_PER_ACCOUNT)
    assert response.status_code == 429
    assert "Too many failed attempts; try again in 15 minutes or ask an administrator." in text(response)
    # From another address too, with the right password, with or without the organisation named.
    response = _login(Client(REMOTE_ADDR="10.0.0.2"), ada.email, GOOD, organisation=ada.tenant.name)
    assert response.status_code == 429
    assert "Too many failed attempts" in text(response)
    assert throttle.person_sign_in_locked(ada)


def test_an_address_locks_after_its_own_limit_across_accounts(tenant, make_person):
    victim = make_person(tenant, email="victim@example.com")
    services.person_set_password(person=victim, password=GOOD)
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(LOGIN_FAILURES_PER_ADDRESS - 1):  # every account below its own limit
        response = _fail(attacker, f"guess{n}@example.com", 1)
        assert response.status_code == 200
    response = _fail(attacker, "guess-last@example.com", 1)
    assert response.status_code == 429
    assert _login(attacker, victim.email, GOOD).status_code == 429  # the address is locked
    assert _login(Client(REMOTE_ADDR="10.8.8.8"), victim.email, GOOD).status_code == 302  # others are not


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_is_counted_apart(tenant, make_person):
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        _fail(proxy, f"g{n}@example.com", 1, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    assert _fail(proxy, "x@example.com", 1, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert _fail(proxy, "x@example.com", 1, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200


def test_a_lock_ends_by_itself_after_the_cooloff(ada, time_machine):
    time_machine.move_to("2026-03-02 09:00:00Z", tick=False)
    services.person_set_password(person=ada, password=GOOD)
    _fail(Client(), ada.email, LOGIN_FAILURES_PER_ACCOUNT)
    time_machine.move_to("2026-03-02 09:10:00Z", tick=False)
    response = _login(Client(), ada.email, GOOD)
    assert "try again in 5 minutes" in text(response)
    time_machine.move_to("2026-03-02 09:15:01Z", tick=False)
    assert _login(Client(), ada.email, GOOD).status_code == 302


def test_an_admin_unlocks_sign_in_from_the_person_page_audited(tenant, admin, ada):
    services.person_set_password(person=ada, password=GOOD)
    _fail(Client(REMOTE_ADDR="10.0.0.3"), ada.email, LOGIN_FAILURES_PER_ACCOUNT)
    web = signed_in(admin)
    page = text(web.get(f"/people/{ada.pk}/"))
    assert "Sign-in is locked" in page and "Unlock sign-in" in page

    response = web.post(f"/people/{ada.pk}/unlock/")

    assert response.status_code == 302
    assert "Sign-in is locked" not in text(web.get(f"/people/{ada.pk}/"))
    event = AuditEvent.objects.get(action="person.sign_in_unlock")
    assert (event.actor_id, event.object_id) == (admin.pk, ada.pk)
    assert _login(Client(REMOTE_ADDR="10.0.0.4"), ada.email, GOOD).status_code == 302


def test_only_people_admins_may_unlock(tenant, make_person, ada):
    hr = make_person(tenant, roles=("hr",))
    services.person_set_password(person=ada, password=GOOD)
    _fail(Client(), ada.email, LOGIN_FAILURES_PER_ACCOUNT)
    web = signed_in(hr)
    assert "Unlock sign-in" not in text(web.get(f"/people/{ada.pk}/"))
    assert web.post(f"/people/{ada.pk}/unlock/").status_code == 403
    assert throttle.person_sign_in_locked(ada)


def test_a_successful_login_forgets_the_accounts_failures(ada):
    services.person_set_password(person=ada, password=GOOD)
    _fail(Client(), ada.email, LOGIN_FAILURES_PER_ACCOUNT - 1)
    assert _login(Client(), ada.email, GOOD).status_code == 302
    assert _fail(Client(), ada.email, 1).status_code == 200  # counting starts again


def test_the_api_bearer_token_is_not_throttled(ada, api_as):
    services.person_set_password(person=ada, password=GOOD)
    _fail(Client(), ada.email, LOGIN_FAILURES_PER_ADDRESS)  # account and address both locked
    assert api_as(ada).get("/api/v1/me").status_code == 200


def test_signed_in_helper_still_works(tenant, make_person):
    person = make_person(tenant)
    client = signed_in(person)
    assert client.get("/").status_code == 200
    assert PASSWORD
