from django.db import models

from duecourse.core.actors import MAX_ACTOR_LABEL_LENGTH

MAX_TENANT_NAME_LENGTH = 200


class Tenant(models.Model):
    """One customer organisation. Every other row belongs to exactly one tenant."""

    name = models.CharField(max_length=MAX_TENANT_NAME_LENGTH, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "tenant"

    def __str__(self) -> str:
        return self.name


class TenantScopedQuerySet(models.QuerySet):
    def of_tenant(self, tenant_id: int) -> "TenantScopedQuerySet":
        return self.filter(tenant_id=tenant_id)


class TenantScopedModel(models.Model):
    # No database-level foreign key to the tenant: every row's tenant comes from the authenticated actor,
    # tenants are never deleted under live rows (Django's CASCADE still applies in Python), and one
    # deferred check per inserted row was a third of a 100,000-person bulk assignment's time.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class HighVolumeTenantScopedModel(TenantScopedModel):
    """A big, write-heavy table: every index it needs starts with tenant_id, so none on tenant_id alone."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)

    class Meta:
        abstract = True


class AuditEvent(HighVolumeTenantScopedModel):
    """Append-only record of a change: who, what, when, before/after and why."""

    actor_id = models.BigIntegerField(null=True, blank=True)  # null: the system did it (no person)
    # Which system actor, when no person did it: "System", or e.g. "Rule: Onboarding".
    actor_label = models.CharField(max_length=MAX_ACTOR_LABEL_LENGTH, blank=True, default="", db_default="")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "audit_event"
        indexes = [models.Index(fields=["tenant", "object_type", "object_id"], name="audit_object_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"

    @property
    def by_system(self) -> bool:
        return self.actor_id is None
