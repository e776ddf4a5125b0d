from django.http import HttpRequest
from ninja import Query, Router

from duecourse.core.api import ERROR_RESPONSES, actor_of
from duecourse.core.errors import forbidden
from duecourse.notifications import permissions, services
from duecourse.notifications.models import OutboxMessage
from duecourse.notifications.rendering import items_for
from duecourse.notifications.schemas import (
    InboxFilters,
    MarkReadIn,
    NotificationList,
    OutboxFilters,
    OutboxList,
    PreferencesIO,
)

router = Router()
PREFERENCE_FIELDS = ("email_assigned", "email_reminders", "email_changes", "email_certificates", "manager_daily_digest")


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
