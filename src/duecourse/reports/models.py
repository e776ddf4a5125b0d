"""True compliance history: one row per tenant, day, dimension and key, written once a day by the worker."""

from django.db import models

from duecourse.core.models import TenantScopedModel


class ComplianceSnapshotDay(TenantScopedModel):
    """That a tenant's snapshot of `day` is written (or being written): its unique key is the claim that
    keeps two workers from writing the same day, and the worker's "is today's snapshot due?" check."""

    day = models.DateField()
    taken_at = models.DateTimeField()

    class Meta:
        db_table = "compliance_snapshot_day"
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="compliance_snapshot_day_unique")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day}"


class ComplianceSnapshot(TenantScopedModel):
    """The compliance figures of one key of one dimension as they were on `day` (`selectors.compliance_rows`).

    `key_id` is the department, site, region, group, rule or course id, 0 for "(none)"; `key` its name that day."""

    day = models.DateField()
    dimension = models.CharField(max_length=12)
    key_id = models.BigIntegerField()
    key = models.CharField(max_length=300)
    required_due = models.PositiveIntegerField()
    completed = models.PositiveIntegerField()
    exempt = models.PositiveIntegerField()

    class Meta:
        db_table = "compliance_snapshot"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dimension", "day", "key_id"], name="compliance_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key}"
