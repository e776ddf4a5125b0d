"""Planning reminder sends: one `reminder_schedule` row per assignment, cycle, rule, recipient and due date.

Rows are (re)written set-based whenever assignments are created or their due date, cycle or plan
changes; the worker's tick only reads `remind_at <= now AND sent_at IS NULL` through an index.
A reminder falls at local midnight starting its day, in the recipient's time zone.
"""

import datetime as dt
import json
import logging

from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value

from duecourse.assignments.domain import DEFAULT_REMINDER_PLAN, validate_reminder_plan
from duecourse.assignments.selectors import overdue_applies_filter
from duecourse.core.models import Tenant
from duecourse.core.sql import AddDays, LocalDayEnd, insert_select_ignore_conflicts
from duecourse.notifications.models import ReminderPlanBacklog, ReminderSchedule

RECIPIENT_TIMEZONE = {
    "learner": "person__timezone",
    "manager": "person__manager__timezone",
    "assigner": "assigned_by__timezone",
    "hr": "person__timezone",
}
logger = logging.getLogger(__name__)
RECIPIENT_REQUIRED = {"manager": "person__manager__isnull", "assigner": "assigned_by__isnull"}
ESCALATION_WINDOW_DAYS = 7
# Operations creating more assignments than this get their inbox rows and reminders in the worker's next tick.
PLAN_INLINE_LIMIT = 1000
PLAN_KINDS = ("reminder", "overdue")  # rows a reminder plan owns; escalation rows belong to the tenant's tiers
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
    return default_plan_in(settings, tenant_id=tenant_id)


def default_plan_in(settings: dict, *, tenant_id: int) -> list[dict]:
    """The standard plan in a tenant's settings; one stored by other means than the settings API and
    malformed is ignored (logged) in favour of the built-in one, so it can never stop planning."""
    plan = settings.get("default_reminder_plan")
    if plan is None:
        return DEFAULT_REMINDER_PLAN
    try:
        clean = validate_reminder_plan(plan)
    except ValueError as error:
        logger.warning("Tenant %s has a malformed default reminder plan (%s); using the standard one", tenant_id, error)
        return DEFAULT_REMINDER_PLAN
    return DEFAULT_REMINDER_PLAN if clean is None else clean


def reminder_due_at_expression(days_before: int, timezone_field: str) -> LocalDayEnd:
    """`assignments.domain.reminder_due_at` over each row's due date, in SQL; a test holds the two together."""
    return LocalDayEnd(AddDays(F("due_date"), Value(-days_before - 1)), F(timezone_field))


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
    """Drop unsent rows for old dates, cycles or rules and plan the current ones (only sends still ahead).

    Unsent rows that are still right stay as they are, even when already due: a tick that runs late
    still sends them, and re-planning never sends a key twice (the unique key ignores the conflict).
    """
    pending = ReminderSchedule.objects.filter(
        tenant_id=tenant_id, assignment_id__in=assignments.values("pk"), sent_at__isnull=True
    )
    pending.exclude(cycle=F("assignment__cycle"), due_date=F("assignment__due_date")).delete()
    # Optional and hidden items never become overdue: no reminder after their due date (nor the overdue notice).
    pending.filter(kind="overdue").exclude(overdue_applies_filter(prefix="assignment__")).delete()
    scope = assignments.filter(
        tenant_id=tenant_id, withdrawn_at__isnull=True, completed_at__isnull=True, due_date__isnull=False
    )
    overdue_scope = scope.filter(overdue_applies_filter())
    planned = 0
    plans = {_plan_key(p): p for p in scope.order_by().values_list("reminder_plan", flat=True).distinct()}
    for plan in plans.values():
        subset = scope.filter(reminder_plan__isnull=True) if plan is None else scope.filter(reminder_plan=plan)
        rules = [
            (f"r{index}:{int(rule['days'])}", int(rule["days"]), recipient, rule.get("template") or "")
            for index, rule in enumerate(tenant_default_plan(tenant_id) if plan is None else plan)
            for recipient in rule.get("recipients") or ["learner"]
            if recipient in RECIPIENT_TIMEZONE
        ]
        # A changed plan (or template) replaces the unsent rows of rules it no longer has.
        current = Q(pk__in=[])
        for rule_key, _, recipient, template in rules:
            current |= Q(rule_key=rule_key, recipient_kind=recipient, template=template)
        pending.filter(assignment_id__in=subset.values("pk"), kind__in=PLAN_KINDS).exclude(rule_key="overdue").exclude(
            current
        ).delete()
        for rule_key, days, recipient, template in rules:
            remind_at = reminder_due_at_expression(days, RECIPIENT_TIMEZONE[recipient])
            planned += _insert_rows(
                subset if days >= 0 else subset.filter(overdue_applies_filter()),
                rule_key=rule_key,
                recipient=recipient,
                kind="reminder" if days >= 0 else "overdue",
                template=template,
                remind_at=remind_at,
                now=now,
            )
    # Everyone hears once when an item becomes overdue (at the end of its due date, their time).
    planned += _insert_rows(
        overdue_scope,
        rule_key="overdue",
        recipient="learner",
        kind="overdue",
        template="",
        remind_at=F("due_at"),
        now=now,
    )
    return planned


def plan_later(*, tenant_id: int, operation_id: int, now: dt.datetime) -> None:
    """Leave a big operation's inbox rows and reminder planning to the worker (in the operation's
    transaction; `events.fan_out_backlog` does the work)."""
    ReminderPlanBacklog.objects.get_or_create(
        tenant_id=tenant_id, operation_id=operation_id, defaults={"planned_as_of": now}
    )


def _plan_key(plan) -> str:
    return json.dumps(plan, sort_keys=True)


def escalations_schedule(*, tenant_id: int, tiers: list[dict], overdue: QuerySet, now: dt.datetime) -> int:
    """Plan one nudge per tier for items now in that tier: from its `after_days` up to the next tier's.

    A tick that runs late still nudges the tier an item is in; the window is capped at a week so the
    statement stays small however long the overdue backlog is. `tiers` are clean and sorted.
    """
    planned = 0
    starts = [tier["after_days"] for tier in tiers]
    for tier in tiers:
        if not tier.get("to"):
            continue
        after = tier["after_days"]
        later = [start for start in starts if start > after]
        until = min([*later[:1], after + ESCALATION_WINDOW_DAYS])
        entering = overdue.filter(
            due_at__lte=now - dt.timedelta(days=after), due_at__gt=now - dt.timedelta(days=until)
        ).exclude(  # already nudged: an index look-up per row instead of an insert that conflicts
            Exists(
                ReminderSchedule.objects.filter(
                    assignment_id=OuterRef("pk"),
                    cycle=OuterRef("cycle"),
                    rule_key=f"esc:{after}",
                    recipient_kind=tier["to"],
                    due_date=OuterRef("due_date"),
                )
            )
        )
        planned += _insert_rows(
            entering,
            rule_key=f"esc:{after}",
            recipient=tier["to"],
            kind="escalation",
            template="",
            remind_at=Value(now, output_field=DateTimeField()),
            now=now - dt.timedelta(seconds=1),
        )
    return planned
