"""Exemptions: an admin or instructor excuses a person from a group- or rule-held assignment.

While an exemption runs the assignment's status is "exempt" (`status.STATUS_RULE`: a completion still
beats it; it beats every open status and expired), so it is not overdue, reminded, escalated or
flagged, rules leave it alone and compliance counts it apart. After its `until` day (the person's
time zone, like due dates) the original due date applies again. An assignment held only by
individual sources is not exempted: whoever assigned it withdraws it instead.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.utils.translation import gettext as _

from duecourse.assignments import permissions
from duecourse.assignments.domain import local_date
from duecourse.assignments.inputs import ExemptionInput
from duecourse.assignments.limits import LATEST_DUE_DATE, MAX_REASON_LENGTH
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.assignments.signals import assignments_changed
from duecourse.core import clock
from duecourse.core.audit import audit_record
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.sql import LocalDayEnd
from duecourse.core.timezones import local_day_end
from duecourse.people.models import Person

# Sources that an exemption can stand against: whoever holds the assignment through them cannot simply
# withdraw it for one person (a group, an org unit, everyone, new starters, a rule).
SHARED_SOURCE_KINDS = ("group", "org_unit", "everyone", "new_starter", "rule")
EXEMPTION_FIELDS = ("exempt_at", "exempt_until", "exempt_reason", "exempt_by_id")


def _snapshot(assignment: Assignment) -> dict[str, Any]:
    values = {key: getattr(assignment, key) for key in (*EXEMPTION_FIELDS, "compliance_flag")}
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}


def _clean(data: ExemptionInput, *, today: dt.date) -> tuple[str, dt.date | None]:
    errors: list[FieldError] = []
    reason = data.reason.strip()
    if not reason or len(reason) > MAX_REASON_LENGTH or "\x00" in reason:
        errors.append(
            FieldError("reason", _("is required: say why (at most %(max)s characters)") % {"max": MAX_REASON_LENGTH})
        )
    if data.until is not None and not today <= data.until <= LATEST_DUE_DATE:
        errors.append(
            FieldError(
                "until",
                _("must be a date from today (%(today)s) to %(latest)s")
                % {"today": f"{today:%Y-%m-%d}", "latest": LATEST_DUE_DATE.year},
            )
        )
    if errors:
        raise ValidationFailed(detail=_("Invalid exemption"), errors=errors)
    return reason, data.until


def _save_exemption(*, actor: Person, assignment: Assignment, action: str, before: dict[str, Any], reason: str) -> None:
    """Store the exemption fields as set on `assignment`, audit the change and tell notifications."""
    fields = ["exempt_at", "exempt_until", "exempt_ends_at", "exempt_reason", "exempt_by_id", "compliance_flag"]
    assignment.save(update_fields=fields)
    audit_record(
        tenant_id=assignment.tenant_id,
        actor_id=actor.pk,
        action=action,
        object_type="assignment",
        object_id=assignment.pk,
        before=before,
        after=_snapshot(assignment),
        reason=reason,
    )
    assignments_changed.send(
        sender=Assignment,
        tenant_id=assignment.tenant_id,
        operation_id=None,
        assignment_ids=[assignment.pk],
        event="updated",
    )


def exemption_grant(*, actor: Person, assignment: Assignment, data: ExemptionInput) -> Assignment:
    """Exempt the person from a group- or rule-held assignment (again: the reason and until change)."""
    if not permissions.can_exempt(actor):
        raise forbidden("exempt people from assignments")
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().select_related("person").get(pk=assignment.pk)
        reason, until = _clean(data, today=local_date(clock.now(), locked.person.timezone))
        if locked.withdrawn_at is not None:
            raise Conflict(detail=_("This assignment is withdrawn; there is nothing to exempt from"))
        shared = AssignmentSource.objects.filter(assignment=locked, kind__in=SHARED_SOURCE_KINDS).exists()
        if not shared:
            raise Conflict(
                detail=_("Only individual assignments hold this; withdraw it instead of exempting"),
                errors=[FieldError("sources", _("held only by individual assignments: withdraw it instead"))],
            )
        before = _snapshot(locked)
        now = clock.now()
        locked.exempt_at = now
        locked.exempt_until = until
        locked.exempt_ends_at = local_day_end(until, locked.person.timezone) if until else None
        locked.exempt_reason = reason
        locked.exempt_by_id = actor.pk
        locked.compliance_flag = False  # an exempt item is not non-compliant (the flag sweep skips it)
        _save_exemption(actor=actor, assignment=locked, action="assignment.exempt", before=before, reason=reason)
    return locked


def exemption_end(*, actor: Person, assignment: Assignment, reason: str = "") -> Assignment:
    """End an exemption now: the assignment is open again with its due date (overdue at once if passed)."""
    if not permissions.can_exempt(actor):
        raise forbidden("end exemptions from assignments")
    reason = reason.strip()[:MAX_REASON_LENGTH]
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.exempt_at is None:
            return locked
        before = _snapshot(locked)
        locked.exempt_at = locked.exempt_until = locked.exempt_ends_at = locked.exempt_by_id = None
        locked.exempt_reason = ""
        _save_exemption(actor=actor, assignment=locked, action="assignment.exemption_end", before=before, reason=reason)
    return locked


def refresh_exemption_ends(*, tenant_id: int, person_ids: Iterable[int] | None = None) -> int:
    """After a time-zone change: each exemption with an `until` ends at the end of that day in the new zone."""
    person_timezone = Person.objects.filter(pk=OuterRef("person_id")).values("timezone")[:1]
    instant = LocalDayEnd(F("exempt_until"), Subquery(person_timezone, output_field=CharField()))
    scope = Assignment.objects.filter(tenant_id=tenant_id, withdrawn_at__isnull=True, exempt_until__isnull=False)
    if person_ids is not None:
        scope = scope.filter(person_id__in=list(person_ids))
    ids = list(
        scope.annotate(new_ends_at=instant).exclude(exempt_ends_at=F("new_ends_at")).values_list("pk", flat=True)
    )
    return Assignment.objects.filter(pk__in=ids).update(exempt_ends_at=instant) if ids else 0
