from django.http import HttpRequest
from ninja import Query, Router, Status

from duecourse.assignments.selectors import access_assignment
from duecourse.core.api import ERROR_RESPONSES, actor_of
from duecourse.core.errors import forbidden
from duecourse.notifications import manual_reminders, permissions, services
from duecourse.notifications.models import OutboxMessage
from duecourse.notifications.rendering import items_for
from duecourse.notifications.schemas import (
    ActionIn,
    ActionOut,
    InboxFilters,
    MarkReadIn,
    NotificationList,
    OutboxFilters,
    OutboxList,
    PreferencesIO,
    RemindedRecentlyOut,
    RemindOut,
)

router = Router()
PREFERENCE_FIELDS = (
    "email_assigned",
    "email_reminders",
    "email_changes",
    "email_certificates",
    "manager_daily_digest",
    "weekly_digest",
)


@router.get("/me/notifications", response={200: NotificationList, **ERROR_RESPONSES}, summary="My inbox")
def my_notifications(request: HttpRequest, filters: Query[InboxFilters]):
    actor = actor_of(request)
    items = services.inbox(actor=actor, unread=filters.unread)
    page = list(items[filters.offset : filters.offset + filters.limit])
    rendered = items_for(page)
    return {
        "count": items.count(),
        "unread": services.inbox(actor=actor, unread=True).count(),
        "items": [
            {
                "id": n.pk,
                "kind": n.kind,
                "text": item.headline,
                "link": item.link,
                "assignment_id": n.assignment_id,
                "about_person_id": n.about_id,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n, item in zip(page, rendered, strict=True)
        ],
    }


@router.post("/me/notifications/read", response={200: dict, **ERROR_RESPONSES}, summary="Mark notifications read")
def mark_read(request: HttpRequest, payload: MarkReadIn):
    return {"marked": services.mark_read(actor=actor_of(request), notification_ids=payload.ids)}


@router.get(
    "/me/notification-preferences",
    response={200: PreferencesIO, **ERROR_RESPONSES},
    summary="Which emails I get (the inbox always has everything)",
)
def get_preferences(request: HttpRequest):
    pref = services.preferences_of(actor_of(request))
    return {f: getattr(pref, f) for f in PREFERENCE_FIELDS}


@router.patch(
    "/me/notification-preferences",
    response={200: PreferencesIO, **ERROR_RESPONSES},
    summary="Change which emails I get",
)
def patch_preferences(request: HttpRequest, payload: PreferencesIO):
    pref = services.preferences_update(actor=actor_of(request), data=payload.to_input())
    return {f: getattr(pref, f) for f in PREFERENCE_FIELDS}


@router.get("/outbox", response={200: OutboxList, **ERROR_RESPONSES}, summary="Emails and their delivery (admins)")
def outbox(request: HttpRequest, filters: Query[OutboxFilters]):
    actor = actor_of(request)
    if not permissions.can_view_outbox(actor):
        raise forbidden("see the outbox")
    items = OutboxMessage.objects.filter(tenant_id=actor.tenant_id)
    if filters.state:
        items = items.filter(state=filters.state)
    items = items.order_by("-created_at", "-id")
    return {"count": items.count(), "items": list(items[filters.offset : filters.offset + filters.limit])}


# --- reminders by hand and actions on many assignments --------------------------------------------
@router.post(
    "/assignments/{int:assignment_id}/remind",
    response={202: RemindOut, 429: RemindedRecentlyOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Send the learner a reminder now (once in a rolling 24 hours)",
    description=(
        "202: a reminder notification to the learner (inbox and email through the outbox), audited. 429 with "
        "`last_sent_at` when one was sent by hand within the last 24 hours. Admins, instructors and the "
        "person's manager; HR and learners 403. A completed, withdrawn, exempt or hidden assignment: 409 naming why."
    ),
)
def remind_assignment(request: HttpRequest, assignment_id: int):
    actor = actor_of(request)
    assignment = access_assignment(actor=actor, assignment_id=assignment_id)
    sent_at = manual_reminders.assignment_remind(actor=actor, assignment=assignment)
    return Status(202, {"id": assignment.pk, "last_sent_at": sent_at})


@router.post(
    "/assignments/actions",
    response={200: ActionOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Extend, withdraw or remind many assignments (by ids or by the list's filter)",
    description=(
        "Each item with the rules of one at a time; items the caller may not act on, or that a rule refuses, "
        f"are `failed` rows with a reason (the first {manual_reminders.bulk_actions.MAX_FAILED_ROWS}, with "
        "`failed_count` and `failed_by_reason`). `extend` needs `due_date` and `reason` (audited; the learner "
        "is told). `remind`: once per item in a rolling 24 hours. At most "
        f"{manual_reminders.MAX_ACTION_IDS} `ids`; a `filter` may match any number."
    ),
)
def act_on_assignments(request: HttpRequest, payload: ActionIn):
    result = manual_reminders.assignments_act(actor=actor_of(request), request=payload.to_request())
    return {
        "done": result.done,
        "failed": result.failed,
        "failed_count": result.failed_count,
        "failed_by_reason": result.failed_by_reason,
    }
