"""Issuing and invalidating certificates, set-based, in the transaction of whatever changed.

`certificates_refresh` brings the certificates of some configurations (assignment rules with
`certificate` on) in line with the facts, for some people or a whole audience:

1. A live certificate whose `valid_until` passed is recorded as expired (at that instant).
2. It becomes invalid as soon as (first match wins):
   - `withdrawn`: the configuration was deleted, or the person no longer holds the rule's source on an
     item the certificate lists (withdrawn, left the audience, deactivated);
   - `requirements_changed`: a required item it does not list (new, or a hidden or optional one made
     required);
   - `expired`: a required item it lists holds no valid completion any more
     (`assignments.selectors.valid_completion_filter`, which keeps a completion re-opened for
     recertification valid until its old expiry).
3. A person in the audience (holds the rule's source on every required item) gets a new certificate
   when every required item holds a valid completion and they hold no live one; an exempt item that
   is not completed blocks it (it holds no completion), optional and hidden items never do, and a
   revoked certificate is not issued again until the person completes a required item after it.
   A paused configuration (`active` off) issues nothing new; its certificates follow the rules above.

At most `issue_limit` certificates are issued per call; when more people are waiting the
configuration is queued (`CertificateBacklog`) and the worker issues the rest in batches. Each
certificate is announced once: an inbox notification and an email with its PDF attached (outbox
dedup key `certificate:<id>`); each invalidation once (notification dedup key), with what to
complete to restore it — unless the same call issued the person a new one (a renewal).
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import translation
from django.utils.functional import Promise

from duecourse.assignments.fanout import CHUNK
from duecourse.assignments.models import Assignment, AssignmentRule, AssignmentSource, RuleItem
from duecourse.assignments.selectors import valid_completion_filter
from duecourse.catalog.selectors import target_titles
from duecourse.certificates import limits, notices
from duecourse.certificates.domain import (
    REASON_WORDS,
    HeldItem,
    InvalidReason,
    Target,
    covers,
    earliest_expiry,
    format_number,
    listed_fragment,
    new_code,
    requirements_key,
)
from duecourse.certificates.models import Certificate, CertificateBacklog, CertificateCounter
from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.people.models import Person

logger = logging.getLogger(__name__)
AUDITED_IDS = 1000  # ids listed in one audit event of a set operation


@dataclass
class RefreshOutcome:
    issued: list[int] = field(default_factory=list)
    invalidated: list[int] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)  # rules left to the worker with people still to issue to


# --- which configurations ---------------------------------------------------------------------------
def issuing_rules(tenant_id: int | None = None) -> QuerySet[AssignmentRule]:
    """Configurations that issue certificates: certificates on, not deleted (paused ones included)."""
    rules = AssignmentRule.objects.filter(certificate=True, deleted_at__isnull=True)
    return rules.filter(tenant_id=tenant_id) if tenant_id is not None else rules


def rules_to_check(*, tenant_id: int, person_ids: Sequence[int] | None = None) -> list[AssignmentRule]:
    """The configurations whose certificates an event about these people (None: anyone) may change:
    those that issue and whose source holds one of their assignments, and those whose live certificates
    they hold. Found from the people's own rows (indexed by person), so an event about people in no
    certificate's audience costs a query or two however many configurations issue certificates."""
    if person_ids is None:
        live = Certificate.objects.filter(tenant_id=tenant_id, invalidated_at__isnull=True)
        return list(issuing_rules(tenant_id) | AssignmentRule.objects.filter(pk__in=live.values("rule_id")))
    in_audience: set[int] = set()  # rules whose source holds one of their assignments
    holding: set[int] = set()  # rules of their live certificates
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        in_audience.update(
            AssignmentSource.objects.filter(
                tenant_id=tenant_id, kind="rule", assignment__person_id__in=chunk, assignment__withdrawn_at__isnull=True
            )
            .values_list("ref_id", flat=True)
            .distinct()
        )
        holding.update(
            Certificate.objects.filter(tenant_id=tenant_id, invalidated_at__isnull=True, person_id__in=chunk)
            .values_list("rule_id", flat=True)
            .distinct()
        )
    if not (in_audience or holding):
        return []
    issuing = issuing_rules(tenant_id).filter(pk__in=in_audience)
    return list(issuing | AssignmentRule.objects.filter(tenant_id=tenant_id, pk__in=holding))


def concerns_certificates(rule: AssignmentRule) -> bool:
    """Whether anything about certificates can follow from this rule: it issues, or has live ones."""
    if rule.certificate and rule.deleted_at is None:
        return True
    return Certificate.objects.filter(tenant_id=rule.tenant_id, rule_id=rule.pk, invalidated_at__isnull=True).exists()


def required_targets(rule: AssignmentRule) -> list[Target]:
    rows = RuleItem.objects.filter(rule_id=rule.pk, visibility="required").order_by("position")
    return list(rows.values_list("target_type", "target_id"))


def rule_targets(rule: AssignmentRule) -> list[Target]:
    return list(RuleItem.objects.filter(rule_id=rule.pk).values_list("target_type", "target_id"))


def issues_new(rule: AssignmentRule, required: Sequence[Target]) -> bool:
    """Whether the configuration issues new certificates now (paused, deleted or switched off: no)."""
    return rule.active and rule.certificate and rule.deleted_at is None and bool(required)


# --- the facts, as SQL --------------------------------------------------------------------------------
def _held(rule: AssignmentRule, target: Target, person: OuterRef) -> QuerySet[Assignment]:
    """The person's open or completed assignment of the item that the rule's source holds."""
    return Assignment.objects.filter(
        tenant_id=rule.tenant_id,
        person_id=person,
        target_type=target[0],
        target_id=target[1],
        withdrawn_at__isnull=True,
        sources__kind="rule",
        sources__ref_id=rule.pk,
    )


def _held_valid(rule: AssignmentRule, target: Target, person: OuterRef, now: dt.datetime) -> QuerySet[Assignment]:
    return _held(rule, target, person).filter(valid_completion_filter(now))


def _revoked_not_caught_up(rule: AssignmentRule, required: Sequence[Target]) -> Exists:
    """A revoked certificate the person has not caught up on (no required item completed after it)."""
    any_required = Q(pk__in=[])
    for target_type, target_id in required:
        any_required |= Q(target_type=target_type, target_id=target_id)
    completed_after = Assignment.objects.filter(
        any_required,
        tenant_id=rule.tenant_id,
        person_id=OuterRef(OuterRef("pk")),
        withdrawn_at__isnull=True,
        completed_at__gt=OuterRef("invalidated_at"),
    )
    revoked = Certificate.objects.filter(
        tenant_id=rule.tenant_id, rule_id=rule.pk, person_id=OuterRef("pk"), invalid_reason=InvalidReason.REVOKED
    ).exclude(Exists(completed_after))
    return Exists(revoked)


def eligible_people(
    rule: AssignmentRule, required: Sequence[Target], now: dt.datetime, person_ids: Sequence[int] | None = None
) -> QuerySet[Person]:
    """The people to issue a certificate of `rule` to now (see the module's rule 3), as one queryset."""
    people = Person.objects.filter(tenant_id=rule.tenant_id, active=True)
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    for target in required:
        people = people.filter(Exists(_held_valid(rule, target, OuterRef("pk"), now)))
    live = Certificate.objects.filter(
        tenant_id=rule.tenant_id, rule_id=rule.pk, person_id=OuterRef("pk"), invalidated_at__isnull=True
    )
    return people.exclude(Exists(live)).exclude(_revoked_not_caught_up(rule, required))


def pending_count(rule: AssignmentRule, now: dt.datetime | None = None) -> int:
    """How many people are waiting for a certificate of this configuration (0 when it issues none)."""
    required = required_targets(rule)
    if not issues_new(rule, required):
        return 0
    return eligible_people(rule, required, now or clock.now()).count()


# --- invalidating -------------------------------------------------------------------------------------
def _invalidate(
    live: QuerySet[Certificate], *, reason: str, at: dt.datetime | F, found: list[tuple[int, int, str]]
) -> None:
    rows = list(live.values_list("pk", "person_id"))
    ids = [pk for pk, _ in rows]
    for start in range(0, len(ids), CHUNK):
        Certificate.objects.filter(pk__in=ids[start : start + CHUNK], invalidated_at__isnull=True).update(
            invalidated_at=at, invalid_reason=reason
        )
    found.extend((pk, person_id, reason) for pk, person_id in rows)


def _invalidations(
    rule: AssignmentRule, required: Sequence[Target], person_ids: Sequence[int] | None, now: dt.datetime
) -> list[tuple[int, int, str]]:
    """Record what stopped being valid; returns (certificate id, person id, reason) of each."""
    found: list[tuple[int, int, str]] = []
    live = Certificate.objects.filter(tenant_id=rule.tenant_id, rule_id=rule.pk, invalidated_at__isnull=True)
    if person_ids is not None:
        live = live.filter(person_id__in=person_ids)
    _invalidate(live.filter(valid_until__lte=now), reason=InvalidReason.EXPIRED, at=F("valid_until"), found=found)
    live = live.filter(invalidated_at__isnull=True)
    if rule.deleted_at is not None:
        _invalidate(live, reason=InvalidReason.WITHDRAWN, at=now, found=found)
        return found
    # Withdrawn: an item it lists (and the rule still has) is no longer held by the rule's source.
    lost = Q(pk__in=[])
    for target in rule_targets(rule):
        lost |= Q(~Exists(_held(rule, target, OuterRef("person_id"))), requirements__contains=listed_fragment(*target))
    _invalidate(live.filter(lost), reason=InvalidReason.WITHDRAWN, at=now, found=found)
    # Requirements changed: a required item it does not list.
    listed_keys = set(live.order_by().values_list("requirements", flat=True).distinct())
    outdated = [key for key in listed_keys if not covers(key, required)]
    if outdated:
        _invalidate(
            live.filter(requirements__in=outdated), reason=InvalidReason.REQUIREMENTS_CHANGED, at=now, found=found
        )
    # Expired: a required item it lists holds no valid completion any more.
    lapsed = Q(pk__in=[])
    for target in required:
        lapsed |= Q(
            ~Exists(_held_valid(rule, target, OuterRef("person_id"), now)),
            requirements__contains=listed_fragment(*target),
        )
    _invalidate(live.filter(lapsed), reason=InvalidReason.EXPIRED, at=now, found=found)
    return found


# --- issuing ------------------------------------------------------------------------------------------
def _reserve_numbers(tenant_id: int, count: int) -> list[str]:
    """`count` new certificate numbers of the tenant, under the counter row's lock."""
    CertificateCounter.objects.get_or_create(tenant_id=tenant_id)
    counter = CertificateCounter.objects.select_for_update().get(tenant_id=tenant_id)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [format_number(n) for n in range(first, first + count)]


def _held_items(
    rule: AssignmentRule, required: Sequence[Target], person_ids: list[int], now: dt.datetime
) -> dict[int, list[HeldItem]]:
    """Per person, each required item as held now: the completion (or the one a recertification re-opened)."""
    any_required = Q(pk__in=[])
    for target_type, target_id in required:
        any_required |= Q(target_type=target_type, target_id=target_id)
    rows = (
        Assignment.objects.filter(
            any_required,
            tenant_id=rule.tenant_id,
            person_id__in=person_ids,
            withdrawn_at__isnull=True,
            sources__kind="rule",
            sources__ref_id=rule.pk,
        )
        .filter(valid_completion_filter(now))
        .values_list("person_id", "target_type", "target_id", "completed_at", "completions_after", "expires_at")
    )
    titles = target_titles(tenant_id=rule.tenant_id, targets=set(required))
    found: dict[tuple[int, str, int], HeldItem] = {}
    for person_id, target_type, target_id, completed_at, previous, expires_at in rows:
        found[(person_id, target_type, target_id)] = HeldItem(
            target_type=target_type,
            target_id=target_id,
            title=titles.get((target_type, target_id), ""),
            completed_at=completed_at or previous,
            expires_at=expires_at,
        )
    held: dict[int, list[HeldItem]] = {}
    for person_id in person_ids:
        items = [found.get((person_id, t, i)) for t, i in required]
        if all(item is not None for item in items):
            held[person_id] = [item for item in items if item is not None]
    return held


def _issue(
    rule: AssignmentRule, required: Sequence[Target], person_ids: Sequence[int] | None, now: dt.datetime, limit: int
) -> tuple[list[Certificate], bool]:
    """Issue to up to `limit` eligible people; returns the certificates and whether more are waiting."""
    if limit <= 0:
        return [], eligible_people(rule, required, now, person_ids).exists()
    candidates = list(
        eligible_people(rule, required, now, person_ids).order_by("pk").values_list("pk", flat=True)[: limit + 1]
    )
    more = len(candidates) > limit
    candidates = candidates[:limit]
    if not candidates:
        return [], False
    held = _held_items(rule, required, candidates, now)
    people = sorted(held)
    if not people:
        return [], more
    numbers = _reserve_numbers(rule.tenant_id, len(people))
    key = requirements_key(required)
    fresh = [
        Certificate(
            tenant_id=rule.tenant_id,
            person_id=person_id,
            rule_id=rule.pk,
            number=number,
            code=new_code(),
            title=rule.name,
            issued_at=now,
            valid_until=earliest_expiry([item.expires_at for item in held[person_id]]),
            items=[item.as_json() for item in held[person_id]],
            requirements=key,
        )
        for person_id, number in zip(people, numbers, strict=True)
    ]
    # A concurrent issuer that got there first wins (the one-live-certificate constraint); ours is skipped.
    Certificate.objects.bulk_create(fresh, ignore_conflicts=True)
    codes = [c.code for c in fresh]
    issued: list[Certificate] = []
    for start in range(0, len(codes), CHUNK):
        issued.extend(Certificate.objects.filter(code__in=codes[start : start + CHUNK]))
    return sorted(issued, key=lambda c: c.pk), more


def _queue(rule: AssignmentRule, now: dt.datetime) -> None:
    CertificateBacklog.objects.get_or_create(tenant_id=rule.tenant_id, rule_id=rule.pk, defaults={"queued_at": now})


# --- the one entry point ------------------------------------------------------------------------------
def certificates_refresh(
    *,
    tenant_id: int,
    rules: Iterable[AssignmentRule] | None = None,
    person_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    issue_limit: int | None = None,
    check: bool = True,
) -> RefreshOutcome:
    """Bring certificates in line with the facts (the module's rules), for these configurations (None:
    every one an event about these people may touch) and people (None: whole audiences). Runs in the
    caller's transaction; `check=False` only issues (the worker's backlog batches). `issue_limit`
    defaults to `limits.INLINE_ISSUE_LIMIT`."""
    now = now or clock.now()
    people = sorted(set(person_ids)) if person_ids is not None else None
    chosen = list(rules) if rules is not None else rules_to_check(tenant_id=tenant_id, person_ids=people)
    outcome = RefreshOutcome()
    if not chosen:
        return outcome
    issued: list[Certificate] = []
    told: list[int] = []  # invalidated certificates whose holder is told (not those renewed at once)
    budget = limits.INLINE_ISSUE_LIMIT if issue_limit is None else issue_limit
    with transaction.atomic():
        for rule in chosen:
            required = required_targets(rule)
            chunks: list[list[int] | None] = (
                [None] if people is None else [people[i : i + CHUNK] for i in range(0, len(people), CHUNK)]
            )
            rule_invalidated: list[tuple[int, int, str]] = []
            rule_issued: list[Certificate] = []
            more = False
            for chunk in chunks:
                if check:
                    rule_invalidated.extend(_invalidations(rule, required, chunk, now))
                if issues_new(rule, required):
                    fresh, waiting = _issue(rule, required, chunk, now, budget)
                    budget -= len(fresh)
                    rule_issued.extend(fresh)
                    more = more or waiting
            if more:
                _queue(rule, now)
                outcome.queued.append(rule.pk)
            _audit(rule, rule_issued, rule_invalidated)
            renewed = {c.person_id for c in rule_issued}
            told.extend(pk for pk, person_id, _ in rule_invalidated if person_id not in renewed)
            issued.extend(rule_issued)
            outcome.invalidated.extend(pk for pk, _, _ in rule_invalidated)
        notices.announce_issued(issued, now=now)
        notices.announce_invalidated(told, now=now)
    outcome.issued = [c.pk for c in issued]
    return outcome


def _audit(rule: AssignmentRule, issued: list[Certificate], invalidated: list[tuple[int, int, str]]) -> None:
    """One audit event per set operation on a configuration, by the system."""
    actor = audit_actor(SystemActor(tenant_id=rule.tenant_id, label=f"Rule: {rule.name}"))
    if issued:
        audit_record(
            tenant_id=rule.tenant_id,
            **actor,
            action="certificate.issue",
            object_type="rule",
            object_id=rule.pk,
            after={"issued": len(issued), "certificate_ids": [c.pk for c in issued][:AUDITED_IDS]},
            reason="Every required item completed and valid",
        )
    by_reason: dict[str, list[int]] = {}
    for pk, _, reason in invalidated:
        by_reason.setdefault(reason, []).append(pk)
    for reason, ids in sorted(by_reason.items()):
        audit_record(
            tenant_id=rule.tenant_id,
            **actor,
            action="certificate.invalidate",
            object_type="rule",
            object_id=rule.pk,
            after={"invalidated": len(ids), "invalid_reason": reason, "certificate_ids": ids[:AUDITED_IDS]},
            reason=_english(REASON_WORDS[reason]),
        )


def _english(words: str | Promise) -> str:
    """The audit log is written in English, whatever language the request that caused it speaks."""
    with translation.override(None):
        return str(words)
