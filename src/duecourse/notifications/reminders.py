"""Planning reminder sends: one `reminder_schedule` row per assignment, cycle, rule, recipient and due date.

Rows are (re)written set-based whenever assignments are created or their due date, cycle or plan
changes; the worker's tick only reads `remind_at <= now AND sent_at IS NULL` through an index.
A reminder falls at local midnight starting its day, in the recipient's time zone.
"""

import datetime as dt

from django.db.models import CharField, DateTimeField, F, QuerySet, Value

from duecourse.assignments.domain import DEFAULT_REMINDER_PLAN
from duecourse.core.models import Tenant
from duecourse.core.sql import AddDays, LocalDayEnd, insert_select_ignore_conflicts
from duecourse.notifications.models import ReminderSchedule

RECIPIENT_TIMEZONE = {
    "learner": "person__timezone",
    "manager": "person__manager__timezone",
    "assigner": "assigned_by__timezone",
    "hr": "person__timezone",
}
RECIPIENT_REQUIRED = {"manager": "person__manager__isnull", "assigner": "assigned_by__isnull"}
COLUMNS = [
    "tenant_id",
    "assignment_id",
    "cycle",
    "rule_key",
    "recipient_kind",
    "kind",
    "template",
    "due_date",
    "remind_at",
    "skipped",
]


def tenant_default_plan(tenant_id: int) -> list[dict]:
    settings = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    plan = settings.get("default_reminder_plan")
    return plan if isinstance(plan, list) else DEFAULT_REMINDER_PLAN


def _insert_rows(scope: QuerySet, *, rule_key: str, recipient: str, kind: str, template: str, remind_at, now) -> int:
    rows = scope
    if recipient in RECIPIENT_REQUIRED:
        rows = rows.filter(**{RECIPIENT_REQUIRED[recipient]: False})
    rows = rows.annotate(planned_at=remind_at).filter(planned_at__gt=now)
    select = rows.values_list(
        "tenant_id",
        "pk",
        "cycle",
        Value(rule_key, output_field=CharField()),
        Value(recipient, output_field=CharField()),
        Value(kind, output_field=CharField()),
        Value(template, output_field=CharField()),
        "due_date",
        "planned_at",
        Value(False),
    )
    return insert_select_ignore_conflicts(ReminderSchedule._meta.db_table, COLUMNS, select)


def reminders_schedule(*, tenant_id: int, assignments: QuerySet, now: dt.datetime) -> int:
    """Drop unsent rows for old dates or cycles and plan the current ones (only sends still ahead)."""
    ReminderSchedule.objects.filter(
        tenant_id=tenant_id, assignment_id__in=assignments.values("pk"), sent_at__isnull=True
    ).exclude(cycle=F("assignment__cycle"), due_date=F("assignment__due_date")).delete()
    scope = assignments.filter(
        tenant_id=tenant_id, withdrawn_at__isnull=True, completed_at__isnull=True, due_date__isnull=False
    )
    planned = 0
    plans = {_plan_key(p): p for p in scope.order_by().values_list("reminder_plan", flat=True).distinct()}
    for plan in plans.values():
        subset = scope.filter(reminder_plan__isnull=True) if plan is None else scope.filter(reminder_plan=plan)
        rules = tenant_default_plan(tenant_id) if plan is None else plan
        for index, rule in enumerate(rules):
            days = int(rule["days"])
            for recipient in rule.get("recipients", ["learner"]):
                remind_at = LocalDayEnd(AddDays(F("due_date"), Value(-days - 1)), F(RECIPIENT_TIMEZONE[recipient]))
                planned += _insert_rows(
                    subset,
                    rule_key=f"r{index}:{days}",
                    recipient=recipient,
                    kind="reminder" if days >= 0 else "overdue",
                    template=rule.get("template", ""),
                    remind_at=remind_at,
                    now=now,
                )
    # Everyone hears once when an item becomes overdue (at the end of its due date, their time).
    planned += _insert_rows(
        scope, rule_key="overdue", recipient="learner", kind="overdue", template="", remind_at=F("due_at"), now=now
    )
    return planned


def _plan_key(plan) -> str:
    import json

    return json.dumps(plan, sort_keys=True)


def escalations_schedule(*, tenant_id: int, tiers: list[dict], overdue: QuerySet, now: dt.datetime) -> int:
    """Plan a one-time nudge as assignments enter each escalation tier (within a look-back window)."""
    planned = 0
    for index, tier in enumerate(tiers):
        recipient = tier.get("to")
        if recipient not in ("manager", "hr", "learner", "assigner"):
            continue
        after = int(tier.get("after_days", 0))
        entering = overdue.filter(
            due_at__lte=now - dt.timedelta(days=after), due_at__gt=now - dt.timedelta(days=after + 2)
        )
        planned += _insert_rows(
            entering,
            rule_key=f"esc{index}:{after}",
            recipient=recipient,
            kind="escalation",
            template="",
            remind_at=Value(now, output_field=DateTimeField()),
            now=now - dt.timedelta(seconds=1),
        )
    return planned
