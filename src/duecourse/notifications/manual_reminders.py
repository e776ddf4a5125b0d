"""Reminders sent by hand ("Send reminder now") and the actions on many assignments.

A reminder by hand is an inbox notification of kind "reminder" to the learner, turned into an email by
the outbox like the scheduler's reminders. At most one per assignment in a rolling 24 hours: the
database decides, by one conditional UPDATE of `assignment.reminded_at` (`reminders_claim`). On
PostgreSQL a second UPDATE racing the first waits for its row lock and re-checks the condition against
the committed row, so two clicks at once send one reminder; SQLite runs one writer at a time.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from duecourse.assignments import bulk_actions, permissions
from duecourse.assignments.bulk_actions import NOT_ALLOWED, NOT_FOUND, ActionResult, refusals
from duecourse.assignments.limits import REMIND_AGAIN_AFTER
from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import AssignmentQuery, assignments_matching, status_filter
from duecourse.assignments.status import NOT_REMINDABLE_STATUSES
from duecourse.core import clock
from duecourse.core.actors import audit_actor
from duecourse.core.errors import Conflict, DomainError, FieldError, ValidationFailed, forbidden
from duecourse.core.models import AuditEvent
from duecourse.notifications.services import notify_assignments
from duecourse.people.models import Person

MAX_ACTION_IDS = 10_000
ACTIONS = ("extend", "withdraw", "remind")
# Why an item gets no reminder (first match wins); the same words for one (409) and many (failed rows).
NOT_REMINDABLE = tuple((status, str(status)) for status in NOT_REMINDABLE_STATUSES)
HIDDEN = "hidden from the learner"
REMINDED_RECENTLY = "reminded in the last 24 hours"


@dataclass
class RemindedRecently(DomainError):
    """429: a reminder was sent by hand less than 24 hours ago."""

    last_sent_at: dt.datetime | None = None
    status_code = 429

    def as_dict(self) -> dict:
        sent = DjangoJSONEncoder().default(self.last_sent_at) if self.last_sent_at else None  # as the API writes times
        return {**super().as_dict(), "last_sent_at": sent}


def _not_remindable_rules(now: dt.datetime) -> list[tuple[Q, str]]:
    rules = [(status_filter(status, now), reason) for status, reason in NOT_REMINDABLE]
    return [*rules, (Q(visibility="hidden"), HIDDEN)]


def reminders_claim(*, tenant_id: int, candidates: QuerySet, now: dt.datetime) -> list[int]:
    """Stamp `reminded_at = now` on the candidates not reminded by hand in the last 24 hours; their ids.

    One `UPDATE … WHERE … RETURNING`: the 24-hour condition is checked by the database on the row it
    writes (under its lock), never by reading first and writing after."""
    try:
        inner, params = candidates.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # the filter can match nothing (e.g. an unreachable escalation tier)
        return []
    table = Assignment._meta.db_table
    sql = (
        f"UPDATE {table} SET reminded_at = %s WHERE tenant_id = %s AND id IN ({inner}) "
        "AND (reminded_at IS NULL OR reminded_at <= %s) RETURNING id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(now), tenant_id, *params, adapt(now - REMIND_AGAIN_AFTER)])
        return sorted(row[0] for row in cursor.fetchall())


def _send(actor: Person, ids: list[int], now: dt.datetime) -> None:
    """The learner's inbox entries (the outbox turns them into emails) and one audit event per item."""
    stamp = now.strftime("%Y%m%dT%H%M%S.%f")
    for start in range(0, len(ids), bulk_actions.CHUNK):
        chunk = ids[start : start + bulk_actions.CHUNK]
        notify_assignments(
            tenant_id=actor.tenant_id,
            assignments=Assignment.objects.filter(pk__in=chunk),
            kind="reminder",
            now=now,
            dedup_prefix=f"manual-reminder:{stamp}:",
            data={"manual": True, "by": actor.name},
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    tenant_id=actor.tenant_id,
                    **audit_actor(actor),
                    action="assignment.remind",
                    object_type="assignment",
                    object_id=pk,
                    after={"reminded_at": now.isoformat()},
                    at=now,
                )
                for pk in chunk
            ],
            batch_size=1000,
        )


def assignment_remind(*, actor: Person, assignment: Assignment) -> dt.datetime:
    """Send the learner a reminder now (admins, instructors, the person's manager); when it was sent.

    Completed, withdrawn, exempt or hidden: Conflict naming why. Reminded by hand in the last 24 hours:
    `RemindedRecently` with when."""
    if not permissions.can_remind(actor, assignment):
        raise forbidden("send a reminder for this assignment")
    now = clock.now()
    one = Assignment.objects.filter(tenant_id=actor.tenant_id, pk=assignment.pk)
    for condition, reason in _not_remindable_rules(now):
        if one.filter(condition).exists():
            raise Conflict(
                detail=_("No reminder: the assignment is %(reason)s") % {"reason": reason},
                errors=[FieldError("status", _("is %(reason)s") % {"reason": reason})],
            )
    with transaction.atomic():
        claimed = reminders_claim(tenant_id=actor.tenant_id, candidates=one, now=now)
        if claimed:
            _send(actor, claimed, now)
            return now
    last = one.values_list("reminded_at", flat=True).first()
    raise RemindedRecently(
        detail=_("A reminder was sent at %(time)s UTC; try again 24 hours after it")
        % {"time": f"{last:%Y-%m-%d %H:%M}"}
        if last
        else "",
        last_sent_at=last,
    )


def reminders_send_now(*, actor: Person, selection: QuerySet) -> ActionResult:
    """`assignment_remind` for many: refused rows name why; the rest are claimed and reminded set-based."""
    result = ActionResult()
    now = clock.now()
    rules = [(~permissions.remindable_by_filter(actor), NOT_ALLOWED), *_not_remindable_rules(now)]
    with transaction.atomic():
        candidates = refusals(selection, rules, result)
        claimed = reminders_claim(tenant_id=actor.tenant_id, candidates=candidates, now=now)
        _send(actor, claimed, now)
        # What was left but not claimed had been reminded by hand within 24 hours.
        recently = candidates.exclude(pk__in=claimed) if len(claimed) < 5000 else candidates.exclude(reminded_at=now)
        refusals(recently, [(Q(pk__isnull=False), REMINDED_RECENTLY)], result)
    result.done = len(claimed)
    return result


@dataclass(frozen=True)
class ActionRequest:
    action: str
    ids: list[int] | None
    query: AssignmentQuery | None
    due_date: dt.date | None
    reason: str


def assignments_act(*, actor: Person, request: ActionRequest) -> ActionResult:
    """`POST /api/v1/assignments/actions`: extend, withdraw or remind the items given by id or by the
    list's filter, each with the rules of one at a time; items the actor may not see are "not found"."""
    if request.action not in ACTIONS:
        raise ValidationFailed.on("action", _("must be one of %(actions)s") % {"actions": ", ".join(ACTIONS)})
    if (request.ids is None) == (request.query is None):
        raise ValidationFailed.on("ids", _("give either ids or filter (not both)"))
    if request.ids is not None and not request.ids:
        raise ValidationFailed.on("ids", _("give at least one id"))
    if request.ids is not None and len(request.ids) > MAX_ACTION_IDS:
        raise ValidationFailed.on(
            "ids", _("at most %(count)d ids per call (use filter for more)") % {"count": MAX_ACTION_IDS}
        )
    if request.action == "extend":
        if request.due_date is None:
            raise ValidationFailed.on("due_date", _("is required to extend"))
        if not request.reason.strip():
            raise ValidationFailed.on("reason", _("is required to extend"))
    if not permissions.can_assign_at_all(actor):
        raise forbidden(f"{request.action} assignments")
    result = ActionResult()
    selection = assignments_matching(actor=actor, query=request.query or AssignmentQuery())
    if request.ids is not None:
        wanted = set(request.ids)
        selection = selection.filter(pk__in=sorted(wanted))
        seen = set(selection.values_list("pk", flat=True))
        missing = sorted(wanted - seen)
        result.add_failures([(pk, NOT_FOUND) for pk in missing], {NOT_FOUND: len(missing)} if missing else {})
    if request.action == "remind":
        done = reminders_send_now(actor=actor, selection=selection)
    elif request.action == "extend":
        assert request.due_date is not None
        done = bulk_actions.assignments_extend(
            actor=actor, selection=selection, due_date=request.due_date, reason=request.reason.strip()
        )
    else:
        done = bulk_actions.assignments_withdraw_many(actor=actor, selection=selection, reason=request.reason.strip())
    result.done = done.done
    result.add_failures(((row["id"], row["reason"]) for row in done.failed), done.failed_by_reason)
    return result
