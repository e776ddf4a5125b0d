"""Tenant policy: the settings an admin sets once for the whole organisation.

- `overload_minutes_30d`: the bulk preview flags people with more open work due in 30 days;
- `default_reminder_plan`: the plan of assignments that bring none of their own;
- `escalation`: the overdue tiers (manager, HR, the compliance flag);
- `recert_window_days`: how many days before a completion expires its assignment re-opens for
  recertification, unless a rule holding it sets its own;
- `learning_minutes_per_day`: the minutes a day a person is expected to learn, against which the
  forecast (`assignments.forecast`) weighs an item's estimate;
- `timezone`: the organisation's own time zone (IANA), whose calendar day the daily compliance snapshot
  is taken for (each person's due dates and reminders keep their own zone);
- `managers_assign_down_the_line`: managers may assign to, remind and extend for their indirect reports
  too, not only their direct reports (`assignments.permissions.manages`; default off).

They live in `tenant.settings` (JSON). Readers elsewhere fall back to the defaults and skip what
is malformed; this module is the one writer, so what is stored is always valid.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duecourse.assignments.domain import overload_threshold_in, recert_window_in
from duecourse.assignments.forecast import (
    MAX_LEARNING_MINUTES_PER_DAY,
    MIN_LEARNING_MINUTES_PER_DAY,
    learning_minutes_per_day_in,
)
from duecourse.assignments.limits import MAX_RECERT_WINDOW_DAYS
from duecourse.assignments.permissions import DOWN_THE_LINE, down_the_line_in
from duecourse.assignments.reminder_plans import clean_reminder_plan
from duecourse.core.audit import audit_record
from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.models import Tenant
from duecourse.core.timezones import organisation_timezone_in
from duecourse.notifications.reminders import default_plan_in
from duecourse.people.models import Person
from duecourse.people.validation import known_timezones
from duecourse.policy import permissions
from duecourse.policy.escalation import escalation_tiers, validated_escalation
from duecourse.policy.inputs import TenantPolicyInput

POLICY_KEYS = (
    "overload_minutes_30d",
    "default_reminder_plan",
    "escalation",
    "recert_window_days",
    "learning_minutes_per_day",
    "timezone",
    DOWN_THE_LINE,
)
MAX_OVERLOAD_MINUTES = 100_000


def tenant_policy(tenant_id: int) -> dict[str, Any]:
    """The policy in force: what the tenant set, and the defaults for the rest."""
    stored = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    return _effective(stored, tenant_id)


def _effective(stored: dict[str, Any], tenant_id: int) -> dict[str, Any]:
    # The same readers the product uses, so this shows exactly what is in force.
    return {
        "overload_minutes_30d": overload_threshold_in(stored),
        "default_reminder_plan": default_plan_in(stored, tenant_id=tenant_id),
        "escalation": escalation_tiers(stored),
        "recert_window_days": recert_window_in(stored),
        "learning_minutes_per_day": learning_minutes_per_day_in(stored),
        "timezone": organisation_timezone_in(stored),
        DOWN_THE_LINE: down_the_line_in(stored),
        "defaults": sorted(key for key in POLICY_KEYS if key not in stored),
    }


def tenant_policy_update(*, actor: Person, data: TenantPolicyInput) -> dict[str, Any]:
    """Change the settings given (admins only); `None` for one goes back to its default. Audited."""
    if not permissions.can_manage_settings(actor):
        raise forbidden("change the organisation's settings")
    clean = {key: _validated(key, value, actor.tenant_id) for key, value in data.given().items()}
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
        stored = dict(tenant.settings or {})
        before = {key: stored.get(key) for key in clean}
        for key, value in clean.items():
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
        if before != {key: stored.get(key) for key in clean}:
            Tenant.objects.filter(pk=tenant.pk).update(settings=stored)
            audit_record(
                tenant_id=tenant.pk,
                actor_id=actor.pk,
                action="tenant.settings_changed",
                object_type="tenant",
                object_id=tenant.pk,
                before=before,
                after=clean,
            )
    return _effective(stored, actor.tenant_id)


def _validated(key: str, value: Any, tenant_id: int) -> Any:
    if key not in POLICY_KEYS:
        raise ValidationFailed.on(
            key, _("unknown setting; the settings are %(keys)s") % {"keys": ", ".join(POLICY_KEYS)}
        )
    if value is None:
        return None
    if key == "overload_minutes_30d":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_OVERLOAD_MINUTES:
            raise ValidationFailed.on(
                key, _("must be a whole number of minutes from 1 to %(max)s") % {"max": MAX_OVERLOAD_MINUTES}
            )
        return value
    if key == "recert_window_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RECERT_WINDOW_DAYS:
            raise ValidationFailed.on(
                key, _("must be a whole number of days from 0 to %(max)s") % {"max": MAX_RECERT_WINDOW_DAYS}
            )
        return value
    if key == "learning_minutes_per_day":
        low, high = MIN_LEARNING_MINUTES_PER_DAY, MAX_LEARNING_MINUTES_PER_DAY
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationFailed.on(
                key, _("must be a whole number of minutes from %(low)s to %(high)s") % {"low": low, "high": high}
            )
        return value
    if key == "timezone":
        if not isinstance(value, str) or value.strip() not in known_timezones():
            raise ValidationFailed.on(
                key,
                _("%(value)s is not a known IANA time zone (e.g. Europe/London)") % {"value": repr(str(value)[:64])},
            )
        return value.strip()
    if key == DOWN_THE_LINE:
        if not isinstance(value, bool):
            raise ValidationFailed.on(key, _("must be true or false"))
        return value or None  # off is the default: stored as absent
    if key == "default_reminder_plan":
        try:
            return clean_reminder_plan(value, tenant_id=tenant_id)
        except ValueError as error:
            raise ValidationFailed.on(key, str(error)) from None
    return validated_escalation(value)
