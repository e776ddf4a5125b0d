"""Single sign-on in a real browser against the real OpenID Connect provider process (tests/oidc_provider/):
sign in and out (here and at the provider), every defective ID token, a replayed callback, key rotation without a
restart, unknown / deactivated / new people, an SSO-only login page, and an invitation's sign-in link."""

import re

import pytest

from duecourse.notifications.delivery import render_outbox_message
from duecourse.notifications.models import OutboxMessage
from duecourse.people import secret_box
from duecourse.people.invitations import invitations_send
from duecourse.people.models import Invitation, OidcIdentity, Person, SsoConnection
from duecourse.testing.oidc import DEFAULT_PASSWORD, connect_tenant

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sso(oidc_provider, live_server, settings, tenant):
    """Acme signs in with the provider; duecourse's BASE_URL is the live server."""
    settings.BASE_URL = live_server.url
    connect_tenant(oidc_provider, tenant, live_server.url)
    return oidc_provider


def start_sso(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Sign in with your organisation").click()


def at_provider(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.wait_for_selector("text=Test identity provider")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page) -> None:
    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()


def test_sign_in_and_out_here_and_at_the_provider(page, sso, ada, screenshot):
    sso.add_user("ada@acme.test", name="Ada Lovelace")
    page.goto("/login/")
    screenshot(page, "sso-login.png")

    start_sso(page, "ada@acme.test")
    at_provider(page, "ada@acme.test")

    page.wait_for_selector("text=Ada Lovelace")
    assert "/login/" not in page.url
    assert OidcIdentity.objects.get().person_id == ada.pk
    screenshot(page, "sso-signed-in.png")

    sign_out(page)
    page.wait_for_selector("text=You are signed out.")
    assert "/login/" in page.url
    # The provider's session ended too: signing in again asks for the password.
    start_sso(page, "ada@acme.test")
    page.wait_for_selector("text=Test identity provider")
    assert page.get_by_label("Password", exact=True).is_visible()


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("wrong_audience", "meant for another application"),
        ("expired", "has expired"),
        ("tampered_signature", "not signed by its keys"),
        ("wrong_nonce", "nonce does not match"),
    ],
)
def test_a_defective_id_token_shows_a_clear_page_and_signs_nobody_in(page, sso, ada, mode, says):
    sso.add_user("ada@acme.test")
    sso.misbehave(mode)

    start_sso(page, "ada@acme.test")
    at_provider(page, "ada@acme.test")

    page.wait_for_selector("text=Signing in did not work")
    assert says in page.locator("[role=alert]").inner_text()
    assert page.get_by_text("Nothing was changed").is_visible()
    page.goto("/")
    assert "/login/" in page.url
    assert not OidcIdentity.objects.exists()


def test_a_replayed_callback_is_refused(page, sso, ada):
    sso.add_user("ada@acme.test")
    callbacks: list[str] = []
    page.on("request", lambda request: callbacks.append(request.url) if "/login/sso/callback/" in request.url else None)
    start_sso(page, "ada@acme.test")
    at_provider(page, "ada@acme.test")
    page.wait_for_selector("text=Ada Lovelace")
    assert len(callbacks) == 1

    response = page.goto(callbacks[0])

    assert response.status == 400
    assert "already completed" in page.locator("[role=alert]").inner_text()


def test_key_rotation_at_the_provider_needs_no_restart(page, sso, ada):
    sso.add_user("ada@acme.test")
    start_sso(page, "ada@acme.test")
    at_provider(page, "ada@acme.test")
    page.wait_for_selector("text=Ada Lovelace")
    sign_out(page)
    old_kid = sso.jwks()["keys"][0]["kid"]

    sso.rotate_keys()
    assert sso.jwks()["keys"][0]["kid"] != old_kid
    start_sso(page, "ada@acme.test")
    at_provider(page, "ada@acme.test")

    page.wait_for_selector("text=Ada Lovelace")


def test_an_unknown_person_is_told_to_ask_their_l_and_d_team(page, sso, ada):
    sso.add_user("newbie@acme.test")
    start_sso(page, "newbie@acme.test")
    at_provider(page, "newbie@acme.test")
    page.wait_for_selector("text=Your organisation has not added you to duecourse")
    assert "Ask your L&D team" in page.locator("[role=alert]").inner_text()
    assert not Person.objects.filter(email="newbie@acme.test").exists()


def test_a_deactivated_person_is_told_so(page, sso, ada, make_person, tenant):
    make_person(tenant, email="gone@acme.test", name="Gone Person", active=False)
    sso.add_user("gone@acme.test")
    start_sso(page, "gone@acme.test")
    at_provider(page, "gone@acme.test")
    page.wait_for_selector("text=Your duecourse account is deactivated")


def test_a_newcomer_is_created_from_the_claims_on_first_sign_in(page, sso, ada):
    SsoConnection.objects.update(create_people_on_first_login=True)
    sso.add_user("nora@acme.test", name="Nora Newcomer", department="Finance", manager_email="ada@acme.test")

    start_sso(page, "nora@acme.test")
    at_provider(page, "nora@acme.test")

    page.wait_for_selector("text=Nora Newcomer")
    nora = Person.objects.get(email="nora@acme.test")
    assert (nora.department.name, nora.manager_id) == ("Finance", ada.pk)


def test_an_sso_only_login_page_has_no_password(page, sso, ada, settings):
    settings.OIDC_ISSUER, settings.OIDC_TENANT, settings.OIDC_SSO_ONLY = sso.issuer, "Acme", True
    row = SsoConnection.objects.get()
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = (
        row.client_id,
        secret_box.open_sealed(row.client_secret_sealed),
    )
    sso.add_user("ada@acme.test", name="Ada Lovelace")

    page.goto("/login/")
    assert page.get_by_label("Password").count() == 0 and page.get_by_text("Forgot password?").count() == 0
    page.get_by_role("button", name="Sign in with your organisation").click()  # no email needed
    at_provider(page, "ada@acme.test")
    page.wait_for_selector("text=Ada Lovelace")


def test_an_invitation_signs_in_with_the_organisation(page, sso, ada, make_person, tenant):
    learner = make_person(tenant, name="Lena Learner", email="lena@acme.test")
    invitations_send(actor=ada, person_ids=[learner.pk])
    message = OutboxMessage.objects.get(person=learner, dedup_key__startswith="invitation:")
    render_outbox_message(message)
    link = re.search(r"(http\S+/login/sso/\S+)", message.body_text).group(1)
    sso.add_user("lena@acme.test", name="Lena Learner")

    page.goto(link)
    at_provider(page, "lena@acme.test")

    page.wait_for_selector("text=Lena Learner")
    assert Invitation.objects.get(person=learner).accepted_at is not None


def test_an_admin_connects_the_provider_on_the_settings_page(
    page, oidc_provider, live_server, settings, ada, sign_in, screenshot
):
    settings.BASE_URL = live_server.url
    client_id, client_secret = oidc_provider.client(live_server.url + "/login/sso/callback/")
    sign_in(ada)
    page.goto("/settings/")
    page.get_by_role("link", name="Sign-in (single sign-on)").click()
    assert page.locator("#redirect-uri").inner_text() == live_server.url + "/login/sso/callback/"

    page.get_by_label("Sign in with your organisation (single sign-on)").check()
    page.get_by_label("Issuer URL").fill(oidc_provider.issuer)
    page.get_by_label("Client ID").fill(client_id)
    page.get_by_label("Client secret").fill(client_secret)
    page.get_by_label("Allowed email domains").fill("acme.test")
    page.get_by_role("button", name="Check connection").click()
    page.wait_for_selector("text=Connection works")
    assert oidc_provider.discovery()["end_session_endpoint"] in page.locator("#check-result").inner_text()
    assert not SsoConnection.objects.exists()
    screenshot(page, "sso-settings.png")

    page.get_by_label("Client secret").fill(client_secret)  # a password field is never sent back
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Saved how your organisation signs in.")
    assert page.get_by_label("Client secret").input_value() == ""
    assert client_secret not in page.content()

    # Ada now signs in with the organisation, then may make it SSO only.
    oidc_provider.add_user("ada@acme.test", name="Ada Lovelace")
    sign_out(page)
    start_sso(page, "ada@acme.test")
    at_provider(page, "ada@acme.test")
    page.wait_for_selector("text=Ada Lovelace")
    page.goto("/settings/sign-in/")
    page.get_by_label("SSO only: no duecourse passwords for your people").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Saved how your organisation signs in.")
    assert SsoConnection.objects.get().sso_only is True
