"""The worker's certificate steps: record expiries, issue queued backlogs in batches, repair hourly.

Each batch is one transaction, claimed with SKIP LOCKED on PostgreSQL so several workers share the
work; the one-live-certificate constraint and the notification and outbox dedup keys keep every
certificate and every notice single even when two workers meet. A batch that fails is logged and
retried next tick without holding up the others.
"""

import datetime as dt
import logging
import time

from django.db import transaction

from duecourse.assignments.models import AssignmentRule
from duecourse.certificates import limits
from duecourse.certificates.issuing import certificates_refresh, concerns_certificates, issuing_rules
from duecourse.certificates.models import Certificate, CertificateBacklog
from duecourse.certificates.throttle import prune_verify_buckets
from duecourse.core.sql import skip_locked

logger = logging.getLogger(__name__)


def certificates_sweep(*, now: dt.datetime, batch: int | None = None, budget_seconds: float | None = None) -> int:
    """Record the certificates whose `valid_until` passed (renewing those whose holders already
    recertified), then issue the queued backlogs, `limits.SWEEP_BATCH` per transaction. Returns how
    many certificates changed or were issued."""
    batch = batch or limits.SWEEP_BATCH
    deadline = time.monotonic() + (limits.SWEEP_BUDGET_SECONDS if budget_seconds is None else budget_seconds)
    return _expire(now=now, batch=batch, deadline=deadline) + _issue_backlogs(now=now, batch=batch, deadline=deadline)


def _expire(*, now: dt.datetime, batch: int, deadline: float) -> int:
    """Each (tenant, configuration) group of lapsed certificates in its own transaction: a group that
    fails is logged and its configuration left alone for the rest of this sweep (the next tick retries
    it), so one broken configuration never stalls every tenant's expiries."""
    done = 0
    skipped: set[int] = set()  # rules whose group failed in this sweep
    while time.monotonic() < deadline:
        lapsed = Certificate.objects.filter(invalidated_at__isnull=True, valid_until__lte=now)
        pending = list(
            lapsed.exclude(rule_id__in=skipped)
            .order_by("valid_until", "pk")
            .values_list("tenant_id", "rule_id", "person_id")[:batch]
        )
        if not pending:
            return done
        people: dict[tuple[int, int], set[int]] = {}
        for tenant_id, rule_id, person_id in pending:
            people.setdefault((tenant_id, rule_id), set()).add(person_id)
        progressed = False
        for (tenant_id, rule_id), person_ids in people.items():
            try:
                with transaction.atomic():
                    # Claimed here: the rows still lapsed that no other worker holds.
                    group = lapsed.filter(tenant_id=tenant_id, rule_id=rule_id, person_id__in=person_ids)
                    claimed = set(skip_locked(group).values_list("person_id", flat=True))
                    if not claimed:
                        continue
                    rule = AssignmentRule.objects.get(pk=rule_id)
                    outcome = certificates_refresh(
                        tenant_id=tenant_id, rules=[rule], person_ids=claimed, now=now, issue_limit=batch
                    )
            except Exception:
                logger.exception("Recording the expired certificates of rule %s failed; the next tick retries", rule_id)
                skipped.add(rule_id)
                progressed = True  # the next round leaves this rule out
                continue
            done += len(outcome.invalidated) + len(outcome.issued)
            progressed = True
        if not progressed:  # every group is held by another worker
            return done
    return done


def _issue_backlogs(*, now: dt.datetime, batch: int, deadline: float) -> int:
    issued = 0
    skipped: list[int] = []  # backlogs that failed or made no progress: retried next tick
    while time.monotonic() < deadline:
        item = None
        try:
            with transaction.atomic():
                item = (
                    skip_locked(CertificateBacklog.objects.exclude(pk__in=skipped).order_by("queued_at", "pk"))
                    .select_related("rule")
                    .first()
                )
                if item is None:
                    return issued
                outcome = certificates_refresh(
                    tenant_id=item.tenant_id, rules=[item.rule], now=now, issue_limit=batch, check=False
                )
                issued += len(outcome.issued)
                if item.rule_id not in outcome.queued:
                    item.delete()
                elif not outcome.issued:
                    skipped.append(item.pk)
        except Exception:
            if item is None:
                raise
            logger.exception("Issuing the certificates of rule %s failed; the next tick retries", item.rule_id)
            skipped.append(item.pk)
    return issued


def certificates_repair(*, now: dt.datetime, batch: int | None = None) -> int:
    """The safety net (hourly): every configuration that issues or has live certificates, checked against
    its whole audience, one transaction each; whatever an event missed is repaired, and people still
    waiting beyond a batch are queued for `certificates_sweep`. Also prunes the verification page's old
    rate-limit buckets."""
    batch = batch or limits.SWEEP_BATCH
    live_rules = Certificate.objects.filter(invalidated_at__isnull=True).values("rule_id")
    rules = (issuing_rules() | AssignmentRule.objects.filter(pk__in=live_rules)).order_by("pk")
    changed = 0
    for rule in rules:
        try:
            with transaction.atomic():
                if concerns_certificates(rule):
                    outcome = certificates_refresh(tenant_id=rule.tenant_id, rules=[rule], now=now, issue_limit=batch)
                    changed += len(outcome.invalidated) + len(outcome.issued)
        except Exception:
            logger.exception("Checking the certificates of rule %s failed; the other rules went on", rule.pk)
    prune_verify_buckets(now=now)
    return changed
