"""Actions on many assignments at once (extend, withdraw), set-based, with the rules of one at a time.

A selection is a queryset of assignments the actor may see (`selectors.assignments_matching`, or ids
within it). Items an action may not touch are refused with a reason, never an error for the whole call:
each action first names its refusals with one `CASE` over the selection (`refusals`), then does what is
left in a few statements per chunk of ids. `notifications.manual_reminders` adds "remind" on top.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case as CaseExpression
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When

from duecourse.assignments import fanout, permissions
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.assignments.services import BLOCKING_SOURCE_KINDS, withdraw_sourceless
from duecourse.assignments.signals import assignments_changed
from duecourse.core import clock
from duecourse.core.actors import audit_actor
from duecourse.core.models import AuditEvent
from duecourse.core.sql import LocalDayEnd
from duecourse.people.models import Person

MAX_FAILED_ROWS = 1000  # the answer lists this many refusals, with their count and counts by reason
CHUNK = fanout.CHUNK

NOT_FOUND = "not found"
NOT_ALLOWED = "not allowed"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"
HELD_BY_OTHERS = "held by a group, department, site, region, everyone, new-starter or rule source"


@dataclass
class ActionResult:
    done: int = 0
    failed: list[dict] = field(default_factory=list)
    failed_count: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)

    def add_failures(self, rows: Iterable[tuple[int, str]], by_reason: dict[str, int]) -> None:
        for pk, reason in rows:
            if len(self.failed) < MAX_FAILED_ROWS:
                self.failed.append({"id": pk, "reason": reason})
        for reason, n in by_reason.items():
            self.failed_by_reason[reason] = self.failed_by_reason.get(reason, 0) + n
            self.failed_count += n


def refusals(selection: QuerySet, rules: list[tuple[Q, str]], result: ActionResult) -> QuerySet:
    """Record the refused items of `selection` (first matching rule's reason) in `result`; the rest is returned."""
    if not rules:
        return selection
    reason = CaseExpression(*[When(q, then=Value(text)) for q, text in rules], default=None, output_field=CharField())
    refused = selection.annotate(refusal=reason).filter(refusal__isnull=False)
    counts = dict(refused.order_by().values("refusal").annotate(n=Count("pk")).values_list("refusal", "n"))
    if counts:
        rows = refused.order_by("pk").values_list("pk", "refusal")[:MAX_FAILED_ROWS]
        result.add_failures(rows, counts)
    combined = Q()
    for q, _ in rules:
        combined |= q
    return selection.exclude(combined)


def _ids(queryset: QuerySet) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def _own_source(actor: Person) -> Exists:
    return Exists(AssignmentSource.objects.filter(assignment_id=OuterRef("pk"), kind="individual", ref_id=actor.pk))


def _audit_many(
    actor: Person, ids: list[int], *, action: str, before: dict, after: dict, reason: str, now: dt.datetime
) -> None:
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                tenant_id=actor.tenant_id,
                **audit_actor(actor),
                action=action,
                object_type="assignment",
                object_id=pk,
                before=before.get(pk),
                after=after.get(pk),
                reason=reason,
                at=now,
            )
            for pk in ids
        ],
        batch_size=1000,
    )


def assignments_extend(*, actor: Person, selection: QuerySet, due_date: dt.date, reason: str) -> ActionResult:
    """Move the due date of many, as `services.assignment_update` does for one: learning staff set it by hand;
    a manager moves only the date of their own source (the item keeps its sources' earliest date). Withdrawn
    items are refused. Audited per item; the learner is told (`due_date_changed`)."""
    result = ActionResult()
    now = clock.now()
    staff = permissions.assigns_tenant_wide(actor)
    rules = [(Q(withdrawn_at__isnull=False), WITHDRAWN)]
    if not staff:
        rules.append((~Q(person__manager_id=actor.pk) | ~Q(_own_source(actor)), NOT_ALLOWED))
    with transaction.atomic():
        ids = _ids(refusals(selection, rules, result))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            before = dict(Assignment.objects.filter(pk__in=chunk).values_list("pk", "due_date"))
            if staff:
                _set_by_hand(actor, chunk, due_date, now)
            else:
                AssignmentSource.objects.filter(assignment_id__in=chunk, kind="individual", ref_id=actor.pk).update(
                    due_date=due_date, due_rule=f"set by {actor.name} on {now:%Y-%m-%d}"
                )
                fanout.recompute_effective(Assignment.objects.filter(pk__in=chunk))
            after = dict(Assignment.objects.filter(pk__in=chunk).values_list("pk", "due_date"))
            _audit_many(
                actor,
                chunk,
                action="assignment.update",
                before={pk: {"due_date": _iso(day)} for pk, day in before.items()},
                after={
                    pk: {"due_date": _iso(day), **({} if staff else {"source": "own"})} for pk, day in after.items()
                },
                reason=reason,
                now=now,
            )
        result.done = len(ids)
    return result


def _set_by_hand(actor: Person, ids: list[int], due_date: dt.date, now: dt.datetime) -> None:
    rows = Assignment.objects.filter(pk__in=ids)
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    rows.update(
        due_date=due_date,
        due_date_manual=True,
        due_explanation=f"set by hand by {actor.name} on {now:%Y-%m-%d}"[:300],
    )
    rows.update(due_at=LocalDayEnd(F("due_date"), Subquery(person_timezone, output_field=CharField())))
    assignments_changed.send(
        sender=Assignment, tenant_id=actor.tenant_id, operation_id=None, assignment_ids=ids, event="due_date_changed"
    )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def assignments_withdraw_many(*, actor: Person, selection: QuerySet, reason: str) -> ActionResult:
    """Withdraw many, as `services.assignment_withdraw` does one: the actor's own individual source is removed
    (the item stays open while others remain); without one, a group, org-unit, everyone, new-starter or rule
    source refuses it; held only by other people's individual sources, learning staff withdraw it and others
    may not. Completed and already withdrawn items are refused. Audited; the learner is told."""
    result = ActionResult()
    now = clock.now()
    own = _own_source(actor)
    blocking = Exists(AssignmentSource.objects.filter(assignment_id=OuterRef("pk"), kind__in=BLOCKING_SOURCE_KINDS))
    rules = [
        (Q(withdrawn_at__isnull=False), WITHDRAWN),
        (Q(completed_at__isnull=False), COMPLETED),
        (~Q(own) & Q(blocking), HELD_BY_OTHERS),
    ]
    if not permissions.assigns_tenant_wide(actor):
        # `permissions.can_change_assignment` for anyone but learning staff: a report's item they assigned.
        rules.append((~Q(own) | ~Q(person__manager_id=actor.pk), NOT_ALLOWED))
    with transaction.atomic():
        ids = _ids(refusals(selection, rules, result))
        for start in range(0, len(ids), CHUNK):
            chunk = Assignment.objects.filter(pk__in=ids[start : start + CHUNK])
            own_ids = _ids(chunk.filter(own))
            sources = AssignmentSource.objects.filter(assignment_id__in=chunk.values("pk"))
            sources.filter(Q(assignment_id__in=own_ids, kind="individual", ref_id=actor.pk)).delete()
            sources.exclude(assignment_id__in=own_ids).delete()  # learning staff: only individual sources remain
            still_held = _ids(chunk.filter(Exists(AssignmentSource.objects.filter(assignment_id=OuterRef("pk")))))
            if still_held:
                fanout.recompute_effective(Assignment.objects.filter(pk__in=still_held))
                _audit_many(
                    actor,
                    still_held,
                    action="assignment.source_remove",
                    before={pk: {"sources": ["own"]} for pk in still_held},
                    after={},
                    reason=reason,
                    now=now,
                )
            withdraw_sourceless(tenant_id=actor.tenant_id, assignments=chunk, actor=actor, reason=reason)
        result.done = len(ids)
    return result
