"""One scheduler tick: escalation, compliance flags, recurrence, recertification, expiry, reminders, certificates,
the daily compliance snapshots and the compliance tally's fold, email.

The scheduler is an interface: each step calls a service of the app that owns the rows (assignments,
notifications; policy for the escalation tiers) and writes none itself. It decides when, and keeps
periodic jobs to one worker at a time (`SchedulerState`). Each step is its own transaction and
idempotent, so a tick killed at any point leaves the database consistent and the next tick picks up
where it stopped. Several workers may run at once: rows are claimed with SKIP LOCKED on PostgreSQL
and every send has a unique key.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.db import transaction

from duecourse.assignments.living_rules import rules_reconcile_all
from duecourse.assignments.sweeps import (
    assignments_flag_noncompliant,
    assignments_pass_expiries,
    assignments_recertify,
    assignments_start_new_cycles,
    overdue_assignments,
)
from duecourse.certificates.sweeps import certificates_repair, certificates_sweep
from duecourse.core import clock
from duecourse.core.actors import SystemActor
from duecourse.core.models import Tenant
from duecourse.core.sql import skip_locked
from duecourse.notifications.delivery import compose_emails, deliver_outbox
from duecourse.notifications.events import fan_out_backlog
from duecourse.notifications.reminders import escalations_schedule
from duecourse.notifications.sweeps import reminders_send_due
from duecourse.notifications.weekly_digest import weekly_digests_send
from duecourse.policy.escalation import escalation_tiers, flag_after_days
from duecourse.reports.at_risk import COUNT_EVERY as AT_RISK_COUNT_EVERY
from duecourse.reports.at_risk import at_risk_counts_refresh
from duecourse.reports.overdue_tally import overdue_tally_fold
from duecourse.reports.snapshots import compliance_snapshots_take
from duecourse.reports.tally import tally_fold
from duecourse.scheduler.models import SchedulerState

logger = logging.getLogger(__name__)
RECONCILE_EVERY = dt.timedelta(hours=1)
# Escalation tiers are days wide, so sweeping the overdue window every few minutes (not every tick)
# loses nothing and keeps a tick with nothing due cheap at a million open assignments.
ESCALATE_EVERY = dt.timedelta(minutes=10)
# Each tenant's daily compliance snapshot is written at the first of these checks in its new day.
SNAPSHOT_EVERY = dt.timedelta(minutes=10)
# The compliance tally's past rows (and the overdue tally's rows) are folded this often: a report sums the
# changes since the last fold.
TALLY_FOLD_EVERY = dt.timedelta(hours=1)
PERIODIC_RETRY = dt.timedelta(minutes=1)  # a periodic job that failed runs again this much later


@dataclass
class TickReport:
    steps: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def escalate(*, now: dt.datetime) -> int:
    """Per tenant, by its escalation policy: plan the tier nudges of overdue items and raise the
    compliance flag at the flag tier."""
    done = 0
    for tenant in Tenant.objects.only("pk", "settings"):
        tiers = escalation_tiers(tenant.settings)
        with transaction.atomic():
            overdue = overdue_assignments(tenant_id=tenant.pk, now=now)
            done += escalations_schedule(tenant_id=tenant.pk, tiers=tiers, overdue=overdue, now=now)
            flag_after = flag_after_days(tiers)
            if flag_after is not None:
                done += assignments_flag_noncompliant(
                    actor=SystemActor(tenant_id=tenant.pk), overdue_days=flag_after, now=now
                )
    return done


def _claim(key: str) -> SchedulerState | None:
    """Lock the job's row until the transaction ends; None while another worker holds it."""
    return skip_locked(SchedulerState.objects.filter(key=key)).first()


def _run_alone(key: str, now: dt.datetime, job) -> int:
    """Run `job` in one worker at a time (the others skip it this tick)."""
    SchedulerState.objects.get_or_create(key=key, defaults={"last_run_at": now})
    with transaction.atomic():
        if _claim(key) is None:
            return 0
        return job()


def _run_periodic(key: str, every: dt.timedelta, now: dt.datetime, job) -> int:
    """Run `job` once `every` has passed since it last ran. The claim is a row lock held while the job
    runs, so one worker runs it at a time (the others skip it), and the job's writes commit with the
    new `last_run_at`; a job that fails is retried a minute later instead of a whole period later."""
    SchedulerState.objects.get_or_create(key=key, defaults={"last_run_at": now - every})
    failure, done = None, 0
    with transaction.atomic():
        state = _claim(key)
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
        ("recurrence", lambda: assignments_start_new_cycles(now=now)),
        # After recurrence (a recurring item normally re-opens at its due date, long before its expiry) and
        # before expiry, so an item re-opened late still hears "expiring soon" before "expired".
        ("recertify", lambda: assignments_recertify(now=now)),
        ("expiry", lambda: assignments_pass_expiries(now=now)),
        ("plan", fan_out_backlog),
        ("reminders", lambda: reminders_send_due(now=now)),
        ("reconcile", lambda: _run_periodic("rules_reconcile", RECONCILE_EVERY, now, rules_reconcile_all)),
        ("certificates", lambda: certificates_sweep(now=now)),
        (
            "certificates_repair",
            lambda: _run_periodic("certificates_repair", RECONCILE_EVERY, now, lambda: certificates_repair(now=now)),
        ),
        (
            "snapshots",
            lambda: _run_periodic(
                "compliance_snapshots", SNAPSHOT_EVERY, now, lambda: compliance_snapshots_take(now=now)
            ),
        ),
        (
            "tally_fold",
            lambda: _run_periodic(
                "compliance_tally_fold", TALLY_FOLD_EVERY, now, lambda: tally_fold(now=now) + overdue_tally_fold()
            ),
        ),
        (
            "at_risk_counts",
            lambda: _run_periodic("at_risk_counts", AT_RISK_COUNT_EVERY, now, lambda: at_risk_counts_refresh(now=now)),
        ),
        ("weekly_digest", lambda: _run_alone("weekly_digest", now, lambda: weekly_digests_send(now=now))),
        ("compose", lambda: _run_alone("compose", now, lambda: compose_emails(now=now))),
    ]
    if deliver:
        steps.append(("deliver", lambda: sum(deliver_outbox(now=now))))
    with clock.running_at(now):  # what the services record as "now" is the tick's moment
        for name, step in steps:
            started = time.perf_counter()
            try:
                report.counts[name] = step() or 0
            except Exception:
                logger.exception("Scheduler step %s failed; the next tick retries it", name)
                report.counts[name] = -1
            report.steps[name] = time.perf_counter() - started
    return report
