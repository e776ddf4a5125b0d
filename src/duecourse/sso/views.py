"""Single sign-on pages: start the flow, the provider's callback, and the admins' sign-in settings.

Thin: the flow is `sso.flow` (on Authlib), the people side `people.identities`, the rules `people.sign_in`.
Every refusal is a page that says what happened and changes nothing, and is logged.
"""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, person_view, safe_next_url
from duecourse.people.authentication import SESSION_BACKEND
from duecourse.people.identities import (
    Refusal,
    SignInRefused,
    issuer_to_check,
    oidc_sign_in,
    sso_connection_update,
)
from duecourse.people.models import SsoConnection
from duecourse.people.permissions import can_manage_sign_in
from duecourse.people.sign_in import EnvironmentSso, sso_settings_for
from duecourse.sso import flow
from duecourse.sso.client import ProviderError, check_connection
from duecourse.sso.forms import SignInSettingsForm, SsoStartForm

log = logging.getLogger(__name__)

NEUTRAL = gettext_lazy(
    "We could not start signing in with your organisation for this address. Check the address, or sign in "
    "with your duecourse password; your L&D team can tell you how your organisation signs in."
)
REFUSALS = {
    Refusal.UNKNOWN_PERSON: (
        gettext_lazy("Your organisation has not added you to duecourse"),
        gettext_lazy(
            "Your organisation signed you in, but nobody with your account is in duecourse yet. "
            "Ask your L&D team to add you."
        ),
    ),
    Refusal.DEACTIVATED: (
        gettext_lazy("Your duecourse account is deactivated"),
        gettext_lazy(
            "Your organisation signed you in, but your duecourse account has been deactivated. If you think this "
            "is a mistake, ask your L&D team."
        ),
    ),
    Refusal.EMAIL_REFUSED: (
        gettext_lazy("This account cannot sign in to duecourse"),
        gettext_lazy(
            "Your organisation signed you in, but duecourse cannot match the account to a person: %(detail)s. "
            "Ask your L&D team."
        ),
    ),
    Refusal.LINKED_TO_ANOTHER_ACCOUNT: (
        gettext_lazy("Your duecourse account is linked to another account"),
        gettext_lazy(
            "Your organisation signed you in, but your duecourse account is linked to a different account at your "
            "organisation's sign-in service. Ask your duecourse admin: they can unlink single sign-on on your page "
            "in duecourse, and your next sign-in then links the account you use now."
        ),
    ),
    Refusal.NOT_CREATED: (
        gettext_lazy("We could not add you to duecourse"),
        gettext_lazy(
            "Your organisation signed you in, but its account details could not become a duecourse person "
            "(%(detail)s). Ask your L&D team."
        ),
    ),
}


@require_GET
def start(request):
    """GET /login/sso/?email=…|tenant=…[&next=…]: off to the organisation's provider, or one neutral page."""
    form = SsoStartForm(request.GET)
    if not form.is_valid():
        return render(request, "sso/problem.html", {"title": _("Sign in with your organisation"), "message": NEUTRAL})
    email, tenant = form.cleaned_data["email"], form.cleaned_data["tenant"]
    sso = flow.settings_for_request(email=email, tenant_name=tenant)
    if sso is None:
        log.info("sso: no single tenant with single sign-on for email=%r tenant=%r", email[:80], tenant[:80])
        return render(request, "sso/problem.html", {"title": _("Sign in with your organisation"), "message": NEUTRAL})
    try:
        url = flow.authorization_redirect(
            request, sso, email=email.strip().lower(), next_url=safe_next_url(request, form.cleaned_data["next"])
        )
    except ProviderError as exc:
        log.warning("sso: cannot start for tenant %s: %s", sso.tenant_id, exc)
        context = {"title": _("Sign in with your organisation"), "message": _(flow.Failure.PROVIDER_UNREACHABLE.value)}
        return render(request, "sso/problem.html", context, status=502)
    if form.cleaned_data["via"] == "form":
        # The CSP's form-action ('self') stops a form submission from being redirected to another site, so
        # the login page's form lands here and a link (followed at once by app.js) goes on to the provider.
        return render(request, "sso/continue.html", {"url": url})
    return HttpResponseRedirect(url)


@require_GET
def callback(request):
    """The redirect URI: validate the provider's answer, find the person, sign them in."""
    try:
        done = flow.complete(request)
    except flow.CallbackRefused as exc:
        log.warning("sso: callback refused (%s): %s", exc.failure.name, exc.detail)
        message = _(exc.failure.value)  # noqa: INT001 (the values are marked with gettext_noop)
        if exc.failure is flow.Failure.PROVIDER_REFUSED and exc.detail:
            message = f"{message} ({exc.detail[:200]})."
        context = {"title": _("Signing in did not work"), "message": message, "nothing_changed": True}
        return render(request, "sso/problem.html", context, status=400)
    try:
        person = oidc_sign_in(sso=done.sso, claims=done.claims)
    except SignInRefused as exc:
        log.warning(
            "sso: tenant %s refused %s (subject %r): %s",
            done.sso.tenant_id,
            exc.reason.value,
            done.claims.subject,
            exc.detail,
        )
        title, text = REFUSALS[exc.reason]
        context = {"title": title, "message": text % {"detail": exc.detail}, "nothing_changed": True}
        return render(request, "sso/problem.html", context, status=403)
    login(request, person.user, backend=SESSION_BACKEND)
    request.session[flow.SESSION_KEY] = {"tenant_id": done.sso.tenant_id, "id_token": done.id_token}
    return HttpResponseRedirect(safe_next_url(request, done.next_url) or reverse("home"))


@require_http_methods(["GET", "POST"])
@person_view
def settings_page(request):
    """/settings/sign-in/ (admins): the provider, who may sign in, SSO only, new people from claims."""
    actor = request.actor
    if not can_manage_sign_in(actor):
        raise forbidden("change how your organisation signs in")
    row = SsoConnection.objects.filter(tenant_id=actor.tenant_id).first()
    current = sso_settings_for(actor.tenant_id)
    env = EnvironmentSso.from_settings()
    env_fields = current.from_environment if current else frozenset()
    checked = check_error = None
    status = 200
    if request.method == "POST":
        form = SignInSettingsForm(request.POST)
        if form.is_valid() and request.POST.get("action") == "check":
            try:
                issuer = issuer_to_check(actor=actor, typed_issuer=form.cleaned_data["issuer"])
                checked = check_connection(issuer, guarded="issuer" not in env_fields)
            except ValidationFailed as exc:
                add_field_errors(form, exc)
            except ProviderError as exc:
                check_error = str(exc)
            status = 200 if checked else 422
        elif form.is_valid():
            try:
                sso_connection_update(actor=actor, data=form.to_input(), keep_session_key=request.session.session_key)
            except ValidationFailed as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, _("Saved how your organisation signs in."))
                return HttpResponseRedirect(reverse("sso:settings"))
        if form.errors:
            status = 422
    else:
        form = SignInSettingsForm(initial=_initial(row))
    context = {
        "form": form,
        "redirect_uri": flow.callback_url(),
        "post_logout_uri": flow.post_logout_url(),
        "secret_stored": bool(row and row.client_secret_sealed) or "client_secret" in env_fields,
        "env_fields": env_fields,
        "env": env if env_fields else None,
        "active": current is not None,
        "checked": checked,
        "check_error": check_error,
    }
    return render(request, "sso/settings.html", context, status=status)


def _initial(row: SsoConnection | None) -> dict:
    if row is None:
        return {"claim_name": "name"}
    return {
        "enabled": row.enabled,
        "issuer": row.issuer,
        "client_id": row.client_id,
        "allowed_domains": ", ".join(row.allowed_domains or []),
        "sso_only": row.sso_only,
        "create_people_on_first_login": row.create_people_on_first_login,
        "claim_name": row.claim_name,
        "claim_department": row.claim_department,
        "claim_manager_email": row.claim_manager_email,
    }
