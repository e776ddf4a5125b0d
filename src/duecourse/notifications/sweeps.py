"""What the clock does to notifications: due reminders into the inbox (expiry notices follow the
assignments' own sweeps, `assignments.sweeps.assignments_recertify` and `assignments_pass_expiries`).

The scheduler calls these and writes no notification row itself. Each is set-based (INSERT … SELECT
with a unique dedup key, so a repeated or concurrent run writes nothing twice).
"""

import datetime as dt

from django.db import transaction
from django.db.models import BigIntegerField, Case, CharField, DateTimeField, F, JSONField, Q, Value, When
from django.db.models.functions import Cast, Concat

from duecourse.assignments.selectors import overdue_applies_filter, status_filter
from duecourse.assignments.status import AssignmentStatus
from duecourse.core.sql import insert_select_ignore_conflicts, skip_locked
from duecourse.notifications.models import EMAIL_PENDING, Notification, ReminderSchedule
from duecourse.notifications.services import NOTIFICATION_COLUMNS
from duecourse.people import roles
from duecourse.people.models import Person

REMINDER_BATCH = 5000
AFTER_DUE_KINDS = ("overdue", "escalation")  # sent only for items that can be overdue (required ones)
# A "due in N days" reminder that comes due only after the item's due moment (the worker was down, or the
# due date was reached while it waited) would tell the person something false; the overdue notice says it.
BEFORE_DUE_KINDS = ("reminder",)
# Whom a reminder row names, by its recipient kind ("hr" goes to every HR contact of the tenant).
RECIPIENT_PERSON = {
    "learner": "assignment__person_id",
    "manager": "assignment__person__manager_id",
    "assigner": "assignment__assigned_by_id",
}


def reminders_send_due(*, now: dt.datetime, batch: int = REMINDER_BATCH) -> int:
    """Turn due reminder rows into inbox notifications and mark them sent, in one transaction per batch."""
    sent = 0
    while True:
        with transaction.atomic():
            claimed = list(
                skip_locked(ReminderSchedule.objects.filter(sent_at__isnull=True, remind_at__lte=now))
                .order_by("remind_at")
                .values_list("pk", "recipient_kind")[:batch]
            )
            if not claimed:
                return sent
            rows = ReminderSchedule.objects.filter(pk__in=[pk for pk, _ in claimed])
            # Still relevant: open, not done, not hidden, not exempt now, same cycle and due date as planned
            # (else skipped); an overdue reminder or escalation only while the item can be overdue (required).
            live = (
                rows.exclude(assignment__visibility="hidden")
                .filter(
                    assignment__withdrawn_at__isnull=True,
                    assignment__completed_at__isnull=True,
                    assignment__cycle=F("cycle"),
                    assignment__due_date=F("due_date"),
                )
                .exclude(status_filter(AssignmentStatus.EXEMPT, now, prefix="assignment__"))
                .exclude(Q(kind__in=AFTER_DUE_KINDS) & ~overdue_applies_filter(prefix="assignment__"))
                .exclude(kind__in=BEFORE_DUE_KINDS, assignment__due_at__lte=now)
            )
            # Learner, manager and assigner rows in one statement: the recipient is picked per row.
            recipient = Case(
                *(When(recipient_kind=kind, then=F(path)) for kind, path in RECIPIENT_PERSON.items()),
                output_field=BigIntegerField(),
            )
            sent += _notify_from_schedule(
                live.filter(recipient_kind__in=list(RECIPIENT_PERSON))
                .annotate(recipient=recipient)
                .filter(recipient__isnull=False),
                "recipient",
                now,
            )
            if any(kind == "hr" for _, kind in claimed):
                hr_people = Person.objects.filter(roles.holders_condition("hr"))
                for hr in hr_people.filter(tenant_id__in=live.filter(recipient_kind="hr").values("tenant_id")).values(
                    "pk", "tenant_id"
                ):
                    sent += _notify_from_schedule(
                        live.filter(recipient_kind="hr", tenant_id=hr["tenant_id"]),
                        Value(hr["pk"], output_field=BigIntegerField()),
                        now,
                    )
            rows.update(
                sent_at=now,
                skipped=Case(When(pk__in=live.values("pk"), then=Value(False)), default=Value(True)),
            )


def _notify_from_schedule(rows, recipient, now: dt.datetime) -> int:
    """INSERT … SELECT one notification per schedule row for the recipient (a field path or an expression)."""
    recipient_expr = F(recipient) if isinstance(recipient, str) else recipient
    dedup = Concat(
        Value("reminder:"),
        Cast("pk", CharField()),
        Value(":"),
        Cast(recipient_expr, CharField()),
        output_field=CharField(),
    )
    select = rows.values_list(
        "tenant_id",
        recipient_expr,
        "kind",
        "assignment_id",
        "assignment__person_id",
        Value({}, output_field=JSONField()),
        "template",
        dedup,
        Value(now, output_field=DateTimeField()),
        Value(EMAIL_PENDING, output_field=CharField()),
        Cast(Value(None), BigIntegerField()),
    )
    return insert_select_ignore_conflicts(Notification._meta.db_table, NOTIFICATION_COLUMNS, select)
