"""Web pages that belong to no single domain: login, home, audit log."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.models import AuditEvent
from duecourse.core.web import add_field_errors, person_view, safe_next_url
from duecourse.groups import permissions as group_permissions
from duecourse.people import permissions as people_permissions
from duecourse.people import roles, throttle
from duecourse.people import selectors as people_selectors
from duecourse.people import services as people_services
from duecourse.people.authentication import SESSION_BACKEND, password_refused_for
from duecourse.people.limits import MIN_PASSWORD_LENGTH
from duecourse.people.passwords import RESET_LINK_INVALID
from duecourse.people.sign_in import (
    SSO_ONLY_MESSAGE,
    environment_tenant,
    password_sign_in_refused,
    sso_configured_anywhere,
    sso_settings_for,
    tenant_named,
)
from duecourse.reports import dashboard
from duecourse.reports import permissions as report_permissions
from duecourse.reports.charts import percent, rate_tone
from duecourse.shell.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from duecourse.shell.presenters import audit_row
from duecourse.sso import flow as sso_flow

AUDIT_PAGE_SIZE = 50


LOGIN_FAILED = gettext_lazy(
    "That email and password do not match an active account. If your email is registered in several "
    "organisations, enter the organisation too."
)
RESET_SENT = gettext_lazy(
    "If an account exists for that address, we have sent a link to choose a new password. "
    "It works once, within an hour."
)


def _credentials(form) -> dict:
    return {
        "email": form.cleaned_data["email"],
        "password": form.cleaned_data["password"],
        "tenant": form.cleaned_data.get("organisation") or None,
    }


def _sign_in_options(request) -> dict:
    """What the login page offers: "Sign in with your organisation" when any tenant has single sign-on;
    no password form when the install's own tenant (environment) or the one named by ?tenant= is SSO only."""
    if not sso_configured_anywhere():
        return {"sso_offered": False, "password_offered": True}
    named = request.GET.get("tenant", "").strip()[:200]
    tenant = tenant_named(named) if named else environment_tenant()
    sso = sso_settings_for(tenant) if tenant is not None else None
    return {
        "sso_offered": True,
        "password_offered": not (sso and sso.sso_only),
        "sso_tenant": sso.tenant_name if sso else "",
        "sso_email_needed": sso is None,
    }


def login_view(request):
    if request.user.is_authenticated and request.actor:
        return HttpResponseRedirect(reverse("home"))
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    options = _sign_in_options(request)
    if request.method == "POST" and form.is_valid():
        # Through Django's authenticate(): axes refuses a locked account or address first (the middleware
        # then answers with `login_locked_out`), and counts the failures. The backend refuses people whose
        # organisation signs in by SSO only; the message then says so.
        user = authenticate(request, **_credentials(form))
        if user is None:
            credentials = _credentials(form)
            sso_only = password_refused_for(credentials["email"], credentials["tenant"])
            form.add_error(None, SSO_ONLY_MESSAGE if sso_only else LOGIN_FAILED)
        else:
            login(request, user, backend=SESSION_BACKEND)
            throttle.forget_account_failures(request, _credentials(form))
            return HttpResponseRedirect(safe_next_url(request, next_url) or reverse("home"))
    return render(request, "shell/login.html", {"form": form, "next": next_url, **options})


def login_locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page again, with how long the lock lasts (429)."""
    form = LoginForm(request.POST or None)
    form.is_valid()
    form.add_error(None, throttle.locked_message(throttle.minutes_left(request, credentials)))
    next_url = request.POST.get("next") or ""
    context = {"form": form, "next": next_url, **_sign_in_options(request)}
    return render(request, "shell/login.html", context, status=429)


def password_forgot(request):
    """Ask for a reset link: the same answer, after the same work, whether or not the account exists."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, organisation = form.cleaned_data["email"], form.cleaned_data.get("organisation") or None
        if password_refused_for(email, organisation):
            form.add_error(None, SSO_ONLY_MESSAGE)
            return render(request, "shell/password_forgot.html", {"form": form}, status=403)
        people_services.password_reset_request(email=email, tenant_name=organisation)
        return render(request, "shell/password_forgot.html", {"form": None, "sent": RESET_SENT})
    return render(request, "shell/password_forgot.html", {"form": form})


def password_reset(request, person_id: int, token: str):
    """Choose a new password through a reset link; then every session ends and this browser signs in."""
    person = people_services.password_reset_person(person_id=person_id, token=token)
    if person is None:
        return render(request, "shell/password_reset.html", {"invalid": RESET_LINK_INVALID}, status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = people_services.password_reset_complete(
                person_id=person_id, token=token, password=form.cleaned_data["new_password"]
            )
        except ValidationFailed as exc:
            if any(error.field == "token" for error in exc.errors):  # it expired while the page was open
                return render(request, "shell/password_reset.html", {"invalid": RESET_LINK_INVALID}, status=400)
            add_field_errors(form, exc, {"password": "new_password"})
        else:
            logout(request)  # whoever was signed in here, the person now signs in afresh
            login(
                request,
                people_services.person_user(person),
                backend=SESSION_BACKEND,
            )
            messages.success(request, _("Your password is changed, and you are signed in. Other sessions have ended."))
            return HttpResponseRedirect(reverse("home"))
    context = {"form": form, "person": person, "min_length": MIN_PASSWORD_LENGTH}
    return render(request, "shell/password_reset.html", context)


@person_view
def password_change(request):
    """A signed-in person changes their own password; their other sessions end, this one stays."""
    if password_sign_in_refused(request.actor):
        return render(request, "shell/password_change.html", {"sso_only": SSO_ONLY_MESSAGE}, status=403)
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people_services.password_change(
                actor=request.actor,
                current=form.cleaned_data["current_password"],
                new=form.cleaned_data["new_password"],
            )
        except ValidationFailed as exc:
            add_field_errors(form, exc, {"password": "new_password"})
        else:
            update_session_auth_hash(request, people_services.person_user(request.actor))
            messages.success(request, _("Your password is changed. Your sessions elsewhere have ended."))
            return HttpResponseRedirect(reverse("password-change"))
    return render(request, "shell/password_change.html", {"form": form, "min_length": MIN_PASSWORD_LENGTH})


@require_POST
def logout_view(request):
    """End the duecourse session; after single sign-on, also at the provider when it offers that."""
    provider_logout = sso_flow.end_session_after_logout(request)
    logout(request)
    if provider_logout:
        # A link, followed at once by app.js: the CSP's form-action would block redirecting this form's
        # submission to the provider's site.
        context = {
            "url": provider_logout,
            "heading": _("Signing you out"),
            "text": _("You are signed out of duecourse. Now signing you out of your organisation’s account…"),
            "link_text": _("Sign out of your organisation’s account too"),
        }
        response = render(request, "sso/continue.html", context)
        messages.info(request, _("You are signed out."))  # after rendering: shown when the provider sends them back
        return response
    messages.info(request, _("You are signed out."))
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
        "overview": None,
    }
    if report_permissions.can_view_tenant_reports(actor):
        overview = dashboard.overview(actor=actor)
        context["overview"] = {**overview, "rate_text": percent(overview["rate"]), "tone": rate_tone(overview["rate"])}
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
