"""How a tenant's people sign in: the one home of the single sign-on settings and of the rules that
follow from them (docs/identity.md). People's own pages (login, passwords, invitations) ask here, so
they never import the `sso` app that runs the OpenID Connect flow.

A single-tenant install configures single sign-on by environment (`DUECOURSE_OIDC_*`, read in
config/settings.py); a tenant of a shared install on its "Sign-in" settings page (`SsoConnection`).
`merge_settings` is the rule: for the environment's tenant, the environment wins for the fields it sets
(issuer, client id and secret, SSO only) and the page supplies the rest (allowed domains, creating
people on first login, claim names).
"""

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext_lazy

from duecourse.core.models import Tenant
from duecourse.people import secret_box
from duecourse.people.models import Person, SsoConnection

CALLBACK_PATH = "/login/sso/callback/"
# In the session of a person signed in by single sign-on: {"tenant_id", "id_token"} (for logout). A session
# without it was signed in by password (or an invitation).
SSO_SESSION_KEY = "duecourse_sso"
DEFAULT_CLAIM_NAME = "name"


@dataclass(frozen=True)
class EnvironmentSso:
    """The `DUECOURSE_OIDC_*` settings (empty issuer: not configured by environment)."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    tenant_name: str = ""
    sso_only: bool = False

    @classmethod
    def from_settings(cls) -> "EnvironmentSso":
        return cls(
            issuer=getattr(settings, "OIDC_ISSUER", ""),
            client_id=getattr(settings, "OIDC_CLIENT_ID", ""),
            client_secret=getattr(settings, "OIDC_CLIENT_SECRET", ""),
            tenant_name=getattr(settings, "OIDC_TENANT", ""),
            sso_only=getattr(settings, "OIDC_SSO_ONLY", False),
        )

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id and self.tenant_name)


@dataclass(frozen=True)
class SsoSettings:
    """What signing in by OpenID Connect means for one tenant, wherever it was configured."""

    tenant_id: int
    tenant_name: str
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...] = ()
    sso_only: bool = False
    create_people_on_first_login: bool = False
    claim_name: str = DEFAULT_CLAIM_NAME
    claim_department: str = ""
    claim_manager_email: str = ""
    from_environment: frozenset[str] = field(default_factory=frozenset)  # the fields the environment set


def merge_settings(
    *, tenant: Tenant, row: SsoConnection | None, client_secret: str, env: EnvironmentSso
) -> SsoSettings | None:
    """The rule (pure): for the environment's tenant, the environment's provider (and its SSO only, when
    set) wins and the row supplies the rest, enabled or not; a row alone counts only when enabled and
    complete. None: this tenant does not sign in by SSO."""
    from_env = env.configured and env.tenant_name.casefold() == tenant.name.casefold()
    if from_env:
        issuer, client_id, secret = env.issuer, env.client_id, env.client_secret
        sso_only = env.sso_only or bool(row and row.sso_only)
        env_fields = {"issuer", "client_id", "client_secret"} | ({"sso_only"} if env.sso_only else set())
    elif row is not None and row.enabled and row.issuer and row.client_id and client_secret:
        issuer, client_id, secret = row.issuer, row.client_id, client_secret
        sso_only, env_fields = row.sso_only, set()
    else:
        return None
    return SsoSettings(
        tenant_id=tenant.pk,
        tenant_name=tenant.name,
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        allowed_domains=tuple(row.allowed_domains or ()) if row else (),
        sso_only=sso_only,
        create_people_on_first_login=bool(row and row.create_people_on_first_login),
        claim_name=(row.claim_name if row else "") or DEFAULT_CLAIM_NAME,
        claim_department=row.claim_department if row else "",
        claim_manager_email=row.claim_manager_email if row else "",
        from_environment=frozenset(env_fields),
    )


def sso_settings_for(tenant: Tenant | int) -> SsoSettings | None:
    """This tenant's single sign-on settings, or None when its people sign in with passwords only."""
    if not isinstance(tenant, Tenant):
        found = Tenant.objects.filter(pk=tenant).first()
        if found is None:
            return None
        tenant = found
    row = SsoConnection.objects.filter(tenant_id=tenant.pk).first()
    secret = ""
    if row is not None and row.client_secret_sealed:
        secret = secret_box.open_sealed(row.client_secret_sealed) or ""
        if secret and not secret_box.sealed_with_current_key(row.client_secret_sealed):
            SsoConnection.objects.filter(pk=row.pk).update(
                client_secret_sealed=secret_box.reseal(row.client_secret_sealed)
            )
    return merge_settings(tenant=tenant, row=row, client_secret=secret, env=EnvironmentSso.from_settings())


def sso_configured_anywhere() -> bool:
    """Whether the login page offers "Sign in with your organisation" at all."""
    return EnvironmentSso.from_settings().configured or SsoConnection.objects.filter(enabled=True).exists()


def environment_tenant() -> Tenant | None:
    """The tenant a single-tenant install's environment configures, when it exists."""
    env = EnvironmentSso.from_settings()
    if not env.configured:
        return None
    return Tenant.objects.filter(name__iexact=env.tenant_name).first()


def tenant_named(name: str) -> Tenant | None:
    """The tenant of this name, whatever its case (the login page's ?tenant=, read as typed: a name with a
    NUL character, which PostgreSQL refuses in any query, names no tenant)."""
    name = (name or "").strip()
    if not name or "\x00" in name:
        return None
    return Tenant.objects.filter(name__iexact=name).first()


def sso_only_for_tenant(tenant_id: int) -> bool:
    found = sso_settings_for(tenant_id)
    return bool(found and found.sso_only)


def password_sign_in_refused(person: Person | None) -> bool:
    """SSO only: this person's tenant refuses passwords (login, reset links, changing one)."""
    return person is not None and sso_only_for_tenant(person.tenant_id)


SSO_ONLY_MESSAGE = gettext_lazy(
    "Your organisation signs you in with its own account (single sign-on), not a duecourse password. "
    "Use “Sign in with your organisation”."
)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def domain_allowed(email: str, allowed_domains: tuple[str, ...]) -> bool:
    """No list: any domain. Else the email's domain is one of them (exactly, not a subdomain)."""
    return not allowed_domains or email_domain(email) in allowed_domains


def tenants_for_sso_email(email: str, tenant_name: str | None = None) -> list[Tenant]:
    """The tenants single sign-on for this email could mean, narrowed to the named one when given. The
    tenants with a person of that email come first and alone: an organisation's allowed domains are not
    proven to be its own, so they never pull a person of another organisation to their provider. Only
    when no tenant has the person do the allowed domains count (so a tenant that creates people on first
    login finds newcomers). The caller keeps the ones with SSO settings."""
    email = (email or "").strip().lower()
    if "@" not in email or "\x00" in email:
        return []
    tenants = Tenant.objects.filter(pk__in=Person.objects.filter(email=email).values("tenant_id"))
    if not tenants.exists():
        tenants = Tenant.objects.filter(pk__in=tenants_claiming_domain(email_domain(email)))
    if tenant_name and tenant_name.strip():
        if "\x00" in tenant_name:
            return []
        tenants = tenants.filter(name__iexact=tenant_name.strip())
    return list(tenants.order_by("pk")[:20])


def tenants_claiming_domain(domain: str, *, exclude_tenant_id: int | None = None) -> list[int]:
    """The tenants whose sign-in settings list this email domain as allowed (normally one: a domain
    another tenant lists is refused when saving)."""
    # One row per tenant with sign-in settings: few, and the domain lists are short.
    rows = SsoConnection.objects.values_list("tenant_id", "allowed_domains")
    if exclude_tenant_id is not None:
        rows = rows.exclude(tenant_id=exclude_tenant_id)
    return [tenant_id for tenant_id, domains in rows if domain in (domains or [])]


def invitation_sign_in_link(*, tenant_name: str, email: str) -> str:
    """Where an invitation for a tenant that signs in by SSO sends the person: straight to their
    organisation's sign-in, with their email as the provider's login hint."""
    return f"{settings.BASE_URL}/login/sso/?{urlencode({'tenant': tenant_name, 'email': email})}"


class EmailRefusal(StrEnum):
    NOT_VERIFIED = "your organisation's account does not confirm this email address (email_verified is false)"
    UNCONFIRMED_DOMAIN = (
        "your organisation's account does not say this email address is confirmed, and its domain is not "
        "one the organisation lists as its own"
    )
    DOMAIN_NOT_ALLOWED = "this email address's domain is not one your organisation allows for sign-in"
    MISSING = "your organisation's account sent no email address"


def email_match_refusal(
    *, email: str, email_verified: bool | None, allowed_domains: tuple[str, ...]
) -> EmailRefusal | None:
    """May an ID token's email link a person (pure)? Verified: when its domain is allowed (any, without a
    list). Unstated (Entra ID sends no `email_verified`): only in a domain the tenant lists as its own,
    an admin's statement that its provider is the authority for it. Stated false: never."""
    if not email or "@" not in email:
        return EmailRefusal.MISSING
    if email_verified is False:
        return EmailRefusal.NOT_VERIFIED
    if email_verified is None:
        return None if allowed_domains and domain_allowed(email, allowed_domains) else EmailRefusal.UNCONFIRMED_DOMAIN
    return None if domain_allowed(email, allowed_domains) else EmailRefusal.DOMAIN_NOT_ALLOWED
