"""Catalog pages: courses, learning paths (with an htmx item editor), skills and equivalences.

Admins and instructors manage the catalog; everyone else reads its active part. Every change goes
through `catalog.services`; these views only turn browser input into service calls and pages.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duecourse.catalog import permissions, selectors, services
from duecourse.catalog.forms import (
    ITEM_ERROR,
    PAGE_SIZE,
    CourseFilterForm,
    CourseForm,
    EquivalenceForm,
    PathForm,
    PathItemRow,
    SkillForm,
    apply_path_op,
    path_rows_from_post,
)
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.models import ACTIVE, ARCHIVED, STATUSES, CourseEquivalence, LearningPath
from duecourse.core.errors import ValidationFailed, forbidden, not_found
from duecourse.core.web import add_field_errors, is_htmx, person_view

STATUS_LABELS = dict(STATUSES)


def _require_manage(actor) -> None:
    if not permissions.can_manage_catalog(actor):
        raise forbidden("change the catalog")


def _visible(actor, queryset):
    """Readers see the active catalog; drafts and archived items are the managers' business."""
    return queryset if permissions.can_manage_catalog(actor) else queryset.filter(status=ACTIVE)


# --- courses -------------------------------------------------------------------------------------
@person_view
def course_list_view(request):
    actor = request.actor
    form = CourseFilterForm(request.GET)
    courses = _visible(actor, selectors.course_list(actor=actor, **form.filters()))
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "can_manage": permissions.can_manage_catalog(actor),
        "has_filters": bool(form.filters()["q"] or form.filters()["status"]),
        "tab": "courses",
    }
    if is_htmx(request):
        return render(request, "catalog/_course_results.html", context)
    return render(request, "catalog/course_list.html", context)


def _equivalences(actor, course) -> dict:
    links = CourseEquivalence.objects.filter(tenant_id=actor.tenant_id).select_related("course", "satisfies")
    return {
        "counts_for": list(links.filter(course=course).order_by("satisfies__title")),
        "satisfied_by": list(links.filter(satisfies=course).order_by("course__title")),
    }


def _course_page(request, course, *, equivalence_form=None, status=200):
    actor = request.actor
    can_manage = permissions.can_manage_catalog(actor)
    others = selectors.course_list(actor=actor).exclude(pk=course.pk).exclude(status=ARCHIVED)
    paths = _visible(actor, LearningPath.objects.filter(tenant_id=actor.tenant_id, items__course=course)).distinct()
    context = {
        "course": course,
        "can_manage": can_manage,
        "paths": list(paths),
        "skills": list(_visible(actor, course.skills.all())),
        "equivalence_form": equivalence_form or EquivalenceForm(courses=others),
        "tab": "courses",
        **_equivalences(actor, course),
    }
    return render(request, "catalog/course_detail.html", context, status=status)


@person_view
def course_detail_view(request, course_id: int):
    course = selectors.access_course(actor=request.actor, course_id=course_id)
    if course.status != ACTIVE and not permissions.can_manage_catalog(request.actor):
        raise not_found("Course")
    return _course_page(request, course)


def _course_form_page(request, *, course, form):
    context = {"course": course, "form": form, "tab": "courses"}
    return render(request, "catalog/course_form.html", context, status=422 if form.errors else 200)


@person_view
def course_create_view(request):
    actor = request.actor
    _require_manage(actor)
    if request.method != "POST":
        return _course_form_page(request, course=None, form=CourseForm(initial={"status": ACTIVE}))
    form = CourseForm(request.POST)
    if form.is_valid():
        try:
            course = services.course_create(actor=actor, data=form.to_input())
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, _("Created the course %(title)s.") % {"title": course.title})
            return HttpResponseRedirect(reverse("catalog:course", args=[course.pk]))
    return _course_form_page(request, course=None, form=form)


@person_view
def course_edit_view(request, course_id: int):
    actor = request.actor
    course = selectors.access_course(actor=actor, course_id=course_id)
    _require_manage(actor)
    if request.method != "POST":
        return _course_form_page(request, course=course, form=CourseForm(initial=CourseForm.initial_for(course)))
    form = CourseForm(request.POST)
    if form.is_valid():
        try:
            services.course_update(actor=actor, course=course, data=form.to_input())
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, _("Saved %(title)s.") % {"title": form.cleaned_data["title"] or course.title})
            return HttpResponseRedirect(reverse("catalog:course", args=[course.pk]))
    return _course_form_page(request, course=course, form=form)


@require_POST
@person_view
def course_status_view(request, course_id: int):
    """Activate, archive or return a course to draft (the list's and the page's quick actions)."""
    actor = request.actor
    course = selectors.access_course(actor=actor, course_id=course_id)
    status = request.POST.get("status", "")
    try:
        services.course_update(actor=actor, course=course, data=CourseInput(status=status))
    except ValidationFailed as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors) or exc.detail)
    else:
        messages.success(
            request,
            _("%(title)s is now %(status)s.") % {"title": course.title, "status": str(STATUS_LABELS[status]).lower()},
        )
    return HttpResponseRedirect(reverse("catalog:course", args=[course.pk]))


@require_POST
@person_view
def equivalence_add_view(request, course_id: int):
    actor = request.actor
    course = selectors.access_course(actor=actor, course_id=course_id)
    _require_manage(actor)
    others = selectors.course_list(actor=actor).exclude(pk=course.pk).exclude(status=ARCHIVED)
    form = EquivalenceForm(request.POST, courses=others)
    if form.is_valid():
        other = form.cleaned_data["other"]
        pair = (course.pk, other) if form.cleaned_data["direction"] == "satisfies" else (other, course.pk)
        try:
            services.equivalence_create(actor=actor, course_id=pair[0], satisfies_id=pair[1])
        except ValidationFailed as exc:
            add_field_errors(form, exc, {"course_id": "other", "satisfies_id": "other"})
        else:
            messages.success(request, _("Saved the equivalence."))
            return HttpResponseRedirect(reverse("catalog:course", args=[course.pk]) + "#equivalences")
    return _course_page(request, course, equivalence_form=form, status=422)


@require_POST
@person_view
def equivalence_remove_view(request, course_id: int, equivalence_id: int):
    actor = request.actor
    course = selectors.access_course(actor=actor, course_id=course_id)
    equivalence = CourseEquivalence.objects.filter(tenant_id=actor.tenant_id, pk=equivalence_id).first()
    if equivalence is None or course.pk not in (equivalence.course_id, equivalence.satisfies_id):
        raise not_found("Equivalence")
    services.equivalence_delete(actor=actor, equivalence=equivalence)
    messages.success(request, _("Removed the equivalence."))
    return HttpResponseRedirect(reverse("catalog:course", args=[course.pk]) + "#equivalences")


# --- learning paths ------------------------------------------------------------------------------
@person_view
def path_list_view(request):
    actor = request.actor
    paths = list(_visible(actor, selectors.path_list(actor=actor)))
    for path in paths:
        required = [item.required for item in path.items.all()]
        path.required_count, path.optional_count = sum(required), len(required) - sum(required)
    context = {"paths": paths, "can_manage": permissions.can_manage_catalog(actor), "tab": "paths"}
    return render(request, "catalog/path_list.html", context)


@person_view
def path_detail_view(request, path_id: int):
    actor = request.actor
    path = selectors.access_path(actor=actor, path_id=path_id)
    if path.status != ACTIVE and not permissions.can_manage_catalog(actor):
        raise not_found("Learning path")
    items = list(path.items.select_related("course").order_by("position"))
    context = {"path": path, "items": items, "can_manage": permissions.can_manage_catalog(actor), "tab": "paths"}
    return render(request, "catalog/path_detail.html", context)


def _path_rows(actor, items: list[tuple[int, bool]]) -> list[PathItemRow]:
    courses = selectors.course_list(actor=actor).in_bulk([c for c, _required in items])
    return [PathItemRow(courses[c], required) for c, required in items if c in courses]


def _path_editor(request, *, path, form, rows, status=200, partial=False):
    actor = request.actor
    chosen = {row.course.pk for row in rows}
    addable = [c for c in selectors.course_list(actor=actor).exclude(status=ARCHIVED) if c.pk not in chosen]
    context = {"path": path, "form": form, "rows": rows, "addable": addable, "tab": "paths"}
    if partial:
        return render(request, "catalog/_path_items.html", context)
    return render(request, "catalog/path_form.html", context, status=status)


def _save_path(request, *, path):
    """Create or update from the editor; (saved path, None) or (None, the editor with its errors)."""
    actor = request.actor
    form = PathForm(request.POST)
    items = path_rows_from_post(request.POST)
    op = request.POST.get("op")
    if op:
        # A button of the item list without JavaScript: redraw the editor with the change, save nothing.
        rows = _path_rows(actor, apply_path_op(items, op, request.POST))
        return None, _path_editor(request, path=path, form=form, rows=rows)
    form.is_valid()
    data = form.to_input(items)
    try:
        if path is None:
            return services.path_create(actor=actor, data=data), None
        return services.path_update(actor=actor, path=path, data=data), None
    except ValidationFailed as exc:
        rows = _path_rows(actor, items)
        others = []
        for error in exc.errors:
            match = ITEM_ERROR.match(error.field)
            if match and int(match.group(1)) < len(rows):
                rows[int(match.group(1))].errors.append(error.message)
            else:
                others.append(error)
        if others:
            add_field_errors(form, ValidationFailed(detail=exc.detail, errors=others))
        return None, _path_editor(request, path=path, form=form, rows=rows, status=422)


@person_view
def path_create_view(request):
    _require_manage(request.actor)
    if request.method == "POST":
        path, error_page = _save_path(request, path=None)
        if error_page:
            return error_page
        messages.success(request, _("Created the learning path %(title)s.") % {"title": path.title})
        return HttpResponseRedirect(reverse("catalog:path", args=[path.pk]))
    return _path_editor(request, path=None, form=PathForm(initial={"status": ACTIVE}), rows=[])


@person_view
def path_edit_view(request, path_id: int):
    actor = request.actor
    path = selectors.access_path(actor=actor, path_id=path_id)
    _require_manage(actor)
    if request.method == "POST":
        saved, error_page = _save_path(request, path=path)
        if error_page:
            return error_page
        messages.success(request, _("Saved the learning path %(title)s.") % {"title": saved.title})
        return HttpResponseRedirect(reverse("catalog:path", args=[path.pk]))
    form = PathForm(initial={"title": path.title, "description": path.description, "status": path.status})
    rows = [PathItemRow(i.course, i.required) for i in path.items.select_related("course").order_by("position")]
    return _path_editor(request, path=path, form=form, rows=rows)


@require_POST
@person_view
def path_items_view(request):
    """The editor's item list after one add / remove / move (htmx); nothing is saved until the form is."""
    actor = request.actor
    _require_manage(actor)
    items = apply_path_op(path_rows_from_post(request.POST), request.POST.get("op", ""), request.POST)
    return _path_editor(request, path=None, form=None, rows=_path_rows(actor, items), partial=True)


# --- skills --------------------------------------------------------------------------------------
@person_view
def skill_list_view(request):
    actor = request.actor
    skills = list(_visible(actor, selectors.skill_list(actor=actor)))
    context = {"skills": skills, "can_manage": permissions.can_manage_catalog(actor), "tab": "skills"}
    return render(request, "catalog/skill_list.html", context)


def _skill_form(request, *, skill, data=None, initial=None):
    courses = selectors.course_list(actor=request.actor).exclude(status=ARCHIVED)
    if skill is not None:
        courses = courses | skill.courses.all()
    return SkillForm(data, initial=initial, courses=courses.distinct().order_by("title", "id"))


def _save_skill(request, *, skill):
    actor = request.actor
    form = _skill_form(request, skill=skill, data=request.POST)
    if form.is_valid():
        try:
            if skill is None:
                return services.skill_create(actor=actor, data=form.to_input()), None
            return services.skill_update(actor=actor, skill=skill, data=form.to_input()), None
        except ValidationFailed as exc:
            add_field_errors(form, exc)
    return None, render(request, "catalog/skill_form.html", {"skill": skill, "form": form, "tab": "skills"}, status=422)


@person_view
def skill_create_view(request):
    _require_manage(request.actor)
    if request.method == "POST":
        skill, error_page = _save_skill(request, skill=None)
        if error_page:
            return error_page
        messages.success(request, _("Created the skill %(name)s.") % {"name": skill.name})
        return HttpResponseRedirect(reverse("catalog:skills"))
    form = _skill_form(request, skill=None, initial={"status": ACTIVE})
    return render(request, "catalog/skill_form.html", {"skill": None, "form": form, "tab": "skills"})


@person_view
def skill_edit_view(request, skill_id: int):
    actor = request.actor
    skill = selectors.access_skill(actor=actor, skill_id=skill_id)
    _require_manage(actor)
    if request.method == "POST":
        saved, error_page = _save_skill(request, skill=skill)
        if error_page:
            return error_page
        messages.success(request, _("Saved the skill %(name)s.") % {"name": saved.name})
        return HttpResponseRedirect(reverse("catalog:skills"))
    initial = {
        "name": skill.name,
        "description": skill.description,
        "status": skill.status,
        "course_ids": [c.pk for c in skill.courses.all()],
    }
    form = _skill_form(request, skill=skill, initial=initial)
    return render(request, "catalog/skill_form.html", {"skill": skill, "form": form, "tab": "skills"})
