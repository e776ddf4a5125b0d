"""The Provisioning (SCIM) settings page (admins): the URL to give the identity provider, its tokens (a new
one shown once), and what it changed lately. The same services and selectors as /api/v1/scim-tokens."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, person_view
from duecourse.scim import permissions, token_selectors, tokens
from duecourse.scim.token_presenters import activity_row

SCIM_PATH = "/scim/v2/"


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=tokens.MAX_SCIM_TOKEN_NAME_LENGTH,
        label=gettext_lazy("Token name"),
        help_text=gettext_lazy("Which identity provider uses it; the audit log names its changes “SCIM: <name>”."),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Microsoft Entra ID"), "autocomplete": "off"}),
    )


def scim_base_url() -> str:
    """What the identity provider calls: the Tenant URL (Entra ID), the SCIM connector base URL (Okta)."""
    return settings.BASE_URL.rstrip("/") + SCIM_PATH


def _page(request, *, form: ScimTokenForm, new_token: str | None = None, status: int = 200):
    actor = request.actor
    if not permissions.can_manage_scim_tokens(actor):
        raise forbidden("manage provisioning (SCIM)")
    context = {
        "scim_url": scim_base_url(),
        "tokens": list(token_selectors.scim_token_list(actor=actor)),
        "activity": [activity_row(e) for e in token_selectors.scim_recent_activity(actor=actor)],
        "form": form,
        "new_token": new_token,
    }
    return render(request, "scim/provisioning.html", context, status=status)


@never_cache
@require_GET
@person_view
def provisioning_page(request):
    return _page(request, form=ScimTokenForm())


@never_cache  # the answer holds the new token's secret: no browser or proxy cache keeps it
@require_POST
@person_view
def token_create_view(request):
    actor = request.actor
    if not permissions.can_manage_scim_tokens(actor):
        raise forbidden("create SCIM tokens")
    form = ScimTokenForm(request.POST)
    if form.is_valid():
        try:
            _, secret = tokens.scim_token_create(actor=actor, name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            return _page(request, form=ScimTokenForm(), new_token=secret)
    return _page(request, form=form, status=422)


@require_POST
@person_view
def token_revoke_view(request, token_id: int):
    actor = request.actor
    token = token_selectors.access_scim_token(actor=actor, token_id=token_id)
    label = token.name or token.prefix
    if tokens.scim_token_revoke(actor=actor, token=token):
        messages.success(
            request, _("SCIM token %(name)s is revoked: the identity provider can no longer use it.") % {"name": label}
        )
    else:
        messages.info(request, _("SCIM token %(name)s was already revoked.") % {"name": label})
    return HttpResponseRedirect(reverse("provisioning:page") + "#scim-tokens")
