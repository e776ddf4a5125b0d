"""Single sign-on, people's side: the settings rule (environment vs page), sealed secrets, the settings
service's validation, and signing a person in from an identity (match, link, create, refuse)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from duecourse.core.errors import PermissionDenied, ValidationFailed
from duecourse.core.models import AuditEvent, Tenant
from duecourse.people import secret_box
from duecourse.people.identities import (
    OidcClaims,
    Refusal,
    SignInRefused,
    issuer_to_check,
    oidc_sign_in,
    person_sso_unlink,
    sso_connection_update,
)
from duecourse.people.inputs import SsoConnectionInput
from duecourse.people.invitations import invitations_send
from duecourse.people.models import Invitation, OidcIdentity, Person, SsoConnection
from duecourse.people.selectors import with_invitation_state
from duecourse.people.sign_in import (
    EmailRefusal,
    EnvironmentSso,
    email_match_refusal,
    merge_settings,
    sso_settings_for,
    tenants_for_sso_email,
)
from duecourse.sso.client import ProviderError, guard_url

ISSUER = "https://login.acme.test/realms/acme"


def connect(tenant, **fields) -> SsoConnection:
    fields.setdefault("issuer", ISSUER)
    fields.setdefault("client_id", "duecourse")
    fields.setdefault("enabled", True)
    secret = fields.pop("secret", "s3cret")
    return SsoConnection.objects.create(tenant=tenant, client_secret_sealed=secret_box.seal(secret), **fields)


def claims(subject="sub-1", email="lena@acme.test", **more) -> OidcClaims:
    more.setdefault("email_verified", True)
    return OidcClaims(issuer=ISSUER, subject=subject, email=email, **more)


# --- the settings rule (pure) --------------------------------------------------------------------
def test_the_environment_wins_for_its_tenant_and_the_page_supplies_the_rest():
    tenant = Tenant(pk=1, name="Acme")
    row = SsoConnection(
        issuer="https://page.example", client_id="page", enabled=False, allowed_domains=["acme.test"], claim_name="cn"
    )
    env = EnvironmentSso(issuer=ISSUER, client_id="env-client", client_secret="env-secret", tenant_name="acme")

    merged = merge_settings(tenant=tenant, row=row, client_secret="", env=env)

    assert (merged.issuer, merged.client_id, merged.client_secret) == (ISSUER, "env-client", "env-secret")
    assert merged.allowed_domains == ("acme.test",) and merged.claim_name == "cn"
    assert merged.from_environment == {"issuer", "client_id", "client_secret"}


def test_a_page_row_counts_only_when_enabled_and_complete():
    tenant, env = Tenant(pk=1, name="Acme"), EnvironmentSso()
    row = SsoConnection(issuer=ISSUER, client_id="c", enabled=True)
    assert merge_settings(tenant=tenant, row=row, client_secret="x", env=env).issuer == ISSUER
    assert merge_settings(tenant=tenant, row=row, client_secret="", env=env) is None
    row.enabled = False
    assert merge_settings(tenant=tenant, row=row, client_secret="x", env=env) is None
    other = EnvironmentSso(issuer=ISSUER, client_id="c", client_secret="x", tenant_name="Globex")
    assert merge_settings(tenant=tenant, row=None, client_secret="", env=other) is None


@pytest.mark.parametrize(
    ("email", "verified", "domains", "refusal"),
    [
        ("a@acme.test", True, (), None),
        ("a@acme.test", True, ("acme.test",), None),
        ("a@evil.test", True, ("acme.test",), EmailRefusal.DOMAIN_NOT_ALLOWED),
        ("a@sub.acme.test", True, ("acme.test",), EmailRefusal.DOMAIN_NOT_ALLOWED),
        ("a@acme.test", False, ("acme.test",), EmailRefusal.NOT_VERIFIED),
        ("a@acme.test", None, ("acme.test",), None),
        ("a@acme.test", None, (), EmailRefusal.UNCONFIRMED_DOMAIN),
        ("", True, (), EmailRefusal.MISSING),
    ],
)
def test_which_emails_may_link_a_person(email, verified, domains, refusal):
    assert email_match_refusal(email=email, email_verified=verified, allowed_domains=domains) == refusal


@override_settings(
    OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="env", OIDC_CLIENT_SECRET="x", OIDC_TENANT="Acme", OIDC_SSO_ONLY=True
)
def test_environment_settings_apply_to_the_named_tenant_only(tenant, other_tenant):
    assert sso_settings_for(tenant).sso_only is True
    assert sso_settings_for(other_tenant) is None


# --- sealed secrets ------------------------------------------------------------------------------
def test_secrets_are_stored_sealed_and_open_after_a_key_rotation(tenant, settings):
    row = connect(tenant, secret="client-secret-1")
    assert "client-secret-1" not in row.client_secret_sealed

    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-brand-new-key-" * 4, [old_key]
    assert sso_settings_for(tenant).client_secret == "client-secret-1"
    resealed = SsoConnection.objects.get(pk=row.pk).client_secret_sealed
    assert resealed != row.client_secret_sealed  # re-sealed under the new key on first use

    settings.SECRET_KEY_FALLBACKS = []
    assert sso_settings_for(tenant).client_secret == "client-secret-1"
    settings.SECRET_KEY = "yet-another-key-" * 4
    assert secret_box.open_sealed(resealed) is None
    assert sso_settings_for(tenant) is None  # no secret: the admin must enter it again


# --- the settings service ------------------------------------------------------------------------
def full_input(**changes) -> SsoConnectionInput:
    values = {
        "enabled": True,
        "issuer": ISSUER,
        "client_id": "duecourse",
        "client_secret": "s3cret",
        "allowed_domains": "acme.test, Acme.co.uk",
    }
    return SsoConnectionInput(**(values | changes))


def test_an_admin_saves_the_settings_and_the_audit_never_holds_the_secret(admin):
    row = sso_connection_update(actor=admin, data=full_input())

    assert row.allowed_domains == ["acme.test", "acme.co.uk"]
    assert secret_box.open_sealed(row.client_secret_sealed) == "s3cret"
    event = AuditEvent.objects.get(action="sso.settings_update")
    assert event.after["issuer"] == ISSUER and event.after["client_secret"] == "replaced"
    assert "s3cret" not in str(event.before) + str(event.after)


def test_an_empty_secret_keeps_the_stored_one(admin):
    sso_connection_update(actor=admin, data=full_input())
    row = sso_connection_update(actor=admin, data=full_input(client_secret=None, claim_name="display_name"))
    assert secret_box.open_sealed(row.client_secret_sealed) == "s3cret" and row.claim_name == "display_name"


@pytest.mark.parametrize(
    "changes", [{"issuer": "https://login.globex.example/realms/x"}, {"client_id": "another-client"}]
)
def test_a_new_provider_needs_the_secret_again_and_never_gets_the_old_one(admin, changes):
    sso_connection_update(actor=admin, data=full_input())

    with pytest.raises(ValidationFailed) as caught:
        sso_connection_update(actor=admin, data=full_input(client_secret=None, **changes))

    assert "enter the client secret again" in {e.field: e.message for e in caught.value.errors}["client_secret"]
    row = SsoConnection.objects.get()
    assert (row.issuer, row.client_id) == (ISSUER, "duecourse")  # nothing changed
    # Switched off at the same time: saved, and the old secret is discarded (audited).
    row = sso_connection_update(actor=admin, data=full_input(client_secret=None, enabled=False, **changes))
    assert row.client_secret_sealed == "" and sso_settings_for(admin.tenant) is None
    event = AuditEvent.objects.filter(action="sso.settings_update").latest("id")
    assert event.before["client_secret"] == "stored" and event.after["client_secret"] == ""
    # With a new secret it saves as usual.
    row = sso_connection_update(actor=admin, data=full_input(client_secret="new-secret", **changes))
    assert secret_box.open_sealed(row.client_secret_sealed) == "new-secret"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issuer": ""}, "issuer", "is required"),
        ({"issuer": "ftp://x.test"}, "issuer", "must be a URL"),
        ({"issuer": "http://login.acme.test"}, "issuer", "must start with https://"),
        ({"issuer": "https://x.test/?a=1"}, "issuer", "query"),
        ({"client_id": ""}, "client_id", "is required"),
        ({"client_id": "a b"}, "client_id", "without spaces"),
        ({"client_secret": None}, "client_secret", "is required"),
        ({"allowed_domains": "acme.test, not a domain"}, "allowed_domains", "'not' is not a domain"),
        ({"claim_name": ""}, "claim_name", "is required"),
        ({"claim_department": "dep artment"}, "claim_department", "must be a claim name"),
        ({"create_people_on_first_login": True, "allowed_domains": ""}, "create_people_on_first_login", "domain"),
        ({"sso_only": True}, "sso_only", "sign in with your organisation once yourself"),
        ({"sso_only": True, "enabled": False, "issuer": ""}, "sso_only", "needs single sign-on switched on"),
    ],
)
def test_every_bad_field_is_named_and_nothing_changes(admin, changes, field, message):
    with pytest.raises(ValidationFailed) as caught:
        sso_connection_update(actor=admin, data=full_input(**changes))

    errors = {e.field: e.message for e in caught.value.errors}
    assert message in errors[field]
    assert not SsoConnection.objects.exclude(client_secret_sealed="").exists()
    assert not AuditEvent.objects.filter(action="sso.settings_update").exists()


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("http://127.0.0.1:8080/o", "must start with https://"),
        ("http://localhost/o", "must start with https://"),
        ("https://127.0.0.1/o", "must not name this machine"),
        ("https://localhost/realms/x", "must not name this machine"),
        ("https://[::1]/o", "must not name this machine"),
        ("https://10.0.0.5/realms/x", "must name a public host"),
        ("https://192.168.1.10/o", "must name a public host"),
        ("https://[::ffff:10.0.0.1]/o", "must name a public host"),
        ("https://169.254.169.254/latest", "link-local"),
    ],
)
def test_in_production_an_issuer_must_be_https_to_a_public_host(admin, settings, issuer, message):
    settings.DEBUG, settings.OIDC_ALLOW_INSECURE_LOOPBACK = False, False
    with pytest.raises(ValidationFailed) as caught:
        sso_connection_update(actor=admin, data=full_input(issuer=issuer))
    assert message in {e.field: e.message for e in caught.value.errors}["issuer"]
    with pytest.raises(ValidationFailed):
        issuer_to_check(actor=admin, typed_issuer=issuer)  # "Check connection" follows the same rule


def test_a_provider_on_this_machine_is_accepted_only_when_testing_or_in_debug(admin, settings):
    settings.DEBUG, settings.OIDC_ALLOW_INSECURE_LOOPBACK = False, True
    assert sso_connection_update(actor=admin, data=full_input(issuer="http://127.0.0.1:8080/o")).issuer
    settings.OIDC_ALLOW_INSECURE_LOOPBACK, settings.DEBUG = False, True
    assert issuer_to_check(actor=admin, typed_issuer="http://localhost:8080/o") == "http://localhost:8080/o"
    settings.DEBUG, settings.OIDC_ALLOW_PRIVATE_ADDRESSES = False, True
    assert issuer_to_check(actor=admin, typed_issuer="https://10.0.0.5/o") == "https://10.0.0.5/o"
    with pytest.raises(ValidationFailed):
        issuer_to_check(actor=admin, typed_issuer="https://169.254.169.254/o")  # link-local: never


@pytest.mark.parametrize("roles", [("instructor",), ("hr",), ()])
def test_only_admins_check_a_connection(tenant, make_person, roles):
    with pytest.raises(PermissionDenied):
        issuer_to_check(actor=make_person(tenant, roles=roles), typed_issuer=ISSUER)


def test_discovery_endpoints_follow_the_issuers_rule(settings):
    settings.DEBUG, settings.OIDC_ALLOW_INSECURE_LOOPBACK = False, False
    for url, message in [
        ("http://login.acme.test/token", "must start with https://"),
        ("https://127.0.0.1:8443/token", "must not name this machine"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
    ]:
        with pytest.raises(ProviderError) as caught:
            guard_url(url, "discovery document's token_endpoint")
        assert message in str(caught.value)


def test_sso_only_needs_the_admin_to_have_signed_in_by_sso_first(admin):
    sso_connection_update(actor=admin, data=full_input())
    OidcIdentity.objects.create(
        tenant=admin.tenant, person=admin, issuer=ISSUER, subject="a", created_at="2026-01-01T00:00Z"
    )
    with pytest.raises(ValidationFailed):
        sso_connection_update(actor=admin, data=full_input(sso_only=True))  # linked, never signed in

    OidcIdentity.objects.update(last_login_at="2026-01-01T00:00Z")
    assert sso_connection_update(actor=admin, data=full_input(sso_only=True)).sso_only is True


@pytest.fixture
def sso_only_admin(admin):
    sso_connection_update(actor=admin, data=full_input())
    OidcIdentity.objects.create(
        tenant=admin.tenant,
        person=admin,
        issuer=ISSUER,
        subject="a",
        created_at="2026-01-01T00:00Z",
        last_login_at="2026-01-01T00:00Z",
    )
    sso_connection_update(actor=admin, data=full_input(sso_only=True))
    return admin


@pytest.mark.parametrize(
    "changes", [{"issuer": "https://login.acme.test/realms/typo"}, {"client_id": "duecourse-typo"}]
)
def test_with_sso_only_on_the_provider_cannot_change(sso_only_admin, changes):
    with pytest.raises(ValidationFailed) as caught:
        sso_connection_update(actor=sso_only_admin, data=full_input(sso_only=True, **changes))

    (field,) = changes
    assert "switch SSO only off and save first" in {e.field: e.message for e in caught.value.errors}[field]
    row = SsoConnection.objects.get()
    assert (row.issuer, row.client_id, row.sso_only) == (ISSUER, "duecourse", True)
    # Switched off in the same save, it may change (with the secret again, as any provider change).
    row = sso_connection_update(actor=sso_only_admin, data=full_input(sso_only=False, **changes))
    assert not row.sso_only


def test_break_glass_command_switches_sso_only_off(sso_only_admin, tenant):
    out = StringIO()
    call_command("tenant", "sso-only", "acme", "--off", stdout=out)

    assert "SSO only is off for Acme" in out.getvalue()
    assert not SsoConnection.objects.get().sso_only and not sso_settings_for(tenant).sso_only
    event = AuditEvent.objects.filter(action="sso.settings_update").latest("id")
    assert (event.actor_label, event.before, event.after) == ("Command line", {"sso_only": True}, {"sso_only": False})
    call_command("tenant", "sso-only", "Acme", "--off", stdout=out)
    assert "was not on" in out.getvalue()
    with pytest.raises(CommandError, match="No tenant named"):
        call_command("tenant", "sso-only", "Nope", "--off")


@override_settings(
    OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="env", OIDC_CLIENT_SECRET="x", OIDC_TENANT="Acme", OIDC_SSO_ONLY=True
)
def test_break_glass_says_when_the_environment_sets_sso_only(tenant):
    with pytest.raises(CommandError, match="DUECOURSE_OIDC_SSO_ONLY"):
        call_command("tenant", "sso-only", "Acme", "--off")


@pytest.mark.parametrize("roles", [("instructor",), ("hr",), ()])
def test_only_admins_change_the_sign_in_settings(tenant, make_person, roles):
    with pytest.raises(PermissionDenied):
        sso_connection_update(actor=make_person(tenant, roles=roles), data=full_input())


# --- signing in from an identity -----------------------------------------------------------------
@pytest.fixture
def sso(tenant):
    connect(tenant, allowed_domains=["acme.test"], claim_department="department")
    return sso_settings_for(tenant)


def test_a_verified_email_links_the_person_then_the_subject_signs_them_in(sso, learner):
    assert oidc_sign_in(sso=sso, claims=claims()).pk == learner.pk
    identity = OidcIdentity.objects.get()
    assert (identity.person_id, identity.issuer, identity.subject) == (learner.pk, ISSUER, "sub-1")
    assert identity.last_login_at is not None and Person.objects.get(pk=learner.pk).user is not None
    assert AuditEvent.objects.filter(action="person.sso_link", object_id=learner.pk).count() == 1

    # Renamed at the provider: the subject still finds them.
    assert oidc_sign_in(sso=sso, claims=claims(email="lena.new@acme.test")).pk == learner.pk
    assert AuditEvent.objects.filter(action="person.sso_link").count() == 1


def test_a_second_account_with_the_same_email_never_takes_over_the_link(sso, learner):
    oidc_sign_in(sso=sso, claims=claims(subject="old"))

    with pytest.raises(SignInRefused) as caught:
        oidc_sign_in(sso=sso, claims=claims(subject="new"))

    assert caught.value.reason is Refusal.LINKED_TO_ANOTHER_ACCOUNT
    assert list(OidcIdentity.objects.values_list("subject", flat=True)) == ["old"]
    assert oidc_sign_in(sso=sso, claims=claims(subject="old")).pk == learner.pk


def test_an_admin_unlinks_so_the_next_sign_in_links_the_new_account(sso, learner, admin):
    oidc_sign_in(sso=sso, claims=claims(subject="old"))

    assert person_sso_unlink(actor=admin, person=learner) == 1

    event = AuditEvent.objects.get(action="person.sso_unlink", object_id=learner.pk)
    assert event.actor_id == admin.pk and event.before == {"links": [{"issuer": ISSUER, "subject": "old"}]}
    assert oidc_sign_in(sso=sso, claims=claims(subject="new")).pk == learner.pk
    assert list(OidcIdentity.objects.values_list("subject", flat=True)) == ["new"]
    assert person_sso_unlink(actor=admin, person=Person.objects.get(pk=admin.pk)) == 0


@pytest.mark.parametrize("roles", [("instructor",), ("hr",), ()])
def test_only_admins_unlink_single_sign_on(sso, learner, tenant, make_person, roles):
    oidc_sign_in(sso=sso, claims=claims())
    with pytest.raises(PermissionDenied):
        person_sso_unlink(actor=make_person(tenant, roles=roles), person=learner)
    assert OidcIdentity.objects.count() == 1


def test_an_admin_of_another_tenant_cannot_unlink(sso, learner, other_tenant, make_person):
    oidc_sign_in(sso=sso, claims=claims())
    with pytest.raises(PermissionDenied):
        person_sso_unlink(actor=make_person(other_tenant, roles=("admin",)), person=learner)
    assert OidcIdentity.objects.count() == 1


def test_people_of_another_tenant_are_never_matched(sso, other_tenant, make_person):
    make_person(other_tenant, email="lena@acme.test")
    with pytest.raises(SignInRefused) as caught:
        oidc_sign_in(sso=sso, claims=claims())
    assert caught.value.reason is Refusal.UNKNOWN_PERSON
    assert not OidcIdentity.objects.exists()


def test_a_deactivated_person_is_refused_by_email_and_by_subject(sso, learner):
    oidc_sign_in(sso=sso, claims=claims())
    Person.objects.filter(pk=learner.pk).update(active=False)
    for identity in (claims(), claims(subject="other-sub")):
        with pytest.raises(SignInRefused) as caught:
            oidc_sign_in(sso=sso, claims=identity)
        assert caught.value.reason is Refusal.DEACTIVATED


def test_an_unverified_or_foreign_email_links_nobody(sso, learner, make_person, tenant):
    make_person(tenant, email="eve@evil.test")
    for identity in (claims(email_verified=False), claims(email="eve@evil.test")):
        with pytest.raises(SignInRefused) as caught:
            oidc_sign_in(sso=sso, claims=identity)
        assert caught.value.reason is Refusal.EMAIL_REFUSED
    assert not OidcIdentity.objects.exists()


def test_newcomers_are_created_from_the_claims_when_the_tenant_allows_it(tenant, sso, admin):
    SsoConnection.objects.update(create_people_on_first_login=True)
    sso = sso_settings_for(tenant)
    newcomer = claims(
        subject="n-1", email="nora@acme.test", name="Nora New", department="Finance", manager_email="admin@acme.test"
    )

    person = oidc_sign_in(sso=sso, claims=newcomer)

    assert (person.name, person.department.name, person.manager_id) == ("Nora New", "Finance", admin.pk)
    event = AuditEvent.objects.get(action="person.create", object_id=person.pk)
    assert event.actor_label == "Single sign-on"


def test_a_manager_nobody_knows_is_left_out_rather_than_refusing(tenant, sso):
    SsoConnection.objects.update(create_people_on_first_login=True)
    person = oidc_sign_in(
        sso=sso_settings_for(tenant), claims=claims(email="x@acme.test", manager_email="ghost@acme.test")
    )
    assert person.manager_id is None


def test_claims_the_person_rules_refuse_create_nobody(tenant, sso):
    SsoConnection.objects.update(create_people_on_first_login=True)
    with pytest.raises(SignInRefused) as caught:
        oidc_sign_in(sso=sso_settings_for(tenant), claims=claims(email="x@acme.test", name="N" * 300))
    assert caught.value.reason is Refusal.NOT_CREATED and "name" in caught.value.detail
    assert not Person.objects.filter(email="x@acme.test").exists()


def test_without_creation_an_unknown_person_is_refused(sso):
    with pytest.raises(SignInRefused) as caught:
        oidc_sign_in(sso=sso, claims=claims(email="nobody@acme.test"))
    assert caught.value.reason is Refusal.UNKNOWN_PERSON
    assert not Person.objects.filter(email="nobody@acme.test").exists()


def test_the_first_sso_sign_in_accepts_the_invitation(sso, admin, learner):
    invitations_send(actor=admin, person_ids=[learner.pk])

    oidc_sign_in(sso=sso, claims=claims())

    assert Invitation.objects.get(person=learner).accepted_at is not None
    assert with_invitation_state(Person.objects.filter(pk=learner.pk)).get().invitation_state == "accepted"
    assert AuditEvent.objects.get(action="invitation.accept").after["via"] == "sso"


def test_tenants_for_an_email_by_person_and_by_allowed_domain(tenant, other_tenant, make_person):
    connect(tenant, allowed_domains=["acme.test"])
    connect(other_tenant)
    make_person(other_tenant, email="sam@acme.test")
    assert {t.name for t in tenants_for_sso_email("new@acme.test")} == {"Acme"}
    # A tenant with the person wins over a tenant that merely lists the domain.
    assert {t.name for t in tenants_for_sso_email("SAM@acme.test")} == {"Globex"}
    assert [t.name for t in tenants_for_sso_email("sam@acme.test", "globex")] == ["Globex"]
    assert tenants_for_sso_email("sam@acme.test", "acme") == []
    assert tenants_for_sso_email("not-an-email") == []
    assert tenants_for_sso_email("\x00@acme.test") == [] and tenants_for_sso_email("new@acme.test", "\x00") == []


def test_a_domain_another_tenant_lists_never_takes_that_tenants_people(tenant, other_tenant, make_person):
    connect(other_tenant, allowed_domains=["acme.test"])  # Globex claims Acme's domain
    make_person(tenant, email="ann@acme.test")
    assert tenants_for_sso_email("ann@acme.test") == [tenant]


def test_a_domain_another_tenant_lists_cannot_be_saved(admin, other_tenant):
    connect(other_tenant, allowed_domains=["acme.test"])
    with pytest.raises(ValidationFailed) as caught:
        sso_connection_update(actor=admin, data=full_input(allowed_domains="acme.co.uk, acme.test"))
    message = {e.field: e.message for e in caught.value.errors}["allowed_domains"]
    assert "acme.test is already listed by another organisation" in message and "acme.co.uk" not in message
    assert not SsoConnection.objects.filter(tenant=admin.tenant).exclude(client_id="").exists()
    assert sso_connection_update(actor=admin, data=full_input(allowed_domains="acme.co.uk")).allowed_domains == [
        "acme.co.uk"
    ]


def test_a_leftover_user_name_does_not_stop_the_first_sign_in(sso, learner):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create(username=f"t{learner.tenant_id}:lena@acme.test")
    assert oidc_sign_in(sso=sso, claims=claims()).user.username == f"t{learner.tenant_id}:p{learner.pk}"


def test_with_the_environment_the_pages_sso_only_counts_without_enabling_the_row():
    tenant = Tenant(pk=1, name="Acme")
    env = EnvironmentSso(issuer=ISSUER, client_id="env-client", client_secret="x", tenant_name="Acme")
    row = SsoConnection(enabled=False, sso_only=True)
    assert merge_settings(tenant=tenant, row=row, client_secret="", env=env).sso_only is True
    assert "sso_only" not in merge_settings(tenant=tenant, row=row, client_secret="", env=env).from_environment
