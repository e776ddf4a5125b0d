from django.db import models
from django.db.models import Q

from duecourse.assignments.models import AssignmentRule
from duecourse.certificates.domain import InvalidReason
from duecourse.core.models import TenantScopedModel
from duecourse.people.models import Person


class Certificate(TenantScopedModel):
    """A certificate of completion of a training configuration (an assignment rule) for one person.

    Never deleted and never made valid again: when it stops being valid it records when and why, and
    catching up issues a new certificate (new number, new code), so the history stays whole. Status is
    derived (`domain.is_valid`): valid while not invalidated and `valid_until` is ahead.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    rule = models.ForeignKey(AssignmentRule, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    number = models.CharField(max_length=40)
    code = models.CharField(max_length=64, unique=True)
    # The configuration's name when it was issued (a certificate states what it was issued for).
    title = models.CharField(max_length=300)
    issued_at = models.DateTimeField()
    # The earliest expiry among the required items' completions; None: nothing it lists expires.
    valid_until = models.DateTimeField(null=True, blank=True)
    # [{"target": {"type", "id", "title"}, "completed_at"}] for each required item, as held at issue.
    items = models.JSONField(default=list)
    # The same items as a string for SQL ("|course:3|path:7|"): `domain.requirements_key`.
    requirements = models.TextField(blank=True, default="")
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalid_reason = models.CharField(max_length=30, choices=InvalidReason.choices, null=True, blank=True)
    revoke_reason = models.TextField(blank=True, default="")
    revoked_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    # Why its PDF could not be rendered (its email is held meanwhile); admins see it on the list.
    pdf_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "certificate"
        constraints = [
            # At most one certificate per person and configuration that is not invalidated: concurrent
            # issuers cannot both issue (the second's insert is ignored).
            models.UniqueConstraint(
                fields=["tenant", "person", "rule"],
                condition=Q(invalidated_at__isnull=True),
                name="certificate_one_live_per_rule",
            ),
            models.UniqueConstraint(fields=["tenant", "number"], name="certificate_number_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "rule", "invalidated_at"], name="certificate_rule_idx"),
            models.Index(fields=["tenant", "person", "-issued_at"], name="certificate_person_idx"),
            models.Index(
                fields=["valid_until"], condition=Q(invalidated_at__isnull=True), name="certificate_expiry_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CertificateCounter(TenantScopedModel):
    """A tenant's running certificate count: numbers are reserved under this row's lock."""

    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "certificate_counter"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="certificate_counter_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.last}"


class CertificateBacklog(TenantScopedModel):
    """A configuration with more people to issue certificates to than an event issues at once: the worker
    issues them in batches (`sweeps.certificates_sweep`) and removes the row when none is left.
    `queued_at` lets the configuration's page show progress ("N issued, M to go")."""

    rule = models.OneToOneField(AssignmentRule, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    queued_at = models.DateTimeField()

    class Meta:
        db_table = "certificate_backlog"

    def __str__(self) -> str:
        return f"issue certificates of rule {self.rule_id}"


class TenantLogo(TenantScopedModel):
    """The image printed at the top of a tenant's certificates (PNG, re-encoded on upload)."""

    image = models.BinaryField()
    content_type = models.CharField(max_length=40, default="image/png")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    class Meta:
        db_table = "tenant_logo"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="tenant_logo_one_per_tenant")]

    def __str__(self) -> str:
        return f"logo of {self.tenant_id}"


class VerifyRateBucket(models.Model):
    """How many times one client (`core.clients.throttle_key`) opened the public verification page in
    one minute, shared by every web process (`throttle.count_verify_request`); old minutes are pruned
    by the hourly repair."""

    client = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "verify_rate_bucket"
        constraints = [models.UniqueConstraint(fields=["client", "window_start"], name="verify_rate_bucket_unique")]
        indexes = [models.Index(fields=["window_start"], name="verify_rate_bucket_window_idx")]

    def __str__(self) -> str:
        return f"{self.client} @ {self.window_start:%H:%M}: {self.hits}"
