"""Mandatory tasks: the organisation-wide list of assignments for L&D and HR, its CSV, the actions on a
selection or on everything the filter matches, and saved views. Thin: the rules live in the services."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from duecourse.assignments.presenters import ASSIGNMENT_CSV_COLUMNS, Item, assignment_csv_rows, present
from duecourse.core.api import csv_response
from duecourse.core.errors import DomainError, forbidden
from duecourse.core.paging import CappedPaginator
from duecourse.core.web import IdLinks, is_htmx, person_view
from duecourse.notifications.manual_reminders import ActionRequest, assignments_act
from duecourse.reports import permissions as report_permissions
from duecourse.workspace import permissions, selectors, services
from duecourse.workspace.domain import BUILT_IN_VIEWS, COUNT_CAP, PAGE_SIZE, SORTS, view_query
from duecourse.workspace.forms import TaskActionForm, TaskFilterForm


@dataclass(frozen=True)
class TaskRow:
    """One row of the list: the assignment as pages show it, and its links (reversed once per page)."""

    item: Item
    person_url: str
    detail_url: str
    remind_url: str


def _action_done(action: str, n: int) -> str:
    """What the flash says an action did: "Sent a reminder for 3 items."."""
    if action == "remind":
        return ngettext("Sent a reminder for %(n)s item.", "Sent a reminder for %(n)s items.", n) % {"n": n}
    if action == "extend":
        return ngettext("Extended the due date of %(n)s item.", "Extended the due date of %(n)s items.", n) % {"n": n}
    return ngettext("Withdrew %(n)s item.", "Withdrew %(n)s items.", n) % {"n": n}


def _require_view(actor) -> None:
    if not permissions.can_view_workspace(actor):
        raise forbidden("see the organisation's mandatory tasks")


def _filters(actor, data) -> TaskFilterForm:
    form = TaskFilterForm(data, actor=actor, choices=selectors.filter_choices(actor=actor))
    form.is_valid()
    return form


def _tasks_url(query: str) -> str:
    return reverse("workspace:tasks") + (f"?{query}" if query else "")


def _sort_links(query_without_sort: str, current: str) -> dict:
    return {
        key: ("?" + "&".join(p for p in (query_without_sort, urlencode({"sort": key})) if p))
        for key in SORTS
        if key != current
    }


def _page(request, *, data, action_form=None, status=200):
    actor = request.actor
    form = _filters(actor, data)
    query = view_query(data.items())
    without_sort = view_query((k, v) for k, v in data.items() if k != "sort")
    context = {
        "form": form,
        "query": query,
        "sort": form.chosen_sort if form.is_valid() else "due",
        "sort_links": _sort_links(without_sort, form.chosen_sort if form.is_valid() else ""),
        "can_act": permissions.can_act_in_workspace(actor),
        "can_run_exports": report_permissions.can_run_exports(actor),
        "action_form": action_form,
        "selected": set(action_form.cleaned_data.get("ids") or []) if action_form and action_form.is_bound else set(),
        "csv_url": reverse("workspace:csv") + (f"?{query}" if query else ""),
        "built_in_views": [(v, _tasks_url(v.query)) for v in BUILT_IN_VIEWS],
        "saved_views": [(v, _tasks_url(v.query)) for v in selectors.saved_views(actor=actor)],
        "page": None,
        "rows": [],
    }
    if form.is_valid():
        tasks = selectors.task_list(actor=actor, query=form.to_query(), sort=form.chosen_sort)
        page = CappedPaginator(tasks, PAGE_SIZE, cap=COUNT_CAP).get_page(data.get("page"))
        context["page"] = page
        rows = selectors.page_forecast(actor=actor, rows=list(page.object_list))
        person, detail, remind = (
            IdLinks("people:detail"),
            IdLinks("assignments:detail"),
            IdLinks("notifications:remind"),
        )
        context["rows"] = [
            TaskRow(item, person(item.assignment.person_id), detail(item.assignment.pk), remind(item.assignment.pk))
            for item in present(actor, rows, reminders=True)
        ]
    if is_htmx(request) and action_form is None:
        response = render(request, "workspace/_task_results.html", context, status=status)
        # The address bar shows the filters in use, not every empty field the form sent (a clean bookmark).
        page_number = data.get("page") if str(data.get("page", "")).isdigit() else ""
        shown = "&".join(p for p in (query, f"page={page_number}" if page_number else "") if p)
        response["HX-Push-Url"] = _tasks_url(shown)
        return response
    return render(request, "workspace/tasks.html", context, status=status)


@person_view
def tasks_view(request):
    _require_view(request.actor)
    return _page(request, data=request.GET)


@person_view
def tasks_csv_view(request):
    _require_view(request.actor)
    form = _filters(request.actor, request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    tasks = selectors.task_list(actor=request.actor, query=form.to_query(), sort=form.chosen_sort, forecast=True)
    return csv_response("mandatory-tasks.csv", ASSIGNMENT_CSV_COLUMNS, assignment_csv_rows(tasks))


@person_view
@require_POST
def tasks_action_view(request):
    actor = request.actor
    _require_view(actor)
    if not permissions.can_act_in_workspace(actor):
        raise forbidden("act on the organisation's mandatory tasks")
    action_form = TaskActionForm(request.POST)
    filters_data = QueryDict(action_form.data.get("query", "")[:4000])
    if not action_form.is_valid():
        return _page(request, data=filters_data, action_form=action_form, status=422)
    data = action_form.cleaned_data
    query = None
    if data["everything"]:
        filters = _filters(actor, filters_data)
        if not filters.is_valid():
            action_form.add_error(None, _("The filter is not valid: fix it, then try again."))
            return _page(request, data=filters_data, action_form=action_form, status=422)
        query = filters.to_query()
    try:
        result = assignments_act(
            actor=actor,
            request=ActionRequest(
                action=data["action"],
                ids=None if query is not None else data["ids"],
                query=query,
                due_date=data.get("due_date"),
                reason=data.get("reason") or "",
            ),
        )
    except DomainError as exc:
        for error in exc.errors or []:
            field = error.field if error.field in action_form.fields else None
            action_form.add_error(field, error.message)
        if not exc.errors:
            action_form.add_error(None, exc.detail)
        return _page(request, data=filters_data, action_form=action_form, status=exc.status_code)
    done = _action_done(data["action"], result.done)
    if result.failed_count:
        reasons = ", ".join(f"{reason} ({n})" for reason, n in sorted(result.failed_by_reason.items()))
        messages.warning(
            request,
            _("%(done)s %(count)s not: %(reasons)s.")
            % {"done": done, "count": result.failed_count, "reasons": reasons},
        )
    else:
        messages.success(request, done)
    return HttpResponseRedirect(_tasks_url(view_query(filters_data.items())))


@person_view
@require_POST
def saved_view_create_view(request):
    actor = request.actor
    _require_view(actor)
    query = request.POST.get("query", "")
    try:
        view = services.saved_view_save(actor=actor, name=request.POST.get("name", ""), query=query)
    except DomainError as exc:
        messages.error(request, _("The view was not saved: %(problem)s") % {"problem": exc.detail})
        return HttpResponseRedirect(_tasks_url(view_query(QueryDict(query[:4000]).items())))
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return HttpResponseRedirect(_tasks_url(view.query))


@person_view
@require_POST
def saved_view_delete_view(request, view_id: int):
    actor = request.actor
    _require_view(actor)
    view = selectors.access_saved_view(actor=actor, view_id=view_id)
    services.saved_view_delete(actor=actor, view=view)
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return HttpResponseRedirect(reverse("workspace:tasks"))
