from django.db import models

from duecourse.core.models import TenantScopedModel


class ScimToken(TenantScopedModel):
    """A tenant's bearer token for the SCIM endpoint (its identity provider's provisioning
    connection). Like `people.ApiToken`, only a hash of the secret is stored; the prefix finds the row.
    It acts for the tenant as the system, not as a person."""

    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scim_token"

    def __str__(self) -> str:
        return f"SCIM token {self.prefix}"


class ScimProfile(TenantScopedModel):
    """What the identity provider said about a person that duecourse keeps no field for (name parts,
    display name, emails, employee number, time zone and locale as sent), and whether it deleted them.

    The person's own fields stay the truth for everything duecourse uses; this row only lets a SCIM read
    give back what the provider wrote. `derived_name` is the name the provider's values gave the person:
    when duecourse renamed them since, SCIM shows the person's name instead of the provider's parts.
    A SCIM DELETE deactivates the person and sets `deleted_at`: SCIM then answers 404 for them, while
    duecourse keeps the person and their history.
    """

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="scim_profile", db_constraint=False
    )
    attributes = models.JSONField(default=dict)
    derived_name = models.CharField(max_length=200, blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scim_profile"

    def __str__(self) -> str:
        return f"SCIM profile of {self.person_id}"
