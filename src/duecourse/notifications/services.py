"""Writing inbox notifications (set-based, in the transaction of the change) and turning them into emails."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    JSONField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import exemption_running_filter
from duecourse.core import clock
from duecourse.core.sql import insert_select_ignore_conflicts, typed_value
from duecourse.notifications.inputs import PreferencesInput
from duecourse.notifications.models import (
    EMAIL_PENDING,
    Notification,
    NotificationPreference,
)
from duecourse.people.models import Person

logger = logging.getLogger(__name__)
# The columns a set-based INSERT … SELECT into the outbox fills, in this order (delivery, invitations).
OUTBOX_COLUMNS = [
    "tenant_id",
    "person_id",
    "to_email",
    "subject",
    "body_text",
    "body_html",
    "dedup_key",
    "state",
    "created_at",
    "attempts",
    "next_attempt_at",
    "last_error",
    "rendered",
    "template",
]
NOTIFICATION_COLUMNS = [
    "tenant_id",
    "person_id",
    "kind",
    "assignment_id",
    "about_id",
    "data",
    "template",
    "dedup_key",
    "created_at",
    "email_state",
    "operation_id",
]


def notify_assignments(
    *,
    tenant_id: int,
    assignments: QuerySet,
    kind: str,
    now: dt.datetime,
    recipient: str = "person_id",
    dedup_prefix: str | None = None,
    data: dict | None = None,
    operation_id: int | None = None,
) -> int:
    """One inbox notification per assignment, one statement. Hidden ones are prepared silently, and a
    person is not told about what they are exempt from (a running exemption) except its withdrawal."""
    rows = assignments.filter(tenant_id=tenant_id).exclude(visibility="hidden")
    if kind != "withdrawn":
        rows = rows.exclude(exemption_running_filter(now))
    if recipient != "person_id":
        rows = rows.filter(**{f"{recipient}__isnull": False})
    dedup = (
        Concat(Value(dedup_prefix), Cast("pk", output_field=CharField()), output_field=CharField())
        if dedup_prefix
        else typed_value(None, CharField())
    )
    select = rows.values_list(
        "tenant_id",
        recipient,
        typed_value(kind, CharField()),
        "pk",
        "person_id",
        typed_value(data or {}, JSONField()),
        typed_value("", CharField()),
        dedup,
        typed_value(now, DateTimeField()),
        typed_value(EMAIL_PENDING, CharField()),
        typed_value(operation_id, BigIntegerField()),
    )
    return insert_select_ignore_conflicts(Notification._meta.db_table, NOTIFICATION_COLUMNS, select)


def notify_expiry(*, tenant_id: int, assignments: QuerySet, kind: str, now: dt.datetime) -> int:
    """The "expiring" or "expired" notice of each assignment's completion, once: keyed by assignment, the
    cycle that completion closed (the one before a re-opened assignment's) and its expiry. Hidden items and
    running exemptions get none. One statement."""
    rows = (
        assignments.filter(tenant_id=tenant_id, withdrawn_at__isnull=True, expires_at__isnull=False)
        .exclude(visibility="hidden")
        .exclude(exemption_running_filter(now))
    )
    completed_cycle = Case(
        When(completed_at__isnull=True, then=F("cycle") - 1), default=F("cycle"), output_field=IntegerField()
    )
    dedup = Concat(
        Value(f"{kind}:"),
        Cast("pk", CharField()),
        Value(":"),
        Cast(completed_cycle, CharField()),
        Value(":"),
        Cast("expires_at", CharField()),
        output_field=CharField(),
    )
    select = rows.values_list(
        "tenant_id",
        "person_id",
        typed_value(kind, CharField()),
        "pk",
        "person_id",
        typed_value({}, JSONField()),
        typed_value("", CharField()),
        dedup,
        typed_value(now, DateTimeField()),
        typed_value(EMAIL_PENDING, CharField()),
        typed_value(None, BigIntegerField()),
    )
    return insert_select_ignore_conflicts(Notification._meta.db_table, NOTIFICATION_COLUMNS, select)


def notify_person(
    *,
    tenant_id: int,
    person_id: int,
    kind: str,
    about_id: int | None = None,
    assignment_id: int | None = None,
    data: dict | None = None,
    dedup_key: str | None = None,
) -> Notification | None:
    if dedup_key and Notification.objects.filter(tenant_id=tenant_id, dedup_key=dedup_key).exists():
        return None
    return Notification.objects.create(
        tenant_id=tenant_id,
        person_id=person_id,
        kind=kind,
        about_id=about_id,
        assignment_id=assignment_id,
        data=data or {},
        dedup_key=dedup_key,
        created_at=clock.now(),
    )


# --- preferences and inbox -----------------------------------------------------------------------
def preferences_of(person: Person) -> NotificationPreference:
    pref = NotificationPreference.objects.filter(person=person).first()
    return pref or NotificationPreference(tenant_id=person.tenant_id, person=person)


def preferences_update(*, actor: Person, data: PreferencesInput) -> NotificationPreference:
    """Turn the given email switches on or off; a switch given as None stays as it is."""
    changes = {key: value for key, value in data.given().items() if value is not None}
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.get_or_create(person=actor, defaults={"tenant_id": actor.tenant_id})
        for key, value in changes.items():
            setattr(pref, key, value)
        pref.save()
    return pref


def inbox(*, actor: Person, unread: bool | None = None) -> QuerySet:
    items = Notification.objects.filter(tenant_id=actor.tenant_id, person=actor)
    if unread is True:
        items = items.filter(read_at__isnull=True)
    elif unread is False:
        items = items.filter(read_at__isnull=False)
    return items.select_related("about", "assignment").order_by("-created_at", "-id")


def mark_read(*, actor: Person, notification_ids: list[int] | None) -> int:
    items = Notification.objects.filter(tenant_id=actor.tenant_id, person=actor, read_at__isnull=True)
    if notification_ids is not None:
        items = items.filter(pk__in=notification_ids)
    return items.update(read_at=clock.now())


def base_url() -> str:
    return settings.BASE_URL


def assignment_link(assignment: Assignment | None) -> str:
    return f"{base_url()}/" if assignment is None else f"{base_url()}/learning/{assignment.pk}/"
