"""Web pages that belong to no single domain: login, home, audit log."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from duecourse.core.errors import forbidden
from duecourse.core.models import AuditEvent
from duecourse.core.web import person_view
from duecourse.groups import permissions as group_permissions
from duecourse.people import permissions as people_permissions
from duecourse.people import roles
from duecourse.people import selectors as people_selectors
from duecourse.people.authentication import EmailPasswordBackend
from duecourse.shell.forms import LoginForm
from duecourse.shell.presenters import audit_row

AUDIT_PAGE_SIZE = 50


def login_view(request):
    if request.user.is_authenticated and request.actor:
        return HttpResponseRedirect(reverse("home"))
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        user = EmailPasswordBackend().authenticate(
            request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            tenant=form.cleaned_data.get("organisation") or None,
        )
        if user is None:
            form.add_error(None, "That email and password do not match an active account.")
        else:
            login(request, user, backend="duecourse.people.authentication.EmailPasswordBackend")
            safe = url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            return HttpResponseRedirect(next_url if next_url and safe else reverse("home"))
    return render(request, "shell/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return HttpResponseRedirect(reverse("login"))


@person_view
def home(request):
    actor = request.actor
    reports = people_selectors.person_direct_reports(actor=actor, person=actor).filter(active=True)
    context = {
        "person": actor,
        "roles": actor.role_names,
        "report_count": reports.count(),
        "reports_preview": list(reports[:6]),
        "sees_directory": roles.sees_whole_tenant(actor),
        "sees_groups": group_permissions.can_view_groups(actor),
        "manages_people": people_permissions.can_manage_people(actor),
        "manages_groups": group_permissions.can_manage_groups(actor),
        "sees_audit_log": people_permissions.can_view_audit_log(actor),
    }
    return render(request, "shell/home.html", context)


@person_view
def audit_log(request):
    actor = request.actor
    if not people_permissions.can_view_audit_log(actor):
        raise forbidden("see the audit log")
    events = AuditEvent.objects.filter(tenant_id=actor.tenant_id).order_by("-at", "-id")
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    actor_ids = {event.actor_id for event in page.object_list if event.actor_id}
    actors = {p.pk: p for p in people_selectors.person_list(actor=actor).filter(pk__in=actor_ids)}
    rows = [audit_row(event, actors.get(event.actor_id)) for event in page.object_list]
    return render(request, "shell/audit_log.html", {"page": page, "rows": rows})
