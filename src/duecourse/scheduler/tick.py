"""One scheduler tick: escalation, compliance flags, expiry, recurrence, reminders, email.

Each step is its own transaction and idempotent, so a tick killed at any point leaves the database
consistent and the next tick picks up where it stopped. Several workers may run at once: rows are
claimed with SKIP LOCKED on PostgreSQL and every send has a unique key.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import BigIntegerField, Case, CharField, DateTimeField, F, JSONField, Q, Value, When
from django.db.models.functions import Cast, Concat

from duecourse.assignments.domain import RECIPIENTS
from duecourse.assignments.living_rules import rules_reconcile_all
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.core.models import Tenant
from duecourse.core.sql import AddDays, insert_select_ignore_conflicts, skip_locked
from duecourse.core.timezones import local_day_end
from duecourse.notifications.delivery import compose_emails, deliver_outbox
from duecourse.notifications.events import fan_out_backlog
from duecourse.notifications.models import EMAIL_PENDING, Notification, ReminderSchedule, SchedulerState
from duecourse.notifications.reminders import escalations_schedule, reminders_schedule
from duecourse.notifications.services import NOTIFICATION_COLUMNS, notify_assignments
from duecourse.people.models import Person

logger = logging.getLogger(__name__)
# Tenant policy in tenant.settings["escalation"]: [{"after_days": N, "to": recipient, "flag": bool}, ...]
DEFAULT_ESCALATION: list[dict] = [
    {"after_days": 0, "to": "manager", "flag": False},
    {"after_days": 8, "to": "hr", "flag": False},
    {"after_days": 15, "to": None, "flag": True},
]
ESCALATION_RECIPIENTS = RECIPIENTS  # the same people a reminder rule can name
EXPIRY_NOTICE_DAYS = 30
LOOKBACK = dt.timedelta(days=2)
RECONCILE_EVERY = dt.timedelta(hours=1)
# Escalation tiers are days wide, so sweeping the overdue window every few minutes (not every tick)
# loses nothing and keeps a tick with nothing due cheap at a million open assignments.
ESCALATE_EVERY = dt.timedelta(minutes=10)
PERIODIC_RETRY = dt.timedelta(minutes=1)  # a periodic job that failed runs again this much later
BATCH = 5000
# Whom a reminder row names, by its recipient kind ("hr" goes to every HR contact of the tenant).
RECIPIENT_PERSON = {
    "learner": "assignment__person_id",
    "manager": "assignment__person__manager_id",
    "assigner": "assignment__assigned_by_id",
}


@dataclass
class TickReport:
    steps: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _open_not_done(tenant_id: int):
    return Assignment.objects.filter(tenant_id=tenant_id, withdrawn_at__isnull=True, completed_at__isnull=True)


def escalation_tiers(settings: dict | None) -> list[dict]:
    """The tenant's escalation tiers, clean and sorted by `after_days`; malformed tiers are skipped (logged)."""
    raw = (settings or {}).get("escalation")
    if not isinstance(raw, list):
        return DEFAULT_ESCALATION
    tiers: list[dict] = []
    for tier in raw:
        after = tier.get("after_days") if isinstance(tier, dict) else None
        to = tier.get("to") if isinstance(tier, dict) else None
        if (
            isinstance(after, bool)
            or not isinstance(after, int)
            or not 0 <= after <= 365
            or to not in (None, *ESCALATION_RECIPIENTS)
        ):
            logger.warning("Skipping malformed escalation tier %r", tier)
            continue
        tiers.append({"after_days": after, "to": to, "flag": tier.get("flag") is True})
    return sorted(tiers, key=lambda t: t["after_days"])


def escalate(*, now: dt.datetime) -> int:
    """Plan tier nudges for items in each tier; raise the compliance flag at the flag tier."""
    planned = 0
    for tenant in Tenant.objects.only("pk", "settings"):
        tiers = escalation_tiers(tenant.settings)
        with transaction.atomic():
            overdue = _open_not_done(tenant.pk).filter(due_at__lte=now)
            planned += escalations_schedule(tenant_id=tenant.pk, tiers=tiers, overdue=overdue, now=now)
            flag_after = min((t["after_days"] for t in tiers if t["flag"]), default=None)
            if flag_after is not None:
                planned += overdue.filter(
                    due_at__lte=now - dt.timedelta(days=flag_after), compliance_flag=False
                ).update(compliance_flag=True)
    return planned


def expiry_notices(*, now: dt.datetime) -> int:
    """Tell people before a completion's validity runs out, and when it has (once per expiry date)."""
    written = 0
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        completed = Assignment.objects.filter(
            tenant_id=tenant_id, withdrawn_at__isnull=True, completed_at__isnull=False
        )
        with transaction.atomic():
            soon = now + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
            written += _notify_once(
                completed.filter(expires_at__lte=soon, expires_at__gt=max(now, soon - LOOKBACK)), "expiring", now
            )
            written += _notify_once(
                completed.filter(expires_at__lte=now, expires_at__gt=now - LOOKBACK), "expired", now
            )
    return written


def _notify_once(assignments, kind: str, now: dt.datetime) -> int:
    rows = assignments.exclude(visibility="hidden")
    dedup = Concat(
        Value(f"{kind}:"),
        Cast("pk", CharField()),
        Value(":"),
        Cast("cycle", CharField()),
        Value(":"),
        Cast("expires_at", CharField()),
        output_field=CharField(),
    )
    select = rows.values_list(
        "tenant_id",
        "person_id",
        Value(kind, output_field=CharField()),
        "pk",
        "person_id",
        Value({}, output_field=JSONField()),
        Value("", output_field=CharField()),
        dedup,
        Value(now, output_field=DateTimeField()),
        Value(EMAIL_PENDING, output_field=CharField()),
        Cast(Value(None), BigIntegerField()),
    )
    return insert_select_ignore_conflicts(Notification._meta.db_table, NOTIFICATION_COLUMNS, select)


def recur(*, now: dt.datetime) -> int:
    """Completed recurring items start their next cycle once the previous due date has passed."""
    started = 0
    while True:
        with transaction.atomic():
            due = list(
                skip_locked(
                    Assignment.objects.filter(
                        withdrawn_at__isnull=True, completed_at__isnull=False, recurrence_weeks__isnull=False
                    ).filter(Q(due_at__lte=now) | Q(due_at__isnull=True, completed_at__lte=now - dt.timedelta(days=1)))
                ).select_related("person")[:500]
            )
            if not due:
                return started
            by_tenant: dict[int, list[int]] = {}
            for a in due:
                previous = a.due_date or a.completed_at.date()
                weeks = dt.timedelta(weeks=a.recurrence_weeks)
                a.cycle += 1
                a.due_date = previous + weeks
                a.due_at = local_day_end(a.due_date, a.person.timezone)
                a.completions_after = a.completed_at
                a.completed_at = a.expires_at = a.started_at = None
                a.progress = 0
                a.compliance_flag = False
                AssignmentSource.objects.filter(assignment=a, due_date__isnull=False).update(
                    due_date=AddDays(F("due_date"), Value(weeks.days))
                )
                by_tenant.setdefault(a.tenant_id, []).append(a.pk)
            Assignment.objects.bulk_update(
                due,
                [
                    "cycle",
                    "due_date",
                    "due_at",
                    "completed_at",
                    "completions_after",
                    "expires_at",
                    "started_at",
                    "progress",
                    "compliance_flag",
                ],
            )
            for tenant_id, ids in by_tenant.items():
                scope = Assignment.objects.filter(pk__in=ids)
                notify_assignments(tenant_id=tenant_id, assignments=scope, kind="recurrence", now=now)
                reminders_schedule(tenant_id=tenant_id, assignments=scope, now=now)
            started += len(due)


def send_due_reminders(*, now: dt.datetime, batch: int = BATCH) -> int:
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
            # Still relevant: open, not done, not hidden, same cycle and due date as planned (else skipped).
            live = rows.exclude(assignment__visibility="hidden").filter(
                assignment__withdrawn_at__isnull=True,
                assignment__completed_at__isnull=True,
                assignment__cycle=F("cycle"),
                assignment__due_date=F("due_date"),
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
                hr_people = Person.objects.filter(is_hr=True, active=True)
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


def _run_periodic(key: str, every: dt.timedelta, now: dt.datetime, job) -> int:
    """Run `job` once `every` has passed since it last ran. The claim is a row lock held while the job
    runs, so one worker runs it at a time (the others skip it), and the job's writes commit with the
    new `last_run_at`; a job that fails is retried a minute later instead of a whole period later."""
    SchedulerState.objects.get_or_create(key=key, defaults={"last_run_at": now - every})
    failure, done = None, 0
    with transaction.atomic():
        state = skip_locked(SchedulerState.objects.filter(key=key)).first()
        if state is None or state.last_run_at > now - every:
            return 0  # another worker is running it, or it ran recently
        try:
            with transaction.atomic():
                done = job()
            state.last_run_at = now
        except Exception as exc:
            failure = exc
            state.last_run_at = now - every + PERIODIC_RETRY
        state.save(update_fields=["last_run_at"])
    if failure is not None:
        raise failure
    return done


def run_tick(*, now: dt.datetime, deliver: bool = True) -> TickReport:
    """One tick. `deliver=False` stops at the outbox (the benchmark times SMTP delivery apart from it)."""
    report = TickReport()
    steps = [
        ("escalate", lambda: _run_periodic("escalate", ESCALATE_EVERY, now, lambda: escalate(now=now))),
        ("expiry", lambda: expiry_notices(now=now)),
        ("recurrence", lambda: recur(now=now)),
        ("plan", fan_out_backlog),
        ("reminders", lambda: send_due_reminders(now=now)),
        ("reconcile", lambda: _run_periodic("rules_reconcile", RECONCILE_EVERY, now, rules_reconcile_all)),
        ("compose", lambda: compose_emails(now=now)),
    ]
    if deliver:
        steps.append(("deliver", lambda: sum(deliver_outbox(now=now))))
    for name, step in steps:
        started = time.perf_counter()
        try:
            report.counts[name] = step() or 0
        except Exception:
            logger.exception("Scheduler step %s failed; the next tick retries it", name)
            report.counts[name] = -1
        report.steps[name] = time.perf_counter() - started
    return report
