"""Group pages: list, detail, the static/dynamic editor (htmx) and membership changes; and the department,
site and region pages beside them (list, and each one's people)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from duecourse.core.errors import Conflict, ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, is_htmx, person_view
from duecourse.groups import org_units, permissions, selectors, services
from duecourse.groups.domain import PROVISIONED_NOTICE, archived_notice, group_is_provisioned, members_edited_here
from duecourse.groups.dynamic_rules import describe_rule, rule_filter, validate_rule
from duecourse.groups.forms import (
    FIELD_LABELS,
    GroupForm,
    OrgUnitPeopleFilterForm,
    RuleRow,
    attach_rule_errors,
    member_ids_from_post,
    rule_from_rows,
    rule_rows_from_post,
    rule_rows_from_rule,
)
from duecourse.groups.limits import MAX_SEARCH_LENGTH
from duecourse.groups.models import Group
from duecourse.people import selectors as people_selectors
from duecourse.people.models import OrgUnit, Person

MEMBERS_PAGE_SIZE = 25
ORG_UNITS_PAGE_SIZE = 25
PICKER_RESULTS = 8
PREVIEW_NAMES = 5
MAX_MANAGER_CHOICES = 1000


def _id_param(value: str | None) -> int:
    """An id from the query string; anything else is 0, which no row has (so: not found)."""
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


def _require_manage(actor) -> None:
    if not permissions.can_manage_groups(actor):
        raise forbidden("change groups")


@person_view
def group_list_view(request):
    actor = request.actor
    q = (request.GET.get("q") or "").strip()[:MAX_SEARCH_LENGTH]
    kind = request.GET.get("kind") if request.GET.get("kind") in (Group.STATIC, Group.DYNAMIC) else None
    show_archived = request.GET.get("archived") == "1"
    archived = None if show_archived else False
    groups = list(selectors.group_list(actor=actor, q=q or None, kind=kind, archived=archived))
    for group in groups:
        group.rule_text = describe_rule(group.rule)
        group.archived_text = archived_notice(group)
        group.provisioned = group_is_provisioned(group)
    context = {
        "groups": groups,
        "q": q,
        "kind": kind or "",
        "show_archived": show_archived,
        "can_manage": permissions.can_manage_groups(actor),
    }
    if is_htmx(request):
        return render(request, "groups/_group_results.html", context)
    return render(request, "groups/group_list.html", context)


def _members_context(request, group) -> dict:
    page = Paginator(selectors.group_members(group=group), MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = permissions.can_manage_groups(request.actor)
    return {
        "group": group,
        "page": page,
        "query": "",
        "can_manage": can_manage,
        "can_edit_members": can_manage and members_edited_here(group, group.kind),
        "archived_text": archived_notice(group),
        "provisioned_text": PROVISIONED_NOTICE if group_is_provisioned(group) else "",
    }


@person_view
def group_detail_view(request, group_id: int):
    group = selectors.access_group(actor=request.actor, group_id=group_id)
    context = {**_members_context(request, group), "rule_text": describe_rule(group.rule)}
    if is_htmx(request):
        return render(request, "groups/_members.html", {**context, "is_partial": True})
    return render(request, "groups/group_detail.html", context)


def _editor_context(request, *, group, kind, form, rows, members=(), rule_errors=()) -> dict:
    return {
        "group": group,
        "kind": kind,
        "form": form,
        "rows": rows,
        "members": members,
        "rule_errors": list(rule_errors),
        **_rule_choices(request.actor),
    }


def _rule_choices(actor) -> dict:
    return {
        "field_labels": FIELD_LABELS,
        "org_names": {
            kind: people_selectors.org_unit_names(tenant_id=actor.tenant_id, kind=kind)
            for kind in (OrgUnit.DEPARTMENT, OrgUnit.SITE, OrgUnit.REGION)
        },
        "managers": list(
            people_selectors.person_list(actor=actor, role="manager").values_list("pk", "name")[:MAX_MANAGER_CHOICES]
        ),
    }


def _save_group(request, *, group, kind):
    """Run group_create / group_update with the posted form; the saved group, or the editor with its errors."""
    actor = request.actor
    form = GroupForm(request.POST, group=group)
    form.is_valid()
    rows = rule_rows_from_post(request.POST) if kind == Group.DYNAMIC else []
    member_ids: list[int] = []
    try:
        if group is not None:  # a group keeps its kind; a static group's members change on its own page
            rule = {"rule": rule_from_rows(rows)} if kind == Group.DYNAMIC else {}
            return services.group_update(actor=actor, group=group, data=form.to_input(**rule)), None
        if kind == Group.DYNAMIC:
            data = form.to_input(kind=kind, rule=rule_from_rows(rows))
        else:
            member_ids = member_ids_from_post(request.POST)
            data = form.to_input(kind=kind, member_ids=member_ids)
        return services.group_create(actor=actor, data=data), None
    except ValidationFailed as exc:
        rule_errors = attach_rule_errors(rows, exc.errors)
        others = [e for e in exc.errors if not e.field.startswith("rule")]
        if others:
            add_field_errors(form, ValidationFailed(detail=exc.detail, errors=others))
        members = list(people_selectors.person_list(actor=actor).filter(pk__in=member_ids))
        context = _editor_context(
            request, group=group, kind=kind, form=form, rows=rows, members=members, rule_errors=rule_errors
        )
        return None, render(request, "groups/group_form.html", context, status=422)


@person_view
def group_create_view(request):
    _require_manage(request.actor)
    kind = request.POST.get("kind") or request.GET.get("kind")
    kind = kind if kind in (Group.STATIC, Group.DYNAMIC) else Group.STATIC
    if request.method == "POST":
        group, error_page = _save_group(request, group=None, kind=kind)
        if error_page:
            return error_page
        messages.success(request, _("Created the group %(name)s.") % {"name": group.name})
        return HttpResponseRedirect(reverse("groups:detail", args=[group.pk]))
    rows = [RuleRow()] if kind == Group.DYNAMIC else []
    context = _editor_context(request, group=None, kind=kind, form=GroupForm(), rows=rows)
    return render(request, "groups/group_form.html", context)


@person_view
def group_edit_view(request, group_id: int):
    actor = request.actor
    group = selectors.access_group(actor=actor, group_id=group_id)
    _require_manage(actor)
    if request.method == "POST":
        saved, error_page = _save_group(request, group=group, kind=group.kind)
        if error_page:
            return error_page
        messages.success(request, _("Saved the group %(name)s.") % {"name": saved.name})
        return HttpResponseRedirect(reverse("groups:detail", args=[group.pk]))
    form = GroupForm(initial={"name": group.name, "description": group.description}, group=group)
    context = _editor_context(request, group=group, kind=group.kind, form=form, rows=rule_rows_from_rule(group.rule))
    return render(request, "groups/group_form.html", context)


@person_view
def group_delete_view(request, group_id: int):
    actor = request.actor
    group = selectors.access_group(actor=actor, group_id=group_id)
    _require_manage(actor)
    if request.method == "POST":
        try:
            services.group_delete(actor=actor, group=group)
        except Conflict as exc:
            context = {"group": group, "blockers": exc.errors}
            return render(request, "groups/group_confirm_delete.html", context, status=409)
        messages.success(request, _("Deleted the group %(name)s.") % {"name": group.name})
        return HttpResponseRedirect(reverse("groups:list"))
    context = {"group": group, "blockers": services.group_delete_blockers_of(group)}
    return render(request, "groups/group_confirm_delete.html", context)


@require_GET
@person_view
def rule_row_view(request):
    """One condition row of the rule editor: a new one, or the same one redrawn after its field changed."""
    _require_manage(request.actor)
    key = request.GET.get("key", "")
    row = RuleRow(
        request.GET.get(f"cond-{key}-field", "department"),
        request.GET.get(f"cond-{key}-op", "eq"),
        request.GET.getlist(f"cond-{key}-value"),
        key,
    )
    if request.GET.get("reset_value"):
        row.values = []
    return render(request, "groups/_rule_row.html", {"row": row, **_rule_choices(request.actor)})


@require_POST
@person_view
def rule_preview_view(request):
    """How many active people the rule being edited matches right now, and a few of their names."""
    actor = request.actor
    _require_manage(actor)
    rows = rule_rows_from_post(request.POST)
    context: dict[str, object] = {"rows": rows}
    try:
        rule = validate_rule(rule_from_rows(rows))
    except ValidationFailed as exc:
        context["incomplete"] = True
        context["rule_errors"] = attach_rule_errors(rows, exc.errors)
    else:
        matching = people_selectors.person_list(actor=actor).filter(rule_filter(rule))
        count, sample = matching.count(), list(matching[:PREVIEW_NAMES])
        context.update(count=count, sample=sample, more=count - len(sample), rule_text=describe_rule(rule))
    return render(request, "groups/_rule_preview.html", context)


@require_GET
@person_view
def people_picker_view(request):
    """Search results for adding people to a static group, in the editor or on the group's page."""
    actor = request.actor
    _require_manage(actor)
    q = (request.GET.get("q") or "").strip()[:200]
    group_id = _id_param(request.GET.get("group"))
    group = selectors.access_group(actor=actor, group_id=group_id) if group_id else None
    people: list[Person] = []
    if q:
        found = people_selectors.person_list(actor=actor, q=q, active=True)
        if group is not None:
            found = found.exclude(group_memberships__group=group)
        people = list(found[:PICKER_RESULTS])
    return render(request, "groups/_people_picker_results.html", {"people": people, "q": q, "group": group})


@require_GET
@person_view
def member_chip_view(request):
    """A picked person as a removable chip carrying a hidden `member_ids` input (static group editor)."""
    _require_manage(request.actor)
    person = people_selectors.access_person(actor=request.actor, person_id=_id_param(request.GET.get("person_id")))
    return render(request, "groups/_member_chip.html", {"p": person})


@require_POST
@person_view
def members_add_view(request, group_id: int):
    actor = request.actor
    group = selectors.access_group(actor=actor, group_id=group_id)
    try:
        person_ids = member_ids_from_post(request.POST)
        services.static_group_add_members(actor=actor, group=group, person_ids=person_ids)
    except ValidationFailed as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors) or exc.detail)
    return _members_changed(request, group_id)


@require_POST
@person_view
def members_remove_view(request, group_id: int):
    actor = request.actor
    group = selectors.access_group(actor=actor, group_id=group_id)
    try:
        person_ids = member_ids_from_post(request.POST)
        services.static_group_remove_members(actor=actor, group=group, person_ids=person_ids)
    except ValidationFailed as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors) or exc.detail)
    return _members_changed(request, group_id)


def _members_changed(request, group_id: int) -> HttpResponse:
    if is_htmx(request):
        group = selectors.access_group(actor=request.actor, group_id=group_id)
        return render(request, "groups/_members.html", {**_members_context(request, group), "is_partial": True})
    return HttpResponseRedirect(reverse("groups:detail", args=[group_id]))


@require_GET
@person_view
def org_unit_list_view(request, kind: str):
    """/groups/departments/ (sites, regions): each with its active people; searched and paged."""
    q = (request.GET.get("q") or "").strip()[:MAX_SEARCH_LENGTH]
    units = selectors.org_unit_list(actor=request.actor, kind=kind, q=q or None)
    context = {
        "kind": kind,
        "tab": kind,
        "label": org_units.LABELS[kind],
        "plural": org_units.PLURAL_LABELS[kind],
        "plural_word": org_units.PLURAL_WORDS[kind],
        "page": Paginator(units, ORG_UNITS_PAGE_SIZE).get_page(request.GET.get("page")),
        "q": q,
        "query": urlencode({"q": q}) if q else "",
    }
    if is_htmx(request):
        return render(request, "groups/_org_unit_results.html", context)
    return render(request, "groups/org_unit_list.html", context)


@require_GET
@person_view
def org_unit_detail_view(request, kind: str, org_unit_id: int):
    """A department, site or region: its audience tabs, and its people (active by default), searched and paged."""
    actor = request.actor
    unit = selectors.access_org_unit(actor=actor, kind=kind, org_unit_id=org_unit_id)
    form = OrgUnitPeopleFilterForm(request.GET)
    filters = form.filters()
    people = selectors.org_unit_people(actor=actor, unit=unit, **filters)
    context = {
        "unit": unit,
        "kind": kind,
        "label": org_units.LABELS[kind],
        "plural": org_units.PLURAL_LABELS[kind],
        "form": form,
        "filters": filters,
        "page": Paginator(people, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page")),
        "query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "csv_url": "/api/v1/people?" + urlencode({**form.api_params(kind, unit.name), "format": "csv"}),
    }
    if is_htmx(request):
        return render(request, "groups/_org_unit_people.html", {**context, "is_partial": True})
    return render(request, "groups/org_unit_detail.html", context)
