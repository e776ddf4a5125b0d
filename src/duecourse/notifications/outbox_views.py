"""/settings/outbox/: the emails held (a template or attachment could not be rendered) or given up as
failed, newest first, with the reason: where the home overview's "held" and "failed" figures lead
(admins, as `GET /api/v1/outbox`)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from duecourse.core.errors import forbidden
from duecourse.core.web import person_view
from duecourse.notifications import permissions
from duecourse.notifications.models import OutboxMessage

PAGE_SIZE = 50
PROBLEM_STATES = (OutboxMessage.HELD, OutboxMessage.FAILED)


@person_view
def outbox_problems_view(request):
    actor = request.actor
    if not permissions.can_view_outbox(actor):
        raise forbidden("see the outbox")
    state = request.GET.get("state", "")
    states = [state] if state in PROBLEM_STATES else list(PROBLEM_STATES)
    messages = (
        OutboxMessage.objects.filter(tenant_id=actor.tenant_id, state__in=states)
        .only("to_email", "subject", "state", "created_at", "attempts", "last_error", "template")
        .order_by("-created_at", "-id")
    )
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state if state in PROBLEM_STATES else "",
        "query": f"state={state}" if state in PROBLEM_STATES else "",
    }
    return render(request, "notifications/outbox_problems.html", context)
