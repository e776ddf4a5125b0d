from django.db import models
from django.db.models import F, Q

from duecourse.assignments import forecast
from duecourse.assignments.priorities import DEFAULT_PRIORITY, Priority
from duecourse.core import clock
from duecourse.core.models import HighVolumeTenantScopedModel, TenantScopedModel
from duecourse.people.models import Person

TARGET_TYPES = [("course", "Course"), ("path", "Learning path"), ("skill", "Skill")]
VISIBILITIES = [("required", "Required"), ("optional", "Optional"), ("hidden", "Hidden")]
SOURCE_KINDS = [
    ("individual", "Individual"),
    ("group", "Group"),
    ("org_unit", "Department, site or region"),
    ("everyone", "Everyone"),
    ("new_starter", "New starter"),
    ("rule", "Assignment rule"),
]


class AssignmentOperation(TenantScopedModel):
    """One assigning action (a single assignment, a bulk call, a rule reconcile): groups what it created."""

    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20)
    params = models.JSONField(default=dict)
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "assignment_operation"

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


# An open assignment whose current expiry has not been handled yet (`expiry_passed` is not it): the
# condition of the partial index the expiry sweep reads, so the sweep must filter with this very Q.
EXPIRY_PENDING = Q(withdrawn_at__isnull=True, expires_at__isnull=False) & (
    Q(expiry_passed__isnull=True) | ~Q(expiry_passed=F("expires_at"))
)


class Assignment(HighVolumeTenantScopedModel):
    """This person must (or may) complete this target. Status is derived from the facts below."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignments")
    target_type = models.CharField(max_length=10, choices=TARGET_TYPES)
    target_id = models.BigIntegerField()
    priority = models.CharField(max_length=10, choices=Priority.choices, default=DEFAULT_PRIORITY)
    due_date = models.DateField(null=True, blank=True)
    # The instant the due date ends in the person's time zone: "overdue" is `due_at <= now`.
    due_at = models.DateTimeField(null=True, blank=True)
    due_date_manual = models.BooleanField(default=False)
    # Priority, note or reminders set by hand by learning staff: sources joining or leaving no longer
    # recompute them (as due_date_manual keeps a hand-set due date).
    terms_manual = models.BooleanField(default=False, db_default=False)
    due_explanation = models.CharField(max_length=300, blank=True, default="")
    note = models.TextField(blank=True, default="")
    reason = models.TextField(blank=True, default="")
    visibility = models.CharField(max_length=10, choices=VISIBILITIES, default="required")
    validity_months = models.PositiveIntegerField(null=True, blank=True)
    recurrence_weeks = models.PositiveIntegerField(null=True, blank=True)
    cycle = models.PositiveIntegerField(default=1)
    progress = models.PositiveSmallIntegerField(default=0)
    estimated_minutes = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the completion's validity runs out. A recertification re-opens the assignment (completed_at
    # cleared) keeping the previous completion's expiry here, so it counts as held until then.
    expires_at = models.DateTimeField(null=True, blank=True)
    # The `expires_at` whose passing has been handled (`sweeps.assignments_pass_expiries` told listeners
    # once); unequal to `expires_at` while that expiry is still ahead or not yet handled.
    expiry_passed = models.DateTimeField(null=True, blank=True)
    # When the current cycle opened: a retake, a recurrence or a recertification sets it; None means the
    # first cycle, which opened at `assigned_at` ("stalled" counts from here).
    cycle_opened_at = models.DateTimeField(null=True, blank=True)
    # A recurring cycle counts only completions after the one that closed the previous cycle.
    completions_after = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, default="")
    compliance_flag = models.BooleanField(default=False)
    # The last reminder sent by hand ("Send reminder now"): another waits until 24 hours after it. The
    # rolling window is enforced by the conditional UPDATE that sets it (`manual_reminders.reminders_claim`).
    reminded_at = models.DateTimeField(null=True, blank=True)
    # An exemption (admins, instructors): "exempt" while granted and not run out. `exempt_until` is the
    # last exempt day (None: open-ended); `exempt_ends_at` the instant it ends in the person's zone.
    exempt_at = models.DateTimeField(null=True, blank=True)
    exempt_until = models.DateField(null=True, blank=True)
    exempt_ends_at = models.DateTimeField(null=True, blank=True)
    exempt_reason = models.TextField(blank=True, default="", db_default="")  # db_default: set-based INSERTs omit it
    exempt_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False, db_index=False
    )
    reminder_plan = models.JSONField(null=True, blank=True)
    # The forecast's facts, kept by progress intake (`progress.sync_assignments`) for the cycle
    # `forecast_cycle`; for any other cycle they do not count (not started, the whole estimate left).
    # `forecast.py` is the rule, `selectors.at_risk_filter` its SQL form.
    forecast_cycle = models.PositiveIntegerField(null=True, blank=True)
    remaining_minutes = models.PositiveIntegerField(null=True, blank=True)  # estimates of courses not done
    trend_pace = models.FloatField(null=True, blank=True)  # percent per day; None: no trend (not started)
    projected_finish = models.DateField(null=True, blank=True)  # in the person's zone; date.max: no gain
    progress_at = models.DateTimeField(null=True, blank=True)  # the trend's latest sample
    assigned_at = models.DateTimeField()
    # Derived, never stored: `selectors.with_status` annotates the rows that show it (the one status rule).
    status: str
    # Derived, never stored: `selectors.with_escalation` annotates the tier of the escalation policy reached.
    escalation_tier: int
    # Derived, never stored: `selectors.with_forecast` annotates the decision (and what its reason reads).
    at_risk: bool
    forecast_per_day: int
    forecast_timezone: str
    # Who and which operation: looked up from here, never the other way round, so no index or
    # database-level check of their own (a check per row at COMMIT is what big fan-outs paid for).
    assigned_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False, db_index=False
    )
    operation = models.ForeignKey(
        AssignmentOperation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        db_table = "assignment"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "person", "target_type", "target_id"],
                condition=Q(withdrawn_at__isnull=True),
                name="assignment_one_open_per_target",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="assignment_progress_percent"),
        ]
        indexes = [
            models.Index(fields=["tenant", "person", "withdrawn_at"], name="assignment_person_idx"),
            models.Index(fields=["tenant", "target_type", "target_id"], name="assignment_target_idx"),
            # `id` last: the Mandatory tasks list pages by (due_at, id) straight from the index, ties and all.
            models.Index(fields=["tenant", "due_at", "id"], name="assignment_due_at_id_idx"),
            models.Index(fields=["operation"], name="assignment_operation_idx"),
            models.Index(
                fields=["tenant", "expires_at"],
                condition=Q(completed_at__isnull=False, withdrawn_at__isnull=True),
                name="assignment_expiry_idx",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(recurrence_weeks__isnull=False, completed_at__isnull=False, withdrawn_at__isnull=True),
                name="assignment_recurrence_idx",
            ),
            models.Index(fields=["expires_at"], condition=EXPIRY_PENDING, name="assignment_expiry_pending_idx"),
            # The list's compliance_flag=true filter: few flagged items among a tenant's many.
            models.Index(fields=["tenant", "due_at"], condition=Q(compliance_flag=True), name="assignment_flagged_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.target_type}:{self.target_id}"

    @property
    def forecast(self) -> forecast.Forecast:
        """The forecast in words, for a row `selectors.with_forecast` annotated (not at risk otherwise)."""
        if not getattr(self, "at_risk", False):
            return forecast.NOT_AT_RISK
        now = clock.now()
        today = forecast.local_today(now, self.forecast_timezone)
        return forecast.assess_stored(self, per_day=self.forecast_per_day, today=today, now=now)

    @property
    def risk_reason(self) -> str | None:
        return self.forecast.reason


class ProgressSample(HighVolumeTenantScopedModel):
    """Progress history: an assignment's percent when intake changed it, per cycle (the forecast's trend).

    The first sample of a cycle (`opening`) is the percent the cycle opened at, written with its first
    report; intake prunes closed cycles' samples and intermediate ones older than `HISTORY_DAYS`."""

    assignment = models.ForeignKey(
        "Assignment", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    cycle = models.PositiveIntegerField()
    at = models.DateTimeField()
    percent = models.PositiveSmallIntegerField()
    opening = models.BooleanField(default=False)

    class Meta:
        db_table = "assignment_progress_sample"
        indexes = [models.Index(fields=["assignment", "cycle", "at"], name="progress_sample_idx")]

    def __str__(self) -> str:
        return f"{self.assignment_id}#{self.cycle} {self.percent}% at {self.at:%Y-%m-%d}"


class AssignmentSource(HighVolumeTenantScopedModel):
    """Why an assignment exists: each individual, group, org unit, rule… that holds it."""

    # Assignments are never deleted (withdrawn instead); the unique key below starts with assignment_id.
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="sources", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=20, choices=SOURCE_KINDS)
    ref_id = models.BigIntegerField(default=0, help_text="group, org unit, rule or assigning person; 0 for none")
    label = models.CharField(max_length=300)
    assigned_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False, db_index=False
    )
    rule_id = models.BigIntegerField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    due_rule = models.CharField(max_length=100, blank=True, default="")
    # What this source asks for; the assignment's own fields are `domain.effective_terms` of all its sources.
    priority = models.CharField(max_length=10, choices=Priority.choices, default=DEFAULT_PRIORITY)
    reminder_plan = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "assignment_source"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind", "ref_id"], name="assignment_source_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "kind", "ref_id"], name="assignment_source_ref_idx")]

    def __str__(self) -> str:
        return self.label


class Completion(TenantScopedModel):
    """Evidence that a person completed a course. Append-only: never updated or deleted."""

    ORIGINS = [("api", "API"), ("xapi", "xAPI"), ("import", "Import"), ("manual", "Manual")]

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField()
    score = models.FloatField(null=True, blank=True)
    origin = models.CharField(max_length=10, choices=ORIGINS)
    statement_id = models.CharField(max_length=64, blank=True, default="")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "completion"
        indexes = [models.Index(fields=["tenant", "person", "course"], name="completion_person_course_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} completed {self.course_id} at {self.completed_at:%Y-%m-%d}"


class CourseProgress(TenantScopedModel):
    """The latest percent reported for a person and course."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    percent = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "course_progress"
        constraints = [models.UniqueConstraint(fields=["person", "course"], name="course_progress_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.course_id} {self.percent}%"


class XapiStatement(TenantScopedModel):
    """Each xAPI statement id is stored once per tenant (a resend is a no-op)."""

    statement_id = models.UUIDField()
    stored_at = models.DateTimeField()
    verb = models.CharField(max_length=300)
    person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    course = models.ForeignKey("catalog.Course", null=True, on_delete=models.SET_NULL, related_name="+")
    raw = models.JSONField()

    class Meta:
        db_table = "xapi_statement"
        constraints = [models.UniqueConstraint(fields=["tenant", "statement_id"], name="xapi_statement_unique")]

    def __str__(self) -> str:
        return str(self.statement_id)


# A rule that is not deleted: active or paused (what the web lists, and what keeps its groups from being deleted).
LIVE_RULE = Q(deleted_at__isnull=True)


class AssignmentRule(TenantScopedModel):
    """A named, living rule: audience × items × timing; applied on save and kept current."""

    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    audience = models.JSONField(default=dict)
    due_in_days = models.PositiveIntegerField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    due_from = models.CharField(max_length=12, default="assignment")
    recurrence_weeks = models.PositiveIntegerField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=DEFAULT_PRIORITY)
    note = models.TextField(blank=True, default="")
    reminders = models.JSONField(null=True, blank=True)
    certificate = models.BooleanField(default=False)
    # Days before a completion expires that its assignment re-opens for recertification (None: the tenant's).
    recert_window_days = models.PositiveIntegerField(null=True, blank=True)
    # Deleting keeps the row (history, certificates, audit) and hides it from lists; `active` False alone is "paused".
    deleted_at = models.DateTimeField(null=True, blank=True)
    new_starters_since = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "assignment_rule"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RuleItem(TenantScopedModel):
    rule = models.ForeignKey(AssignmentRule, on_delete=models.CASCADE, related_name="items")
    target_type = models.CharField(max_length=10, choices=TARGET_TYPES)
    target_id = models.BigIntegerField()
    visibility = models.CharField(max_length=10, choices=VISIBILITIES, default="required")
    validity_months = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "rule_item"
        constraints = [
            models.UniqueConstraint(fields=["rule", "target_type", "target_id"], name="rule_item_unique_target")
        ]
        ordering = ["rule_id", "position"]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.target_type}:{self.target_id}"


class CalendarFeed(TenantScopedModel):
    """A person's calendar feed (`assignments.calendar_feed`): the nonce its secret URL is made from (with
    the install's SECRET_KEY); a reset replaces it and every copy of the old URL stops working."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    reset_at = models.DateTimeField()

    class Meta:
        db_table = "calendar_feed"

    def __str__(self) -> str:
        return f"calendar feed of {self.person_id}"
