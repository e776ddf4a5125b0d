"""Web pages that belong to no single domain: login, home, audit log."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from duecourse.core.authentication import EmailPasswordBackend
from duecourse.core.errors import forbidden
from duecourse.core.forms import LoginForm
from duecourse.core.models import AuditEvent
from duecourse.people import rules as people_rules


def login_view(request):
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
            form.add_error(None, "Email or password is not right.")
        else:
            login(request, user, backend="duecourse.core.authentication.EmailPasswordBackend")
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = reverse("home")
            return HttpResponseRedirect(next_url or reverse("home"))
    return render(request, "core/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are logged out.")
    return HttpResponseRedirect(reverse("login"))


@login_required
def home(request):
    actor = request.actor
    if not actor:
        logout(request)
        return HttpResponseRedirect(reverse("login"))
    return render(request, "core/home.html", {"person": actor})


@login_required
def audit_log(request):
    actor = request.actor
    if not actor or not people_rules.can_view_audit_log(actor):
        raise_http_forbidden()
    events = AuditEvent.objects.filter(tenant_id=actor.tenant_id).order_by("-at", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page})


def raise_http_forbidden():
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied(str(forbidden("see the audit log")))
