"""True compliance history: one row per tenant, day, dimension and key, written once a day by the worker."""

from django.db import models

from duecourse.core.models import HighVolumeTenantScopedModel, TenantScopedModel


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


class ComplianceTally(HighVolumeTenantScopedModel):
    """The live compliance figures, maintained on PostgreSQL by triggers on `assignment` and `person`
    (`reports.tally`): append-only deltas per department, site, region and target. Summing the rows whose
    `at` is at or before now gives the figures at now: a row at `-infinity` is what counts from the start,
    a row at an instant is the change at that instant (a due date passing, a completion expiring, an
    exemption ending). The worker folds the rows of the past into `-infinity` rows."""

    department_id = models.BigIntegerField(null=True)
    site_id = models.BigIntegerField(null=True)
    region_id = models.BigIntegerField(null=True)
    target_type = models.CharField(max_length=10)
    target_id = models.BigIntegerField()
    at = models.DateTimeField()
    assigned = models.IntegerField()
    required_due = models.IntegerField()
    completed = models.IntegerField()
    exempt = models.IntegerField()

    class Meta:
        db_table = "compliance_tally"
        indexes = [models.Index(fields=["tenant", "at"], name="compliance_tally_at_idx")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.at}"


class ComplianceTallyFold(models.Model):
    """One row: the instant through which the tally's rows were folded; a reader whose now is earlier
    (a clock set back) computes live instead."""

    folded_through = models.DateTimeField()

    class Meta:
        db_table = "compliance_tally_fold"

    def __str__(self) -> str:
        return str(self.folded_through)


class OverdueTally(HighVolumeTenantScopedModel):
    """How many assignments that may be overdue have each department and set of timed facts (`reports.
    overdue_tally`): append-only +/- rows written by PostgreSQL triggers on `assignment` and `person`, folded by
    the worker. The timed columns are those the status rule's overdue conditions compare with now."""

    department_id = models.BigIntegerField(null=True)
    due_at = models.DateTimeField(null=True)  # NULL: no due date, never overdue
    exempt_at = models.DateTimeField(null=True)  # NULL, or -infinity for "granted" (only its presence matters)
    exempt_ends_at = models.DateTimeField(null=True)
    items = models.IntegerField()

    class Meta:
        db_table = "overdue_tally"
        indexes = [models.Index(fields=["tenant", "due_at"], name="overdue_tally_due_at_idx")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.due_at} {self.items}"


class AtRiskCount(TenantScopedModel):
    """How many open required items of a tenant the forecast says will not be done in time, as the worker last
    counted them (`reports.at_risk`): the overview and the dashboard read it instead of running the forecast
    over every open item on each view."""

    items = models.PositiveIntegerField()
    counted_at = models.DateTimeField()

    class Meta:
        db_table = "at_risk_count"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="at_risk_count_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.items} at {self.counted_at}"
