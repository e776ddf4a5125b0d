"""People pages: the directory, a person's page, an admin's add and edit, and the HR import from the browser.

Decisions live in services and permissions; the import pages run `imports.people_import`, the same service
as `POST /api/v1/people/import`, on a file staged by `import_staging` between its dry run and its confirmation.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from duecourse.core.api import csv_response
from duecourse.core.errors import Conflict, ValidationFailed, forbidden
from duecourse.core.languages import language_for_locale
from duecourse.core.web import add_field_errors, is_htmx, person_view
from duecourse.people import identities, import_staging, imports, permissions, roles, selectors, services
from duecourse.people.forms import (
    PAGE_SIZE,
    ImportConfirmForm,
    ImportUploadForm,
    PersonCreateForm,
    PersonFilterForm,
    PersonForm,
    ProfileLanguageForm,
    TokenForm,
)
from duecourse.people.inputs import PersonInput
from duecourse.people.invitations import invitations_send, person_create_and_invite
from duecourse.people.limits import IMPORT_PREVIEW_FAILURES
from duecourse.people.models import OrgUnit, Person
from duecourse.people.token_format import key_pair
from duecourse.people.validation import INPUT_FIELDS, known_timezones

MAX_MANAGER_CHOICES = 1000


def people_filter_form(request) -> PersonFilterForm:
    """The list's filters from the query string (the list and "invite everyone matching" share them)."""
    actor = request.actor
    org_units = {
        kind: selectors.org_unit_names(tenant_id=actor.tenant_id, kind=kind)
        for kind in (OrgUnit.DEPARTMENT, OrgUnit.SITE, OrgUnit.REGION)
    }
    managers = list(selectors.person_list(actor=actor, role="manager").values_list("pk", "name")[:MAX_MANAGER_CHOICES])
    return PersonFilterForm(request.GET, org_units=org_units, managers=managers)


@person_view
def person_list_view(request):
    form = people_filter_form(request)
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
        "can_invite": permissions.can_invite_people(request.actor),
        "can_manage": permissions.can_manage_people(request.actor),
    }
    if is_htmx(request):
        return render(request, "people/_person_results.html", {**context, "is_partial": True})
    return render(request, "people/person_list.html", context)


def _detail_context(request, person, **extra) -> dict:
    actor = request.actor
    language_form = extra.pop("language_form", None)
    if language_form is None and person.pk == actor.pk:  # one's own profile: language and time zone
        language_form = ProfileLanguageForm(initial=ProfileLanguageForm.initial_for(person))
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
        "can_invite": permissions.can_invite_people(actor),
        "sso_links": identities.person_sso_links(actor=actor, person=person),
        "language_form": language_form,
        "timezones": sorted(known_timezones()) if language_form is not None else [],
        **extra,
    }


@person_view
def person_detail_view(request, person_id: int):
    person = selectors.access_person(actor=request.actor, person_id=person_id)
    return render(request, "people/person_detail.html", _detail_context(request, person))


@require_POST
@person_view
def person_language_view(request, person_id: int):
    """A person sets their own language and time zone on their profile (admins may for anyone they may
    edit: `services.person_update` asks `permissions.can_change_person_fields`). The next page speaks it."""
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    form = ProfileLanguageForm(request.POST)
    if form.is_valid():
        try:
            person = services.person_update(actor=actor, person=person, data=form.to_input(person))
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        else:
            own = person.pk == actor.pk  # the next page speaks the new language: so does this message
            language = (language_for_locale(person.locale) if own else None) or translation.get_language()
            with translation.override(language):
                messages.success(request, _("Saved the language and time zone."))
            return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))
    context = _detail_context(request, person, language_form=form)
    return render(request, "people/person_detail.html", context, status=422)


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
                messages.success(request, _("Saved %(name)s.") % {"name": form.cleaned_data["name"] or person.name})
                return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))
    else:
        if not permissions.can_manage_people(actor):
            return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))
        form = PersonForm(initial=PersonForm.initial_for(person))
    context = {"person": person, **_person_form_context(actor, form)}
    return render(request, "people/person_edit.html", context, status=422 if form.errors else 200)


def _person_form_context(actor: Person, form: PersonForm) -> dict:
    """What the add and edit pages share: the form, the org-unit and zone suggestions, the chosen manager."""
    manager_email = (form.data.get("manager_email") if form.is_bound else form.initial.get("manager_email")) or ""
    people = selectors.person_list(actor=actor)
    manager = people.filter(email=manager_email.strip().lower()).first() if manager_email else None
    return {
        "form": form,
        "manager": manager,
        "manager_email": manager_email,
        "datalists": {
            "department": selectors.org_unit_names(tenant_id=actor.tenant_id, kind=OrgUnit.DEPARTMENT),
            "site": selectors.org_unit_names(tenant_id=actor.tenant_id, kind=OrgUnit.SITE),
            "region": selectors.org_unit_names(tenant_id=actor.tenant_id, kind=OrgUnit.REGION),
            "timezone": sorted(known_timezones()),
        },
    }


def _require_manage_people(actor: Person, what: str) -> None:
    if not permissions.can_manage_people(actor):
        raise forbidden(what)


@person_view
def person_create_view(request):
    """Add a person: `services.person_create`, as `POST /api/v1/people`; errors beside their fields."""
    actor = request.actor
    _require_manage_people(actor, "add people")
    if request.method == "POST":
        form = PersonCreateForm(request.POST)
        if form.is_valid():
            try:
                person, invited = person_create_and_invite(
                    actor=actor, data=form.to_input(), invite=form.cleaned_data["send_invitation"]
                )
            except ValidationFailed as exc:
                add_field_errors(form, exc, PersonForm.SERVICE_FIELD_MAP)
            else:
                said = _("Added %(name)s.") % {"name": person.name}
                if invited:
                    said += (
                        f" {invited.summary()}"
                        if not invited.invited
                        else " " + _("Invitation sent to %(email)s.") % {"email": person.email}
                    )
                messages.success(request, said)
                return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))
    else:
        form = PersonCreateForm()
    context = _person_form_context(actor, form)
    return render(request, "people/person_create.html", context, status=422 if form.errors else 200)


PICKER_RESULTS = 10


@require_GET
@person_view
def manager_picker_view(request):
    """Search results for choosing a manager on the add and edit pages (active people of the tenant)."""
    actor = request.actor
    _require_manage_people(actor, "choose managers")
    q = (request.GET.get("q") or "").strip()[:200]
    people = list(selectors.person_list(actor=actor, q=q, active=True)[:PICKER_RESULTS]) if q else []
    return render(request, "people/_manager_picker_results.html", {"people": people, "q": q})


@require_GET
@person_view
def manager_chip_view(request):
    """The chosen manager as a chip carrying the form's `manager_email`."""
    actor = request.actor
    _require_manage_people(actor, "choose managers")
    try:
        person_id = int(request.GET.get("person_id") or "")
    except ValueError:
        person_id = 0
    manager = selectors.access_person(actor=actor, person_id=person_id)
    return render(request, "people/_manager_chip.html", {"manager": manager, "manager_email": manager.email})


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
    said = _("%(name)s is active again.") if active else _("%(name)s is deactivated.")
    messages.success(request, said % {"name": person.name})
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))


@require_POST
@person_view
def person_unlock_view(request, person_id: int):
    """An admin lifts a person's sign-in lock (failed logins); audited."""
    person = selectors.access_person(actor=request.actor, person_id=person_id)
    if services.person_sign_in_unlock(actor=request.actor, person=person):
        messages.success(request, _("%(name)s can sign in again.") % {"name": person.name})
    else:
        messages.info(request, _("%(name)s's sign-in was not locked.") % {"name": person.name})
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]))


@require_POST
@person_view
def person_sso_unlink_view(request, person_id: int):
    """An admin removes a person's link to their organisation's sign-in account; audited."""
    person = selectors.access_person(actor=request.actor, person_id=person_id)
    if identities.person_sso_unlink(actor=request.actor, person=person):
        messages.success(
            request, _("%(name)s is no longer linked to a single sign-on account.") % {"name": person.name}
        )
    else:
        messages.info(request, _("%(name)s was not linked to a single sign-on account.") % {"name": person.name})
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
    context = _detail_context(
        request,
        person,
        token_form=TokenForm() if new_token else form,
        new_token=new_token,
        new_token_pair=key_pair(new_token) if new_token else None,
    )
    return render(request, "people/person_detail.html", context, status=200 if new_token else 422)


@require_POST
@person_view
def token_revoke_view(request, person_id: int, token_id: int):
    actor = request.actor
    person = selectors.access_person(actor=actor, person_id=person_id)
    token = selectors.access_token(actor=actor, person=person, token_id=token_id)
    services.api_token_revoke(actor=actor, token=token)
    messages.success(request, _("Token %(prefix)s is revoked; it no longer works.") % {"prefix": token.prefix})
    return HttpResponseRedirect(reverse("people:detail", args=[person.pk]) + "#tokens")


# HR import from the browser -----------------------------------------------------------------------


def _redirect(request, url: str) -> HttpResponse:
    """Follow a POST with a GET: htmx forms (which show the working note) are told where to go."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@person_view
def import_upload_view(request):
    """Upload a CSV: it is parsed and dry-run by the import service, staged, and its preview shown."""
    actor = request.actor
    _require_manage_people(actor, "import people")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        deactivate_missing = form.cleaned_data["deactivate_missing"]
        content = upload.read()
        try:
            rows = imports.parse_people_csv(content)
            result = imports.people_import(actor=actor, rows=rows, dry_run=True, deactivate_missing=deactivate_missing)
        except ValidationFailed as exc:
            add_field_errors(form, exc, {name: "file" for name in (*INPUT_FIELDS, "rows", "(blank)")})
        else:
            staged = import_staging.stage(
                actor=actor,
                content=content,
                filename=upload.name,
                rows=len(rows),
                deactivate_missing=deactivate_missing,
                invite_created=form.cleaned_data["invite_created"],
                preview=result.as_dict(),
            )
            return _redirect(request, reverse("people:import-detail", args=[staged.token]))
    context = {"form": form, "columns": INPUT_FIELDS}
    # htmx swaps only 2xx answers: its form gets its errors with 200, a plain post with 422.
    status = 422 if form.errors and not is_htmx(request) else 200
    return render(request, "people/import_upload.html", context, status=status)


def _load_staged(request, token: str) -> import_staging.StagedImport | None:
    try:
        return import_staging.load(actor=request.actor, token=token)
    except ValidationFailed as exc:
        messages.error(request, _("This import is gone: %(reason)s.") % {"reason": exc.errors[0].message})
        return None


@require_GET
@person_view
def import_detail_view(request, token: str):
    """The dry run with its Confirm button, or, once confirmed, what the import did."""
    actor = request.actor
    _require_manage_people(actor, "import people")
    staged = _load_staged(request, token)
    if staged is None:
        return HttpResponseRedirect(reverse("people:import"))
    outcome = staged.outcome
    failures = staged.failure_lines()
    context = {
        "staged": staged,
        "outcome": outcome,
        "imported": staged.state == import_staging.IMPORTED,
        "failed_rows": len(outcome["failed"]),
        "failures": failures[:IMPORT_PREVIEW_FAILURES],
        "failures_hidden": max(0, len(failures) - IMPORT_PREVIEW_FAILURES),
        "confirm_form": ImportConfirmForm(initial={"sha256": staged.sha256}),
        "changes": outcome["created"] + outcome["updated"] + outcome["deactivated"],
    }
    return render(request, "people/import_detail.html", context)


@require_POST
@person_view
def import_confirm_view(request, token: str):
    """Run the real import on exactly the staged file whose dry run was shown (its hash is posted back)."""
    actor = request.actor
    _require_manage_people(actor, "import people")
    staged = _load_staged(request, token)
    if staged is None:
        return _redirect(request, reverse("people:import"))
    detail_url = reverse("people:import-detail", args=[token])
    form = ImportConfirmForm(request.POST)
    shown = form.cleaned_data["sha256"] if form.is_valid() else ""
    try:
        content = import_staging.content_for_confirm(staged, shown_sha256=shown)
    except ValidationFailed as exc:
        messages.error(request, _("Nothing was imported: %(reason)s.") % {"reason": exc.errors[0].message})
        return _redirect(request, detail_url if staged.state == import_staging.IMPORTED else reverse("people:import"))
    try:
        result = imports.people_import(
            actor=actor,
            rows=imports.parse_people_csv(content),
            deactivate_missing=staged.deactivate_missing,
        )
    except (ValidationFailed, Conflict) as exc:  # e.g. the directory changed under the import: nothing written
        import_staging.release(staged)
        messages.error(request, _("Nothing was imported: %(reason)s") % {"reason": exc.detail})
        return _redirect(request, detail_url)
    import_staging.mark_imported(staged, result.as_dict())
    said = _(
        "Imported %(name)s: %(created)d created, %(updated)d updated, %(deactivated)d deactivated, "
        "%(failed)d rows failed."
    ) % {
        "name": staged.filename,
        "created": result.created,
        "updated": result.updated,
        "deactivated": result.deactivated,
        "failed": len(result.failed),
    }
    if staged.invite_created and result.created_ids:
        said += " " + invitations_send(actor=actor, person_ids=result.created_ids).summary()
    messages.success(request, said)
    return _redirect(request, detail_url)


@require_GET
@person_view
def import_failures_view(request, token: str):
    """Every failed row of the dry run (or of the import, once confirmed) as CSV: row, line, field, message."""
    actor = request.actor
    _require_manage_people(actor, "import people")
    try:
        staged = import_staging.load(actor=actor, token=token)
    except ValidationFailed:
        return HttpResponse(_("This import is unknown or has expired."), status=404, content_type="text/plain")
    columns = ["row", "line", "field", "message"]
    rows = ([line[c] for c in columns] for line in staged.failure_lines())
    return csv_response("import-failures.csv", columns, rows)
