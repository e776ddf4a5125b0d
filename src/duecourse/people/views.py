"""People pages: the directory, a person's page and an admin's edit. Decisions live in services and permissions."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from duecourse.core.errors import Conflict, ValidationFailed
from duecourse.core.web import add_field_errors, is_htmx, person_view
from duecourse.people import permissions, roles, selectors, services
from duecourse.people.forms import PAGE_SIZE, PersonFilterForm, PersonForm, TokenForm
from duecourse.people.inputs import PersonInput
from duecourse.people.models import OrgUnit
from duecourse.people.validation import known_timezones

MAX_MANAGER_CHOICES = 1000


def _filter_form(request) -> PersonFilterForm:
    actor = request.actor
    org_units = {
        kind: selectors.org_unit_names(tenant_id=actor.tenant_id, kind=kind)
        for kind in (OrgUnit.DEPARTMENT, OrgUnit.SITE, OrgUnit.REGION)
    }
    managers = list(selectors.person_list(actor=actor, role="manager").values_list("pk", "name")[:MAX_MANAGER_CHOICES])
    return PersonFilterForm(request.GET, org_units=org_units, managers=managers)


@person_view
def person_list_view(request):
    form = _filter_form(request)
    people = selectors.person_list(actor=request.actor, **form.filters())
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    params = form.api_params()
    context = {
        "form": form,
        "page": page,
        "query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "csv_url": "/api/v1/people?" + urlencode({**params, "format": "csv"}),
        "has_filters": any(k != "active" for k in params) or params.get("active") != "true",
        "sees_whole_tenant": roles.sees_whole_tenant(request.actor),
    }
    if is_htmx(request):
        return render(request, "people/_person_results.html", {**context, "is_partial": True})
    return render(request, "people/person_list.html", context)


def _detail_context(request, person, **extra) -> dict:
    actor = request.actor
    return {
        "person": person,
        "roles": person.role_names,
        "manager_visible": person.manager_id is not None and permissions.can_view_person(actor, person.manager),
        "reports": selectors.person_direct_reports(actor=actor, person=person),
        "can_edit": permissions.can_manage_people(actor),
        "can_tokens": permissions.can_manage_tokens(actor, person),
        "tokens": selectors.person_tokens(actor=actor, person=person)
        if permissions.can_manage_tokens(actor, person)
        else [],
        "token_form": extra.pop("token_form", None) or TokenForm(),
        "is_self": person.pk == actor.pk,
        **extra,
    }


@person_view
def person_detail_view(request, person_id: int):
    person = selectors.access_person(actor=request.actor, person_id=person_id)
    return render(request, "people/person_detail.html", _detail_context(request, person))


@person_view
def person_edit_view(request, person_id: int):
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                services.person_update(actor=actor, person=person, data=form.to_input())
            except ValidationFailed as exc:
                add_field_errors(form, exc, PersonForm.SERVICE_FIELD_MAP)
            else:
                messages.success(request, f"Saved {form.cleaned_data['name'] or person.name}.")
                return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))
    else:
        if not permissions.can_manage_people(actor):
            return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))
        form = PersonForm(initial=PersonForm.initial_for(person))
    context = {
        "person": person,
        "form": form,
        "datalists": {
            "department": selectors.org_unit_names(tenant_id=actor.tenant_id, kind=OrgUnit.DEPARTMENT),
            "site": selectors.org_unit_names(tenant_id=actor.tenant_id, kind=OrgUnit.SITE),
            "region": selectors.org_unit_names(tenant_id=actor.tenant_id, kind=OrgUnit.REGION),
            "timezone": sorted(known_timezones()),
        },
    }
    return render(request, "people/person_edit.html", context, status=422 if form.errors else 200)


@require_POST
@person_view
def person_set_active_view(request, person_id: int):
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    active = request.POST.get("active") == "true"
    try:
        services.person_update(actor=actor, person=person, data=PersonInput(active=active))
    except (ValidationFailed, Conflict) as exc:  # e.g. an admin deactivating themself: said, never a 500
        messages.error(request, "; ".join(e.message for e in exc.errors) or exc.detail)
        return render(request, "people/person_detail.html", _detail_context(request, person), status=exc.status_code)
    messages.success(request, f"{person.name} is {'active again' if active else 'deactivated'}.")
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))


@require_POST
@person_view
def person_unlock_view(request, person_id: int):
    """An admin lifts a person's sign-in lock (failed logins); audited."""
    person = selectors.access_person(actor=request.actor, person_id=person_id)
    if services.person_sign_in_unlock(actor=request.actor, person=person):
        messages.success(request, f"{person.name} can sign in again.")
    else:
        messages.info(request, f"{person.name}'s sign-in was not locked.")
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))


@require_POST
@person_view
def token_create_view(request, person_id: int):
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    form = TokenForm(request.POST)
    new_token = None
    if form.is_valid():
        try:
            token, new_token = services.api_token_create(actor=actor, person=person, name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            add_field_errors(form, exc)
    context = _detail_context(request, person, token_form=TokenForm() if new_token else form, new_token=new_token)
    return render(request, "people/person_detail.html", context, status=200 if new_token else 422)


@require_POST
@person_view
def token_revoke_view(request, person_id: int, token_id: int):
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    token = selectors.access_token(actor=actor, person=person, token_id=token_id)
    services.api_token_revoke(actor=actor, token=token)
    messages.success(request, f"Token {token.prefix} is revoked; it no longer works.")
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]) + "#tokens")
