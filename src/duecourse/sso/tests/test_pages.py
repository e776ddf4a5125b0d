"""The single sign-on pages without a provider: starting (one neutral page for every failure), the login
page's offer, SSO only refusing passwords everywhere, invitations, and the admins' settings page (every
role, other tenant, bad input, the secret never shown back)."""

import re

import pytest
from django.test import Client, override_settings

from duecourse.core.clock import now
from duecourse.core.models import AuditEvent
from duecourse.notifications.delivery import render_outbox_message
from duecourse.notifications.models import OutboxMessage
from duecourse.people import secret_box
from duecourse.people.invitations import invitation_link, invitations_send
from duecourse.people.models import Invitation, OidcIdentity, SsoConnection
from duecourse.people.services import person_set_password
from duecourse.testing.web import PASSWORD, field_error, text

ISSUER = "https://login.acme.test/realms/acme"
NEUTRAL = "We could not start signing in with your organisation for this address."


def connect(tenant, **fields) -> SsoConnection:
    fields.setdefault("issuer", ISSUER)
    fields.setdefault("client_id", "duecourse")
    fields.setdefault("enabled", True)
    return SsoConnection.objects.create(tenant=tenant, client_secret_sealed=secret_box.seal("top-secret-42"), **fields)


# --- starting ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        {"email": "nobody@nowhere.test"},  # matches no one
        {"email": "sam@globex.test"},  # a person whose tenant has no SSO
        {"email": "dup@acme.test"},  # in two tenants with SSO, no organisation named
        {"tenant": "No Such Org"},
        {"email": "not an email"},
        {},
    ],
)
def test_every_start_that_cannot_go_anywhere_gets_the_same_neutral_page(
    client, tenant, other_tenant, make_person, make_tenant, query
):
    connect(tenant)
    third = make_tenant("Initech")
    connect(third)
    make_person(other_tenant, email="sam@globex.test")
    make_person(tenant, email="dup@acme.test")
    make_person(third, email="dup@acme.test")

    response = client.get("/login/sso/", query)

    assert response.status_code == 200 and NEUTRAL in text(response)
    assert not any(key.startswith("_state_") for key, _ in client.session.items())


def test_an_email_goes_to_its_own_tenants_provider_never_to_one_that_lists_its_domain(
    client, tenant, other_tenant, make_person
):
    connect(other_tenant, issuer="https://login.globex.test/realms/globex", allowed_domains=["acme.test"])
    make_person(tenant, email="ann@acme.test")

    # Acme has no single sign-on: Ann gets the neutral page, not Globex's sign-in (test_flow.py: with
    # single sign-on of its own, Acme's provider).
    response = client.get("/login/sso/", {"email": "ann@acme.test"})
    assert response.status_code == 200 and NEUTRAL in text(response)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/login/", {"tenant": "\x00"}),
        ("/login/", {"tenant": "Acme\x00"}),
        ("/login/sso/", {"tenant": "\x00"}),
        ("/login/sso/", {"email": "\x00"}),
        ("/login/sso/", {"email": "lena\x00@acme.test", "tenant": "Ac\x00me"}),
    ],
)
def test_a_nul_character_in_the_query_is_a_page_not_a_500(client, tenant, path, query):
    connect(tenant)  # so the login page looks the organisation up
    response = client.get(path, query)
    assert response.status_code == 200
    assert 'name="password"' in text(response) if path == "/login/" else NEUTRAL in text(response)


def test_login_page_offers_sso_only_when_some_tenant_has_it(client, tenant):
    assert "Sign in with your organisation" not in text(client.get("/login/"))
    connect(tenant)
    page = text(client.get("/login/"))
    assert "Sign in with your organisation" in page and 'name="password"' in page


@override_settings(
    OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="c", OIDC_CLIENT_SECRET="s", OIDC_TENANT="Acme", OIDC_SSO_ONLY=True
)
def test_a_single_tenant_sso_only_install_shows_no_password_form(client, tenant):
    page = text(client.get("/login/"))
    assert "Sign in with your organisation" in page
    assert 'name="password"' not in page and "Forgot password" not in page
    assert 'name="tenant" value="Acme"' in page and 'name="email"' not in page  # one click, no email needed


def test_naming_an_sso_only_tenant_hides_the_password_form(client, tenant, other_tenant):
    connect(tenant, sso_only=True)
    assert 'name="password"' not in text(client.get("/login/?tenant=acme"))
    assert 'name="password"' in text(client.get("/login/?tenant=Globex"))


def test_switching_sso_only_on_ends_the_password_sessions_of_that_tenant_only(
    tenant, other_tenant, admin, learner, make_person, signed_in
):
    connect(tenant)
    OidcIdentity.objects.create(
        tenant=tenant, person=admin, issuer=ISSUER, subject="a", created_at=now(), last_login_at=now()
    )
    by_password, sam = signed_in(learner), signed_in(make_person(other_tenant, email="sam@globex.test"))
    by_sso = signed_in(make_person(tenant, email="otto@acme.test"))
    session = by_sso.session
    session["duecourse_sso"] = {"tenant_id": tenant.pk, "id_token": "x.y.z"}
    session.save()
    admin_client = signed_in(admin)

    response = admin_client.post(
        "/settings/sign-in/",
        {"enabled": "on", "issuer": ISSUER, "client_id": "duecourse", "claim_name": "name", "sso_only": "on"},
    )

    assert response.status_code == 302, text(response)
    assert by_password.get("/").status_code == 302  # signed out: back to the login page
    assert sam.get("/").status_code == 200 and by_sso.get("/").status_code == 200
    assert admin_client.get("/settings/sign-in/").status_code == 200  # the admin's own page stays
    event = AuditEvent.objects.get(action="sso.settings_update")
    assert event.after["sso_only"] is True and event.after["password_sessions_ended"] == 1


# --- SSO only refuses passwords ------------------------------------------------------------------
@pytest.fixture
def sso_only(tenant, learner):
    person_set_password(person=learner, password=PASSWORD)  # set before the organisation went SSO only
    connect(tenant, sso_only=True)
    return learner


def test_sso_only_refuses_password_login_with_a_clear_message(client, sso_only):
    response = client.post("/login/", {"email": sso_only.email, "password": PASSWORD})
    assert response.status_code == 200 and "single sign-on" in text(response)
    assert client.get("/").status_code == 302


def test_sso_only_still_counts_failures_for_the_lockout(client, sso_only, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"email": sso_only.email, "password": "wrong-password-1"})
    assert client.post("/login/", {"email": sso_only.email, "password": PASSWORD}).status_code == 429


def test_sso_only_refuses_forgot_password_and_sends_nothing(client, sso_only, mailoutbox):
    response = client.post("/password/forgot/", {"email": sso_only.email})
    assert response.status_code == 403 and "single sign-on" in text(response)
    assert not OutboxMessage.objects.exists() and not mailoutbox


def test_sso_only_refuses_a_reset_link_sent_before(client, tenant, learner):
    person_set_password(person=learner, password=PASSWORD)
    client.post("/password/forgot/", {"email": learner.email})
    message = OutboxMessage.objects.get()
    render_outbox_message(message)
    link = re.search(r"/password/reset/\S+/", message.body_text).group(0)
    connect(tenant, sso_only=True)
    assert client.get(link).status_code == 400


def test_sso_only_refuses_password_change(sso_only, tenant):
    SsoConnection.objects.filter(tenant=tenant).update(sso_only=False)
    client = Client()
    client.post("/login/", {"email": sso_only.email, "password": PASSWORD})
    SsoConnection.objects.filter(tenant=tenant).update(sso_only=True)

    page = client.get("/password/change/")
    posted = client.post(
        "/password/change/",
        {
            "current_password": PASSWORD,
            "new_password": "another-long-pass-9",
            "new_password_again": "another-long-pass-9",
        },
    )

    assert page.status_code == 403 and "single sign-on" in text(page) and 'name="new_password"' not in text(page)
    assert posted.status_code == 403
    assert not AuditEvent.objects.filter(action="person.password_change").exists()


def test_other_tenants_keep_their_passwords(client, tenant, other_tenant, make_person):
    connect(tenant, sso_only=True)
    sam = make_person(other_tenant, email="sam@globex.test")
    person_set_password(person=sam, password=PASSWORD)
    assert client.post("/login/", {"email": sam.email, "password": PASSWORD}).status_code == 302


# --- invitations ---------------------------------------------------------------------------------
def invitation_email(admin, person) -> OutboxMessage:
    invitations_send(actor=admin, person_ids=[person.pk])
    message = OutboxMessage.objects.get(person=person, dedup_key__startswith="invitation:")
    render_outbox_message(message)
    return message


def test_an_sso_tenants_invitation_carries_the_sign_in_link(admin, learner, tenant, settings):
    connect(tenant)
    message = invitation_email(admin, learner)
    sign_in = f"{settings.BASE_URL}/login/sso/?tenant=Acme&email=lena%40acme.test"
    assert "Sign in with your organisation" in message.body_text and sign_in in message.body_text
    assert sign_in.replace("&", "&amp;") in message.body_html
    assert "/invitation/" in message.body_text  # a password stays possible: not SSO only


def test_an_sso_only_tenants_invitation_has_no_password_link(admin, learner, tenant):
    connect(tenant, sso_only=True)
    message = invitation_email(admin, learner)
    assert "/login/sso/?tenant=Acme" in message.body_text and "/invitation/" not in message.body_text


def test_the_invitation_page_of_an_sso_only_tenant_signs_in_with_the_organisation(client, admin, learner, tenant):
    connect(tenant, sso_only=True)
    invitations_send(actor=admin, person_ids=[learner.pk])
    link = invitation_link(Invitation.objects.get(person=learner)).split("testserver", 1)[-1]
    path = "/" + link.split("/", 3)[3] if link.startswith("http") else link

    page = client.get(path)
    posted = client.post(path, {"password": "a-long-pass-77", "password_again": "a-long-pass-77"})

    assert "Sign in with your organisation" in text(page) and 'name="password"' not in text(page)
    assert "/login/sso/?tenant=Acme&amp;email=lena%40acme.test" in text(page)
    assert posted.status_code == 403 and Invitation.objects.get(person=learner).accepted_at is None


def test_a_password_invitation_is_unchanged_without_sso(admin, learner):
    message = invitation_email(admin, learner)
    assert "Sign in with your organisation" not in message.body_text and "/invitation/" in message.body_text


# --- the settings page ---------------------------------------------------------------------------
ROLES = {"admin": ("admin",), "instructor": ("instructor",), "hr": ("hr",), "manager": (), "learner": ()}


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("instructor", 403), ("hr", 403), ("manager", 403), ("learner", 403)]
)
def test_only_admins_see_the_settings_page(tenant, make_person, signed_in, role, status):
    person = make_person(tenant, roles=ROLES[role])
    if role == "manager":
        make_person(tenant, manager=person)
    client = signed_in(person)
    assert client.get("/settings/sign-in/").status_code == status
    # An admin's incomplete form is refused field by field (422); the others may not post at all.
    assert client.post("/settings/sign-in/", {"enabled": "on"}).status_code == (422 if role == "admin" else 403)
    assert not SsoConnection.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/settings/sign-in/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_another_tenants_settings_are_never_shown_or_changed(other_tenant, admin, signed_in):
    connect(
        other_tenant, issuer="https://globex.example/oidc", client_id="globex-client", allowed_domains=["globex.test"]
    )
    client = signed_in(admin)

    page = text(client.get("/settings/sign-in/"))
    client.post("/settings/sign-in/", {"enabled": "on", "issuer": ISSUER, "client_id": "ours", "client_secret": "x"})

    assert "globex" not in page.lower()
    assert SsoConnection.objects.get(tenant=other_tenant).client_id == "globex-client"


def test_the_page_shows_the_redirect_uri_and_never_the_secret(admin, tenant, signed_in, settings):
    connect(tenant)
    page = text(signed_in(admin).get("/settings/sign-in/"))
    assert f"{settings.BASE_URL}/login/sso/callback/" in page
    assert "top-secret-42" not in page and "A client secret is stored" in page
    assert ISSUER in page


def test_saving_valid_settings_is_audited(admin, signed_in):
    client = signed_in(admin)
    response = client.post(
        "/settings/sign-in/",
        {
            "enabled": "on",
            "issuer": ISSUER,
            "client_id": "duecourse",
            "client_secret": "top-secret-42",
            "allowed_domains": "acme.test",
            "claim_name": "name",
            "action": "save",
        },
    )
    assert response.status_code == 302
    row = SsoConnection.objects.get()
    assert row.client_id == "duecourse" and secret_box.open_sealed(row.client_secret_sealed) == "top-secret-42"
    assert AuditEvent.objects.filter(action="sso.settings_update", actor_id=admin.pk).exists()
    assert "top-secret-42" not in text(client.get("/settings/sign-in/"))


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"issuer": "not a url"}, "issuer", "must be a URL"),
        ({"client_id": ""}, "client_id", "is required"),
        ({"allowed_domains": "acme..test"}, "allowed_domains", "is not a domain name"),
        ({"claim_name": "has space"}, "claim_name", "must be a claim name"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(admin, signed_in, posted, field, message):
    form = {"enabled": "on", "issuer": ISSUER, "client_id": "c", "client_secret": "s", "claim_name": "name"}
    response = signed_in(admin).post("/settings/sign-in/", form | posted)
    assert response.status_code == 422
    assert message in field_error(text(response), field)
    assert not SsoConnection.objects.exclude(client_id="").exists()
    assert not AuditEvent.objects.filter(action="sso.settings_update").exists()


def test_check_connection_names_an_unreachable_issuer_and_saves_nothing(admin, signed_in):
    form = {
        "enabled": "on",
        "issuer": "http://127.0.0.1:9/o",
        "client_id": "c",
        "client_secret": "s",
        "action": "check",
    }
    response = signed_in(admin).post("/settings/sign-in/", form)
    assert response.status_code == 422 and "Connection check failed" in text(response)
    assert not SsoConnection.objects.exists()


@pytest.mark.parametrize(
    "issuer", ["http://169.254.169.254/latest/meta-data", "https://10.1.2.3/o", "http://127.0.0.1:9/o", "not a url", ""]
)
def test_check_connection_refuses_what_saving_would_refuse(admin, signed_in, settings, issuer):
    settings.OIDC_ALLOW_INSECURE_LOOPBACK = False
    form = {"enabled": "on", "issuer": issuer, "client_id": "c", "client_secret": "s", "action": "check"}
    response = signed_in(admin).post("/settings/sign-in/", form)
    assert response.status_code == 422 and "Connection check failed" not in text(response)
    assert field_error(text(response), "issuer")
    assert not SsoConnection.objects.exists()


def test_policy_settings_link_to_the_sign_in_page(admin, signed_in):
    assert 'href="/settings/sign-in/"' in text(signed_in(admin).get("/settings/"))


@override_settings(
    OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="env-client", OIDC_CLIENT_SECRET="env-secret-9", OIDC_TENANT="Acme"
)
def test_with_the_environment_the_page_shows_its_provider_read_only_and_saves_the_rest(admin, signed_in):
    client = signed_in(admin)
    page = text(client.get("/settings/sign-in/"))
    assert "DUECOURSE_OIDC_" in page and "env-client" in page and "env-secret-9" not in page
    assert 'name="issuer"' not in page and 'name="client_secret"' not in page

    response = client.post(
        "/settings/sign-in/", {"allowed_domains": "acme.test", "claim_name": "name", "claim_department": "dept"}
    )

    assert response.status_code == 302
    row = SsoConnection.objects.get()
    assert row.allowed_domains == ["acme.test"] and row.claim_department == "dept" and row.issuer == ""


# --- unlinking a person's single sign-on account (the person page) -------------------------------
@pytest.mark.parametrize(
    ("role", "sees", "status"),
    [("admin", True, 302), ("instructor", False, 403), ("hr", False, 403), ("manager", False, 403)],
)
def test_only_admins_see_and_use_unlink_single_sign_on(tenant, learner, make_person, signed_in, role, sees, status):
    OidcIdentity.objects.create(tenant=tenant, person=learner, issuer=ISSUER, subject="s-1", created_at=now())
    actor = make_person(tenant, roles=ROLES[role])
    if role == "manager":
        learner.manager = actor
        learner.save(update_fields=["manager"])
    client = signed_in(actor)

    page = client.get(f"/people/{learner.pk}/")
    response = client.post(f"/people/{learner.pk}/sso-unlink/")

    assert page.status_code == 200 and ("Unlink single sign-on" in text(page)) is sees
    assert response.status_code == status
    assert OidcIdentity.objects.exists() is (not sees)
    assert AuditEvent.objects.filter(action="person.sso_unlink").exists() is sees


def test_another_tenants_admin_cannot_unlink(tenant, other_tenant, learner, make_person, signed_in):
    OidcIdentity.objects.create(tenant=tenant, person=learner, issuer=ISSUER, subject="s-1", created_at=now())
    client = signed_in(make_person(other_tenant, roles=("admin",)))
    assert client.post(f"/people/{learner.pk}/sso-unlink/").status_code == 404
    assert OidcIdentity.objects.exists()
