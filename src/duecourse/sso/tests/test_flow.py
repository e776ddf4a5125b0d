"""The OpenID Connect flow against the real provider process (tests/oidc_provider/), without a browser: the
Django test client is duecourse's side, `oidc_provider.sign_in` does what the person's browser does at the
provider. Every bad answer is a 400 page that signs nobody in and links nobody."""

import html
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from duecourse.core.clock import now
from duecourse.core.models import AuditEvent
from duecourse.people import secret_box
from duecourse.people.models import OidcIdentity, Person, SsoConnection
from duecourse.sso.client import providers
from duecourse.testing.oidc import connect_tenant
from duecourse.testing.web import field_error, text

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1:8000"  # the provider returns after logout to loopback addresses only
CALLBACK = BASE + "/login/sso/callback/"


@pytest.fixture
def provider(oidc_provider, tenant, settings):
    settings.BASE_URL = BASE
    connect_tenant(oidc_provider, tenant, BASE)
    return oidc_provider


def start(client: Client, email: str, **extra) -> str:
    response = client.get("/login/sso/", {"email": email, **extra})
    assert response.status_code == 302, text(response)
    return response["Location"]


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def sign_in(client: Client, provider, email: str, **extra):
    callback = provider.sign_in(start(client, email, **extra), email)
    assert callback.startswith(CALLBACK), callback
    return client.get(path(callback)), callback


def signed_in_as(client: Client) -> str | None:
    response = client.get("/")
    return None if response.status_code != 200 else text(response)


def test_the_authorization_request_carries_state_nonce_pkce_and_the_login_hint(provider, learner):
    query = parse_qs(urlsplit(start(Client(), "lena@acme.test")).query)
    assert query["response_type"] == ["code"] and query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == [CALLBACK] and query["login_hint"] == ["lena@acme.test"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


def test_a_known_person_signs_in_and_is_linked(provider, learner):
    provider.add_user("lena@acme.test", name="Lena Learner")
    client = Client()

    response, _ = sign_in(client, provider, "lena@acme.test", next="/catalog/")

    assert response.status_code == 302 and response["Location"] == "/catalog/"
    assert "Lena Learner" in signed_in_as(client)
    assert OidcIdentity.objects.get().person_id == learner.pk


def test_a_person_goes_to_their_own_tenants_provider_though_another_tenant_lists_their_domain(
    provider, learner, other_tenant
):
    SsoConnection.objects.create(
        tenant=other_tenant,
        issuer="https://login.globex.test/realms/globex",
        client_id="globex",
        client_secret_sealed=secret_box.seal("globex-secret"),
        allowed_domains=["acme.test"],
        enabled=True,
    )
    provider.add_user("lena@acme.test")
    client = Client()
    assert start(client, "lena@acme.test").startswith(provider.discovery()["authorization_endpoint"])


def test_an_unsafe_next_is_ignored(provider, learner):
    provider.add_user("lena@acme.test")
    response, _ = sign_in(Client(), provider, "lena@acme.test", next="https://evil.example/")
    assert response["Location"] == "/"


def test_a_replayed_callback_is_refused_and_changes_nothing(provider, learner):
    provider.add_user("lena@acme.test")
    client = Client()
    _, callback = sign_in(client, provider, "lena@acme.test")
    client.post("/logout/")

    again = client.get(path(callback))

    assert again.status_code == 400 and "already completed" in text(again)
    assert signed_in_as(client) is None
    assert OidcIdentity.objects.get().last_login_at is not None  # from the first, genuine sign-in only


def test_a_callback_in_another_browser_is_refused(provider, learner):
    provider.add_user("lena@acme.test")
    callback = provider.sign_in(start(Client(), "lena@acme.test"), "lena@acme.test")
    stranger = Client()
    response = stranger.get(path(callback))
    assert response.status_code == 400 and signed_in_as(stranger) is None


def test_a_mismatched_state_is_refused(provider, learner):
    provider.add_user("lena@acme.test")
    client = Client()
    callback = provider.sign_in(start(client, "lena@acme.test"), "lena@acme.test")
    forged = path(callback).replace("state=", "state=x")
    assert client.get(forged).status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("wrong_audience", "meant for another application"),
        ("expired", "has expired"),
        ("tampered_signature", "not signed by its keys"),
        ("wrong_nonce", "nonce does not match"),
        ("wrong_issuer", "different sign-in service"),
        ("unsigned", "not signed by its keys"),
    ],
)
def test_a_defective_id_token_is_refused_with_a_clear_page(provider, learner, mode, says, caplog):
    provider.add_user("lena@acme.test")
    provider.misbehave(mode)
    client = Client()

    with caplog.at_level(logging.WARNING, logger="duecourse.sso.views"):
        response, _ = sign_in(client, provider, "lena@acme.test")

    assert response.status_code == 400
    assert says in text(response) and "Nothing was changed" in text(response)
    assert signed_in_as(client) is None
    assert not OidcIdentity.objects.exists() and Person.objects.get(pk=learner.pk).user is None
    assert any("callback refused" in r.getMessage() for r in caplog.records)


def test_key_rotation_is_followed_with_one_key_set_fetch(provider, learner, caplog):
    provider.add_user("lena@acme.test")
    sign_in(Client(), provider, "lena@acme.test")  # the key set is now cached
    provider.rotate_keys()

    with caplog.at_level(logging.INFO, logger="duecourse.sso.client"):
        response, _ = sign_in(Client(), provider, "lena@acme.test")

    assert response.status_code == 302
    fetches = [r for r in caplog.records if "fetched the key set" in r.getMessage()]
    assert len(fetches) == 1 and "unknown key" in fetches[0].getMessage()


def test_after_rotation_a_tampered_token_is_still_refused(provider, learner):
    provider.add_user("lena@acme.test")
    provider.rotate_keys()
    provider.misbehave("tampered_signature")
    response, _ = sign_in(Client(), provider, "lena@acme.test")
    assert response.status_code == 400


def test_an_unknown_person_gets_the_ask_your_l_and_d_team_page(provider):
    provider.add_user("nobody@acme.test")
    client = Client()
    # The start finds the tenant by its allowed domain, so the provider decides who this is.
    response, _ = sign_in(client, provider, "nobody@acme.test")
    assert response.status_code == 403
    assert "Your organisation has not added you to duecourse" in text(response)
    assert "ask your L&amp;D team" in text(response).replace("Ask", "ask")
    assert not Person.objects.filter(email="nobody@acme.test").exists()


def test_a_deactivated_person_gets_a_clear_page(provider, learner):
    Person.objects.filter(pk=learner.pk).update(active=False)
    provider.add_user("lena@acme.test")
    client = Client()
    response, _ = sign_in(client, provider, "lena@acme.test", tenant="Acme")
    assert response.status_code == 403 and "deactivated" in text(response)
    assert signed_in_as(client) is None


def test_newcomers_are_created_from_the_mapped_claims(provider, admin):
    SsoConnection.objects.update(create_people_on_first_login=True)
    provider.add_user("nora@acme.test", name="Nora New", department="Finance", manager_email="admin@acme.test")

    response, _ = sign_in(Client(), provider, "nora@acme.test")

    assert response.status_code == 302
    nora = Person.objects.get(email="nora@acme.test")
    assert (nora.name, nora.department.name, nora.manager_id) == ("Nora New", "Finance", admin.pk)
    assert AuditEvent.objects.filter(action="person.create", object_id=nora.pk, actor_label="Single sign-on").exists()


def test_another_account_with_the_persons_email_is_refused_until_an_admin_unlinks(provider, learner, admin, signed_in):
    provider.add_user("lena@acme.test")
    OidcIdentity.objects.create(
        tenant=learner.tenant, person=learner, issuer=provider.issuer, subject="her-old-account", created_at=now()
    )
    client = Client()

    response, _ = sign_in(client, provider, "lena@acme.test")

    assert response.status_code == 403 and "linked to another account" in text(response)
    assert "Ask your duecourse admin" in text(response) and signed_in_as(client) is None
    assert OidcIdentity.objects.get().subject == "her-old-account"

    admin_client = signed_in(admin)
    page = text(admin_client.get(f"/people/{learner.pk}/"))
    assert "Unlink single sign-on" in page and provider.issuer in page
    assert admin_client.post(f"/people/{learner.pk}/sso-unlink/").status_code == 302
    assert not OidcIdentity.objects.exists()

    response, _ = sign_in(Client(), provider, "lena@acme.test")
    assert response.status_code == 302 and OidcIdentity.objects.get().subject != "her-old-account"


def test_an_unverified_email_links_nobody(provider, learner):
    provider.add_user("lena@acme.test", email_verified=False)
    response, _ = sign_in(Client(), provider, "lena@acme.test")
    assert response.status_code == 403 and "email_verified is false" in text(response)
    assert not OidcIdentity.objects.exists()


def test_the_provider_saying_no_is_a_clear_page(provider, learner):
    client = Client()
    authorize = start(client, "lena@acme.test")
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = client.get("/login/sso/callback/", {"error": "access_denied", "state": state})
    assert response.status_code == 400 and "access_denied" in text(response)


def test_logout_ends_the_session_here_and_at_the_provider(provider, learner):
    provider.add_user("lena@acme.test")
    client, browser = Client(), requests.Session()
    callback = provider.sign_in(start(client, "lena@acme.test"), "lena@acme.test", session=browser)
    client.get(path(callback))

    response = client.post("/logout/")

    assert signed_in_as(client) is None
    # A page whose link app.js follows at once (the CSP's form-action forbids redirecting the logout form away).
    end_session = html.unescape(re.search(r'<a [^>]*href="([^"]+)" data-follow', text(response)).group(1))
    assert end_session.startswith(provider.discovery()["end_session_endpoint"])
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == [BASE + "/login/"] and query["id_token_hint"][0].count(".") == 2
    back = browser.get(end_session, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(BASE + "/login/")
    # Signed out at the provider too: a new authorization asks for the password again.
    login_page = browser.get(start(Client(), "lena@acme.test"), timeout=10)
    assert 'name="password"' in login_page.text


def test_a_password_session_logs_out_locally_only(provider, learner, signed_in):
    client = signed_in(learner)
    response = client.post("/logout/")
    assert response["Location"] == "/login/"


def test_an_unreachable_provider_is_a_clear_page_not_a_500(tenant, learner, settings):
    settings.BASE_URL = BASE
    providers.clear()
    SsoConnection.objects.create(
        tenant=tenant,
        issuer="http://127.0.0.1:9/o",
        client_id="c",
        client_secret_sealed=secret_box.seal("s"),
        enabled=True,
    )
    response = Client().get("/login/sso/", {"email": "lena@acme.test"})
    assert response.status_code == 502 and "could not be reached" in text(response)


def test_check_connection_shows_what_discovery_found(oidc_provider, admin, signed_in):
    form = {"enabled": "on", "issuer": oidc_provider.issuer, "client_id": "c", "client_secret": "s", "action": "check"}
    page = text(signed_in(admin).post("/settings/sign-in/", form))
    assert "Connection works" in page
    assert oidc_provider.discovery()["token_endpoint"] in page
    assert oidc_provider.discovery()["end_session_endpoint"] in page
    assert not SsoConnection.objects.exists()  # checking saves nothing


def test_check_connection_names_an_issuer_that_differs_from_discovery(oidc_provider, admin, signed_in):
    form = {
        "enabled": "on",
        "issuer": oidc_provider.issuer + "/",
        "client_id": "c",
        "client_secret": "s",
        "action": "check",
    }
    page = text(signed_in(admin).post("/settings/sign-in/", form))
    assert "copy the issuer exactly" in page


def test_in_production_check_connection_never_calls_this_machine(oidc_provider, admin, signed_in, settings):
    settings.OIDC_ALLOW_INSECURE_LOOPBACK = False
    for issuer in (oidc_provider.issuer, oidc_provider.issuer.replace("http://", "https://")):
        form = {"enabled": "on", "issuer": issuer, "client_id": "c", "client_secret": "s", "action": "check"}
        response = signed_in(admin).post("/settings/sign-in/", form)
        assert response.status_code == 422 and "Connection works" not in text(response)
        assert field_error(text(response), "issuer")


def test_the_login_pages_form_lands_on_a_page_whose_link_goes_on_to_the_provider(provider, learner):
    response = Client().get("/login/sso/", {"email": "lena@acme.test", "via": "form"})
    assert response.status_code == 200
    link = html.unescape(re.search(r'<a [^>]*href="([^"]+)" data-follow', text(response)).group(1))
    assert link.startswith(provider.discovery()["authorization_endpoint"])
