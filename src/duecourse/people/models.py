from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from duecourse.core.models import TenantScopedModel
from duecourse.people import limits, roles, token_format


class OrgUnit(TenantScopedModel):
    """A department, site or region: a named entity people belong to."""

    DEPARTMENT = "department"
    SITE = "site"
    REGION = "region"
    KINDS = [(DEPARTMENT, "Department"), (SITE, "Site"), (REGION, "Region")]

    kind = models.CharField(max_length=20, choices=KINDS)
    name = models.CharField(max_length=200)

    class Meta:
        db_table = "org_unit"
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "name"], name="org_unit_unique_name")]
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


def org_unit_reference() -> models.ForeignKey:
    """A person's department, site or region: unchecked and unindexed alone (see Person)."""
    return models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class Person(TenantScopedModel):
    """Someone in the directory. Email is stored lower-case, so it compares case-insensitively."""

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    # No database-level foreign keys on the directory's references: an HR import of 100,000 people paid
    # one deferred check per row and key at commit (about 2 s of 8). The import and the services write
    # only ids they have just looked up or created, and Django's on_delete still applies in Python.
    # Org-unit columns are indexed tenant-first only (person_*_idx); the manager keeps its own index for
    # the tenant-less "has reports" subqueries.
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        db_constraint=False,
    )
    department = org_unit_reference()
    site = org_unit_reference()
    region = org_unit_reference()
    job_title = models.CharField(max_length=200, blank=True, default="")
    hire_date = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    locale = models.CharField(max_length=16, default="en")
    active = models.BooleanField(default=True)
    is_admin = models.BooleanField(default=False)
    is_instructor = models.BooleanField(default=False)
    is_hr = models.BooleanField(default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "person"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="person_unique_email"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=Q(external_id__isnull=False),
                name="person_unique_external_id",
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="person_email_lower_case"),
        ]
        indexes = [
            models.Index(fields=["tenant", "manager"], name="person_manager_idx"),
            models.Index(fields=["tenant", "department"], name="person_department_idx"),
            models.Index(fields=["tenant", "site"], name="person_site_idx"),
            models.Index(fields=["tenant", "region"], name="person_region_idx"),
            models.Index(fields=["tenant", "active", "name"], name="person_active_name_idx"),
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def role_names(self) -> list[str]:
        return roles.role_names(self)


class ApiToken(TenantScopedModel):
    """A bearer token for the API. Only a hash of the secret is stored; the prefix finds the row."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: until revoked

    class Meta:
        db_table = "api_token"

    def __str__(self) -> str:
        return f"token {self.prefix} for {self.person_id}"

    @property
    def api_key(self) -> str:
        """The token's public half as a Frappe-style key pair (`token_format`)."""
        return token_format.api_key_of(self.prefix)


class Invitation(TenantScopedModel):
    """A single-use link to set a password and sign in, valid `INVITATION_VALID_DAYS`.

    The link's token is never stored: it is an HMAC (keyed by SECRET_KEY) over the row's id and its
    random `nonce` (`invitations.invitation_token`), so the server can put the same live link into
    every email it sends until it is used, while the database alone reveals no working link. "Live":
    neither accepted nor revoked (superseded); at most one per person (a partial unique index).
    """

    VIA_INVITE, VIA_ASSIGNMENT_EMAIL = "invite", "assignment_email"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    nonce = models.CharField(max_length=64)
    via = models.CharField(max_length=20, default=VIA_INVITE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "invitation"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_live_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} for {self.person_id}"


class SsoConnection(TenantScopedModel):
    """A tenant's OpenID Connect provider (at most one). The client secret is stored sealed
    (`people.secret_box`); `people.sign_in.sso_settings_for` merges this row with the environment."""

    issuer = models.CharField(max_length=limits.MAX_ISSUER_LENGTH, blank=True, default="")
    client_id = models.CharField(max_length=limits.MAX_CLIENT_ID_LENGTH, blank=True, default="")
    client_secret_sealed = models.TextField(blank=True, default="")
    allowed_domains = models.JSONField(default=list, blank=True)  # lower-case domain names
    sso_only = models.BooleanField(default=False)
    create_people_on_first_login = models.BooleanField(default=False)
    claim_name = models.CharField(max_length=limits.MAX_CLAIM_NAME_LENGTH, blank=True, default="name")
    claim_department = models.CharField(max_length=limits.MAX_CLAIM_NAME_LENGTH, blank=True, default="")
    claim_manager_email = models.CharField(max_length=limits.MAX_CLAIM_NAME_LENGTH, blank=True, default="")
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "sso_connection"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="sso_connection_one_per_tenant")]

    def __str__(self) -> str:
        return f"SSO {self.issuer or '(not set)'} for tenant {self.tenant_id}"


class OidcIdentity(TenantScopedModel):
    """A person's account at the tenant's OpenID Connect provider: the (issuer, subject) pair that signs
    them in once linked, whatever their email becomes."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="oidc_identities")
    issuer = models.CharField(max_length=limits.MAX_ISSUER_LENGTH)
    subject = models.CharField(max_length=limits.MAX_SUBJECT_LENGTH)
    created_at = models.DateTimeField()
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "oidc_identity"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "issuer", "subject"], name="oidc_identity_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject} → person {self.person_id}"
