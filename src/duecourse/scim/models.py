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
