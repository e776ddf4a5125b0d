"""The inbox, the bell in the top bar, and email preferences. Reads and writes go through the services."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from duecourse.assignments.selectors import access_assignment
from duecourse.core.errors import Conflict, ValidationFailed, not_found
from duecourse.core.web import add_field_errors, person_view
from duecourse.notifications import manual_reminders, services
from duecourse.notifications.forms import PreferencesForm
from duecourse.notifications.rendering import items_for
from duecourse.people.roles import has_reports

PAGE_SIZE = 30
BELL_MAX = 99


def _local(link: str) -> str:
    """A link of the site as a path: the rendered links carry the configured base URL for emails."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "") or "/"


@person_view
def inbox_view(request):
    actor = request.actor
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notifications = services.inbox(actor=actor, unread=True if show == "unread" else None)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(zip(page.object_list, items_for(list(page.object_list)), strict=True))
    context = {
        "rows": rows,
        "page": page,
        "show": show,
        "query": f"show={show}",
        "unread_count": services.inbox(actor=actor, unread=True).count(),
    }
    return render(request, "notifications/inbox.html", context)


@require_GET
@person_view
def bell_view(request):
    count = services.inbox(actor=request.actor, unread=True).count()
    return render(
        request, "notifications/_bell.html", {"unread": count, "shown": f"{BELL_MAX}+" if count > BELL_MAX else count}
    )


@person_view
def open_view(request, notification_id: int):
    """Follow a notification: it is read now, and the browser goes where it points."""
    actor = request.actor
    notification = services.inbox(actor=actor).filter(pk=notification_id).first()
    if notification is None:
        raise not_found("Notification")
    services.mark_read(actor=actor, notification_ids=[notification.pk])
    return HttpResponseRedirect(_local(items_for([notification])[0].link))


@require_POST
@person_view
def mark_read_view(request):
    actor = request.actor
    raw = request.POST.getlist("ids")
    ids = [int(v) for v in raw if v.isdigit() and len(v) < 19] if raw else None
    count = services.mark_read(actor=actor, notification_ids=ids)
    if ids is None:
        messages.success(
            request,
            ngettext("Marked %(count)d notification as read.", "Marked %(count)d notifications as read.", count)
            % {"count": count},
        )
    return HttpResponseRedirect(
        reverse("notifications:inbox")
        + (f"?show={request.POST['show']}" if request.POST.get("show") == "unread" else "")
    )


@person_view
def settings_view(request):
    actor = request.actor
    is_manager = has_reports(actor)
    if request.method == "POST":
        form = PreferencesForm(request.POST, is_manager=is_manager)
        if form.is_valid():
            try:
                services.preferences_update(actor=actor, data=form.to_input())
            except ValidationFailed as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, _("Saved your notification settings."))
                return HttpResponseRedirect(reverse("notifications:settings"))
    else:
        form = PreferencesForm(
            initial=PreferencesForm.initial_for(services.preferences_of(actor)), is_manager=is_manager
        )
    return render(request, "notifications/settings.html", {"form": form}, status=422 if form.errors else 200)


@require_POST
@person_view
def remind_view(request, assignment_id: int):
    """ "Send reminder now" (htmx): the fragment that replaces the button says what happened."""
    actor = request.actor
    assignment = access_assignment(actor=actor, assignment_id=assignment_id)
    context = {"assignment": assignment, "timezone": actor.timezone}
    try:
        context["sent_at"] = manual_reminders.assignment_remind(actor=actor, assignment=assignment)
    except manual_reminders.RemindedRecently as refused:
        context["reminded_at"] = refused.last_sent_at
    except Conflict as conflict:
        context["error"] = conflict.detail
    return render(request, "notifications/_remind_result.html", context)
