"""Invitation pages: send from a person's page or a selection of the list; accept a link (no login)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from duecourse.core import clock
from duecourse.core.errors import Conflict, ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, person_view
from duecourse.people import permissions, selectors
from duecourse.people.authentication import SESSION_BACKEND
from duecourse.people.invitation_forms import AcceptInvitationForm, InviteSelectionForm
from duecourse.people.invitations import (
    invitation_by_token,
    invitation_send_one,
    invitations_send,
    invitations_send_matching,
)
from duecourse.people.sign_in import invitation_sign_in_link, sso_settings_for
from duecourse.people.views import people_filter_form


@require_POST
@person_view
def person_invite_view(request, person_id: int):
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    resend = person.invitation_state in ("invited", "expired")  # type: ignore[attr-defined]
    try:
        invitation_send_one(actor=actor, person=person)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.detail)
    else:
        said = (
            _("Invitation sent again to %(email)s: the link works once, for 7 days.")
            if resend
            else _("Invitation sent to %(email)s: the link works once, for 7 days.")
        )
        messages.success(request, said % {"email": person.email})
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]) + "#invitation")


@require_POST
@person_view
def people_invite_view(request):
    """Invite the people selected in the list (set-based); says how many were invited and skipped, and why."""
    actor = request.actor
    if not permissions.can_invite_people(actor):
        raise forbidden("invite people")
    form = InviteSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Select the people to invite."))
    else:
        outcome = invitations_send(actor=actor, person_ids=form.cleaned_data["person_ids"])
        (messages.success if outcome.invited else messages.warning)(request, outcome.summary())
    back = request.POST.get("query", "")
    return HttpResponseRedirect(reverse("people:list") + (f"?{back}" if back and "\n" not in back else ""))


@require_http_methods(["GET", "POST"])
@person_view
def people_invite_matching_view(request):
    """Invite everyone matching the list's filters (its query string) who needs an invitation: GET asks
    "Invite 187 people?", POST (the same query string) invites them set-based and says the outcome."""
    actor = request.actor
    if not permissions.can_invite_people(actor):
        raise forbidden("invite people")
    matching = selectors.person_list(actor=actor, **people_filter_form(request).filters())
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    back = reverse("people:list") + (f"?{query}" if query else "")
    if request.method == "POST":
        outcome = invitations_send_matching(actor=actor, people=matching)
        if outcome.invited or outcome.skipped:
            (messages.success if outcome.invited else messages.warning)(request, outcome.summary())
        else:
            messages.info(request, _("Nobody matching these filters needs an invitation; nothing was sent."))
        return HttpResponseRedirect(back)
    context = {
        "count": matching.filter(selectors.needs_invitation_filter(clock.now())).count(),
        "matching": matching.count(),
        "query": query,
        "back": back,
    }
    return render(request, "people/invitations/invite_matching.html", context)


def accept_invitation_view(request, token: str):
    """/invitation/<token>/: no login. A bad link shows what happened and how to get a new one."""
    invitation, problem = invitation_by_token(token, clock.now())
    if problem is not None or invitation is None:
        status = 410 if invitation else 404  # used, replaced or expired: gone; unknown: not found
        return render(request, "people/invitations/problem.html", {"problem": problem}, status=status)
    sso = sso_settings_for(invitation.tenant)
    sso_link = invitation_sign_in_link(tenant_name=invitation.tenant.name, email=invitation.person.email) if sso else ""
    form = AcceptInvitationForm(request.POST or None)
    if sso and sso.sso_only:  # no password to choose: the first sign-in with the organisation accepts it
        context = {
            "form": None,
            "person": invitation.person,
            "organisation": invitation.tenant.name,
            "sso_link": sso_link,
        }
        return render(
            request, "people/invitations/accept.html", context, status=403 if request.method == "POST" else 200
        )
    if request.method == "POST" and form.is_valid():
        try:
            person = form.accept(token)
        except ValidationFailed as exc:
            token_error = next((e for e in exc.errors if e.field == "token"), None)
            if token_error is not None:
                context = {"problem": None, "message": token_error.message}
                return render(request, "people/invitations/problem.html", context, status=410)
            add_field_errors(form, exc)
        else:
            login(request, person.user, backend=SESSION_BACKEND)
            messages.success(
                request,
                _("Welcome, %(name)s. Your password is set: sign in with it next time.") % {"name": person.name},
            )
            return HttpResponseRedirect(reverse("assignments:my-learning"))
    page: dict[str, object] = {
        "form": form,
        "person": invitation.person,
        "organisation": invitation.tenant.name,
        "sso_link": sso_link,
    }
    return render(request, "people/invitations/accept.html", page, status=422 if form.errors else 200)
