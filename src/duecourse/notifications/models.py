from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duecourse.core.models import HighVolumeTenantScopedModel, TenantScopedModel
from duecourse.people.models import Person

KINDS = [
    ("assigned", _("New training assigned")),
    ("due_date_changed", _("Due date changed")),
    ("reminder", _("Reminder")),
    ("overdue", _("Overdue")),
    ("escalation", _("Overdue in your team")),
    ("withdrawn", _("Training withdrawn")),
    ("expiring", _("Certification expiring soon")),
    ("expired", _("Certification expired")),
    ("recurrence", _("Training due again")),
    ("certificate_issued", _("Certificate issued")),
    ("certificate_invalidated", _("Certificate no longer valid")),
]
# Email preference categories: each kind belongs to one, so people can turn email off per category.
CATEGORY_OF_KIND = {
    "assigned": "assigned",
    "recurrence": "assigned",
    "reminder": "reminders",
    "overdue": "reminders",
    "escalation": "reminders",
    "expiring": "reminders",
    "expired": "reminders",
    "due_date_changed": "changes",
    "withdrawn": "changes",
    "certificate_issued": "certificates",
    "certificate_invalidated": "certificates",
}
CATEGORIES = ("assigned", "reminders", "changes", "certificates")

EMAIL_PENDING, EMAIL_SENT, EMAIL_SKIPPED = "pending", "queued", "skipped"


class Notification(HighVolumeTenantScopedModel):
    """One in-app inbox entry for one recipient. Text is rendered when shown, from kind and assignment."""

    # The inbox index (tenant, person, created_at) serves look-ups by person; people and assignments are
    # never deleted (deactivated, withdrawn) and notifications are never looked up by assignment or
    # subject, so these keys carry no index or database-level check of their own: each cost a write or a
    # check per row in every big fan-out. Django's CASCADE still applies when a test or tenant deletes.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="notifications", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=30, choices=KINDS)
    assignment = models.ForeignKey(
        "assignments.Assignment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    about = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    data = models.JSONField(default=dict, blank=True)
    template = models.CharField(max_length=100, blank=True, default="")
    dedup_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=10, default=EMAIL_PENDING)
    operation_id = models.BigIntegerField(null=True, blank=True)
    # The outbox email this notification went into (its dedup key); set by composing, read by delivery.
    email_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        db_table = "notification"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedup_key"], condition=Q(dedup_key__isnull=False), name="notification_dedup"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "person", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["tenant", "email_key"], condition=Q(email_key__isnull=False), name="notification_email_key_idx"
            ),
            models.Index(
                fields=["email_state", "created_at"],
                condition=Q(email_state="pending"),
                name="notification_email_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}"


class NotificationPreference(TenantScopedModel):
    """Email per category; turning email off never turns the obligation (or the inbox) off."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="notification_preference")
    email_assigned = models.BooleanField(default=True)
    email_reminders = models.BooleanField(default=True)
    email_changes = models.BooleanField(default=True)
    email_certificates = models.BooleanField(default=True)
    manager_daily_digest = models.BooleanField(default=False)
    last_digest_on = models.DateField(null=True, blank=True)
    # One email each Monday listing the person's open items overdue or due within two weeks (`weekly_digest`).
    weekly_digest = models.BooleanField(default=False)
    # The Monday (the person's own) of the last week whose digest was claimed: the once-a-week guard.
    last_weekly_digest_on = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "notification_preference"

    def __str__(self) -> str:
        return f"preferences of {self.person_id}"


class MessageTemplate(TenantScopedModel):
    """A tenant's email template (Django template language): either a custom one, by name (a reminder
    rule names it; "message" rewords every email), or the one for a kind of email in a language
    (`template_kinds`; language "" is every language without its own)."""

    name = models.CharField(max_length=100, blank=True, default="")
    kind = models.CharField(max_length=30, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "message_template"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], condition=Q(kind=""), name="message_template_unique_name"
            ),
            models.UniqueConstraint(
                fields=["tenant", "kind", "language"], condition=~Q(kind=""), name="message_template_unique_kind"
            ),
            models.CheckConstraint(
                condition=(Q(kind="") & ~Q(name="")) | (~Q(kind="") & Q(name="")),
                name="message_template_named_or_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.kind} ({self.language or 'every language'})"


class OutboxMessage(TenantScopedModel):
    """One email, written in the transaction that caused it and delivered by the worker with retries."""

    PENDING, SENT, HELD, FAILED = "pending", "sent", "held", "failed"
    STATES = [(PENDING, _("Pending")), (SENT, _("Sent")), (HELD, _("Held (template error)")), (FAILED, _("Failed"))]

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    dedup_key = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # Composed set-based by the tick; the words are rendered once, by the first delivery attempt.
    rendered = models.BooleanField(default=True)
    template = models.CharField(max_length=100, blank=True, default="")
    # Files the email carries, by reference ([{"kind": "certificate", "id": 7}]), produced at delivery
    # (`attachments.resolve_attachments`); a file that cannot be produced holds the email. None: no files.
    attachments = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "outbox"
        constraints = [models.UniqueConstraint(fields=["tenant", "dedup_key"], name="outbox_dedup")]
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"


class ReminderSchedule(HighVolumeTenantScopedModel):
    """One planned send: exactly once per assignment, cycle, rule, recipient kind and due date."""

    # The unique key below starts with assignment_id; assignments are never deleted.
    assignment = models.ForeignKey(
        "assignments.Assignment", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    cycle = models.PositiveIntegerField()
    rule_key = models.CharField(max_length=40)
    recipient_kind = models.CharField(max_length=12)
    kind = models.CharField(max_length=30, default="reminder")
    template = models.CharField(max_length=100, blank=True, default="")
    due_date = models.DateField()
    remind_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False)

    class Meta:
        db_table = "reminder_schedule"
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "cycle", "rule_key", "recipient_kind", "due_date"], name="reminder_once"
            )
        ]
        indexes = [
            models.Index(fields=["remind_at"], condition=Q(sent_at__isnull=True), name="reminder_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_key} {self.recipient_kind} for {self.assignment_id} at {self.remind_at}"


class ReminderPlanBacklog(TenantScopedModel):
    """A big operation whose inbox rows and reminders the worker writes after it commits
    (`events.fan_out_backlog`): the operation's entry in the transactional outbox.

    Both write a row per assignment (and reminder rule); for 100,000 new assignments that more than
    doubled the time of the request, so operations above `reminders.PLAN_INLINE_LIMIT` leave this
    one row in their transaction instead.
    """

    operation_id = models.BigIntegerField()
    planned_as_of = models.DateTimeField(help_text="the operation's time: sends after it are planned")

    class Meta:
        db_table = "reminder_plan_backlog"
        constraints = [models.UniqueConstraint(fields=["tenant", "operation_id"], name="reminder_plan_backlog_once")]

    def __str__(self) -> str:
        return f"plan reminders of operation {self.operation_id}"
