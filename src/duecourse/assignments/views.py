"""Assignment pages: My learning, an assignment's page, a person's training, and the bulk wizard.

Every read goes through `assignments.selectors` (visibility is decided there) and every write through
`assignments.services`; these views shape input and choose templates.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from duecourse.assignments import calendar_feed, exemptions, living_rules, permissions, selectors, services
from duecourse.assignments.choices import active_targets, org_unit_names, pickable_groups
from duecourse.assignments.forecast import format_minutes
from duecourse.assignments.forms import (
    AssignForm,
    AssignmentEditForm,
    BulkPeopleForm,
    BulkRemindersForm,
    BulkTargetsForm,
    DueDateForm,
    ExemptionForm,
    bulk_input,
    describe_plan,
)
from duecourse.assignments.inputs import BulkAssignInput, RuleInput
from duecourse.assignments.limits import MAX_FILTER_TEXT_LENGTH, MAX_RULE_NAME_LENGTH
from duecourse.assignments.presenters import Item, checklist, present, titles_for
from duecourse.assignments.status import OPEN_STATUSES, STATUS_LABELS, AssignmentStatus
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, is_htmx, person_view
from duecourse.people import selectors as people_selectors

PICKER_RESULTS = 8
PREVIEW_ROWS = 200
HOME_ITEMS = 4


# --- My learning ---------------------------------------------------------------------------------
def _completed_at(item: Item) -> dt.datetime:
    """The order of completed items (every one has its completion instant)."""
    return item.assignment.completed_at or dt.datetime.min.replace(tzinfo=dt.UTC)


@person_view
def my_learning_view(request):
    items = present(request.actor, list(selectors.my_assignments(actor=request.actor)), launch=True)
    todo = [i for i in items if i.assignment.status != AssignmentStatus.COMPLETED]
    done = sorted(
        (i for i in items if i.assignment.status == AssignmentStatus.COMPLETED),
        key=_completed_at,
        reverse=True,
    )
    counts = {s: sum(1 for i in items if i.assignment.status == s) for s in STATUS_LABELS}
    context = {
        "todo": todo,
        "done": done,
        "counts": counts,
        "labels": STATUS_LABELS,
        "due_soon": sum(1 for i in todo if i.due_tone == "warning"),
    }
    return render(request, "assignments/my_learning.html", context)


def _calendar_response(person, disposition: str) -> HttpResponse:
    response = HttpResponse(calendar_feed.calendar_ics(person=person), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'{disposition}; filename="training-due.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def calendar_feed_view(request, person_id: int, token: str):
    """The subscribed feed: no sign-in (a calendar app fetches it), the secret URL is the key."""
    person = calendar_feed.person_of_feed(person_id=person_id, token=token)
    if person is None:
        raise Http404("No such calendar")
    return _calendar_response(person, "inline")


@require_GET
@person_view
def my_calendar_download_view(request):
    return _calendar_response(request.actor, "attachment")


@require_GET
@person_view
def my_calendar_card_view(request):
    """The calendar card of the caller's own profile page (htmx)."""
    context = {"calendar_url": calendar_feed.calendar_feed_url(actor=request.actor)}
    return render(request, "assignments/_calendar_card.html", context)


@require_POST
@person_view
def my_calendar_reset_view(request):
    calendar_feed.calendar_feed_reset(actor=request.actor)
    messages.success(request, _("Your calendar has a new link; the old one no longer works. Subscribe again with it."))
    return HttpResponseRedirect(reverse("people:detail", kwargs={"person_id": request.actor.pk}) + "#calendar")


@require_GET
@person_view
def home_summary_view(request):
    """The home page's My learning card (loaded by htmx so the home page stays one query light)."""
    actor = request.actor
    items = present(actor, list(selectors.my_assignments(actor=actor)), launch=True)
    todo = [i for i in items if i.assignment.status != AssignmentStatus.COMPLETED]
    context = {
        "todo": todo[:HOME_ITEMS],
        "more": max(len(todo) - HOME_ITEMS, 0),
        "open_count": len(todo),
        "overdue_count": sum(1 for i in todo if i.assignment.status == AssignmentStatus.OVERDUE),
        "completed_count": len(items) - len(todo),
        "can_assign": permissions.can_assign_at_all(actor),
    }
    return render(request, "assignments/_home_summary.html", context)


# --- one assignment ------------------------------------------------------------------------------
def _assignment_page(request, assignment, *, form=None, error=None, status=200, exemption_form=None):
    actor = request.actor
    item = present(actor, [assignment], launch=True, changes=True, reminders=True)[0]
    is_self = assignment.person_id == actor.pk
    context = {
        "item": item,
        "a": assignment,
        "is_self": is_self,
        "courses": checklist(actor, assignment, clock.now()),
        "form": form or AssignmentEditForm(initial=AssignmentEditForm.initial_for(assignment)),
        "error": error,
        "reminders": describe_plan(assignment.reminder_plan) or [_("No reminders")],
        "show_reason": not is_self or permissions.assigns_tenant_wide(actor),
        "person_visible": not is_self,
        "can_exempt": permissions.can_exempt(actor) and assignment.withdrawn_at is None,
        "exemption_form": exemption_form or ExemptionForm(),
    }
    return render(request, "assignments/assignment_detail.html", context, status=status)


@person_view
def assignment_detail_view(request, assignment_id: int):
    assignment = selectors.access_assignment(actor=request.actor, assignment_id=assignment_id)
    if assignment.status == AssignmentStatus.WITHDRAWN and assignment.person_id == request.actor.pk:
        messages.info(request, _("That training was withdrawn; it is no longer expected of you."))
        return HttpResponseRedirect(reverse("assignments:my-learning"))
    return _assignment_page(request, assignment)


def _require_change(actor, assignment, action: str) -> None:
    own = selectors.own_source_exists(actor=actor, assignment=assignment)
    if not permissions.can_change_assignment(actor, assignment, own_source=own):
        raise forbidden(action)


@require_POST
@person_view
def assignment_edit_view(request, assignment_id: int):
    actor = request.actor
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    _require_change(actor, assignment, "change this assignment")
    from_person = request.POST.get("from") == "person"
    form = DueDateForm(request.POST) if from_person else AssignmentEditForm(request.POST)
    if form.is_valid():
        changes = form.to_input(assignment)
        try:
            if changes.given():
                services.assignment_update(actor=actor, assignment=assignment, data=changes)
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        except Conflict as exc:
            return _after_change(request, assignment, error=exc.detail, status=409)
        else:
            text = _("Saved the changes.") if changes.given() else _("Nothing changed.")
            return _after_change(request, assignment, notice=text)
    if from_person:
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _after_change(request, assignment, error=_("Due date: %(message)s") % {"message": message}, status=422)
    return _assignment_page(request, assignment, form=form, status=422)


@require_POST
@person_view
def assignment_withdraw_view(request, assignment_id: int):
    actor = request.actor
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    try:
        result = services.assignment_withdraw(actor=actor, assignment=assignment, reason=request.POST.get("reason", ""))
    except Conflict as exc:
        return _after_change(request, assignment, error=exc.detail, status=409)
    if result.withdrawn:
        notice = _("Withdrew the assignment from %(name)s; they have been notified.") % {"name": assignment.person.name}
    elif result.removed:
        notice = _("Removed %(sources)s; the assignment stays because other sources still hold it.") % {
            "sources": ", ".join(result.removed)
        }
    else:
        notice = _("Nothing changed.")
    return _after_change(request, assignment, notice=notice, withdrawn=result.withdrawn)


@require_POST
@person_view
def assignment_exempt_view(request, assignment_id: int):
    """Grant an exemption from the assignment page (admins, instructors)."""
    actor = request.actor
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    if not permissions.can_exempt(actor):
        raise forbidden("exempt people from assignments")
    form = ExemptionForm(request.POST)
    if form.is_valid():
        try:
            exemptions.exemption_grant(actor=actor, assignment=assignment, data=form.to_input())
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        except Conflict as exc:
            message = "; ".join(e.message for e in exc.errors) if exc.errors else exc.detail
            return _assignment_page(
                request, assignment, error=_("Not exempted: %(message)s.") % {"message": message}, status=409
            )
        else:
            until = form.cleaned_data["until"]
            name = assignment.person.name
            if until:
                notice = _("%(name)s is exempt until %(day)s.") % {"name": name, "day": date_format(until, "j M Y")}
            else:
                notice = _("%(name)s is exempt.") % {"name": name}
            return _after_change(request, assignment, notice=notice)
    return _assignment_page(request, assignment, exemption_form=form, status=422)


@require_POST
@person_view
def assignment_exemption_end_view(request, assignment_id: int):
    actor = request.actor
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    if not permissions.can_exempt(actor):
        raise forbidden("end exemptions from assignments")
    exemptions.exemption_end(actor=actor, assignment=assignment, reason=request.POST.get("reason", ""))
    return _after_change(request, assignment, notice=_("Ended the exemption; the due date applies again."))


def _after_change(request, assignment, *, notice=None, error=None, status=200, withdrawn=False):
    """Where an edit or withdrawal lands: the person's training section (htmx), or a page."""
    if request.POST.get("from") == "person":
        if is_htmx(request):
            # htmx swaps only successful responses: the error is part of the redrawn section.
            return _person_section(request, assignment.person, notice=notice, error=error)
        (messages.error if error else messages.success)(request, error or notice)
        return HttpResponseRedirect(reverse("people:detail", args=[assignment.person_id]) + "#training")
    if error:
        fresh = selectors.access_assignment(actor=request.actor, assignment_id=assignment.pk)
        return _assignment_page(request, fresh, error=error, status=status)
    messages.success(request, notice)
    if withdrawn:
        return HttpResponseRedirect(reverse("people:detail", args=[assignment.person_id]) + "#training")
    return HttpResponseRedirect(reverse("assignments:detail", args=[assignment.pk]))


# --- a person's training (included on the person page) ------------------------------------------
def _person_section(request, person, *, form=None, notice=None, error=None):
    actor = request.actor
    assignments = list(selectors.assignment_list(actor=actor, person_id=person.pk, statuses=OPEN_STATUSES))
    items = present(actor, assignments, changes=True)
    rank: dict[str, int] = {
        AssignmentStatus.OVERDUE: 0,
        AssignmentStatus.EXPIRED: 1,
        AssignmentStatus.IN_PROGRESS: 2,
        AssignmentStatus.ASSIGNED: 3,
    }
    current = sorted(
        (i for i in items if i.assignment.status != AssignmentStatus.COMPLETED),
        key=lambda i: (rank.get(i.assignment.status, 4), i.assignment.due_date or dt.date.max),
    )
    history = sorted(
        (i for i in items if i.assignment.status == AssignmentStatus.COMPLETED),
        key=_completed_at,
        reverse=True,
    )
    can_assign = permissions.can_assign_to(actor, person) and person.active
    context = {
        "person": person,
        "current": current,
        "history": history,
        "overdue_count": sum(1 for i in current if i.assignment.status == AssignmentStatus.OVERDUE),
        "can_assign": can_assign,
        "assign_form": form or (AssignForm(targets=active_targets(actor)) if can_assign else None),
        "notice": notice,
        "error": error,
        "is_self": person.pk == actor.pk,
    }
    return render(request, "assignments/_person_training.html", context)


@require_GET
@person_view
def person_training_view(request, person_id: int):
    person = people_selectors.access_person(actor=request.actor, person_id=person_id)
    return _person_section(request, person)


def _assigned_notice(person, outcomes, titles) -> str:
    """What assigning from the person page did, item by item."""
    lines = []
    for assignment, created in outcomes:
        title = titles.get((assignment.target_type, assignment.target_id), "")
        if created and assignment.cycle > 1:
            lines.append(
                _("Re-opened %(title)s for %(name)s as a retake (cycle %(cycle)s).")
                % {"title": title, "name": person.name, "cycle": assignment.cycle}
            )
        elif created:
            lines.append(_("Assigned %(title)s to %(name)s.") % {"title": title, "name": person.name})
        elif assignment.completed_at is not None:
            lines.append(
                _(
                    "%(name)s has already completed %(title)s; it stays completed "
                    "(tick Retake to re-open it as a new cycle)."
                )
                % {"title": title, "name": person.name}
            )
        else:
            lines.append(
                _("%(name)s already had %(title)s; your assignment was added as another source.")
                % {"title": title, "name": person.name}
            )
    return " ".join(lines)


@person_view
def person_assign_view(request, person_id: int):
    """Assign training to one person: posted from their page (htmx) or a page of its own."""
    actor = request.actor
    person = people_selectors.access_person(actor=actor, person_id=person_id)
    if not permissions.can_assign_to(actor, person):
        raise forbidden("assign training to this person")
    form = AssignForm(request.POST or None, targets=active_targets(actor))
    if request.method == "POST":
        if form.is_valid():
            try:
                outcomes = services.assignment_create_each(actor=actor, data=form.to_inputs(person.pk))
            except ValidationFailed as exc:
                rest = form.place_errors(exc.errors or [FieldError("", exc.detail)])
                if rest:
                    add_field_errors(form, ValidationFailed(detail=exc.detail, errors=rest), {"target": "targets"})
            else:
                notice = _assigned_notice(person, outcomes, titles_for([a for a, _ in outcomes]))
                if is_htmx(request):
                    return _person_section(request, person, notice=notice)
                messages.success(request, notice)
                return HttpResponseRedirect(reverse("people:detail", args=[person.pk]) + "#training")
        if is_htmx(request):
            return _person_section(request, person, form=form)
    context = {"person": person, "form": form}
    return render(request, "assignments/assign_person.html", context, status=422 if form.errors else 200)


# --- the bulk wizard -----------------------------------------------------------------------------
STEP_TITLES = {
    1: gettext_lazy("Training & timing"),
    2: gettext_lazy("People"),
    3: gettext_lazy("Reminders"),
    4: gettext_lazy("Preview"),
}


class Wizard:
    """The wizard's three input steps as forms; what was already seen travels in hidden fields."""

    def __init__(self, request):
        actor = request.actor
        self.actor = actor
        self.tenant_wide = permissions.assigns_tenant_wide(actor)
        post = request.POST if request.method == "POST" else None
        self.seen = {int(s) for s in (post.getlist("seen") if post else []) if s in ("1", "2", "3")}
        initial_targets = [request.GET["target"]] if request.GET.get("target") else []
        self.targets_form = BulkTargetsForm(
            post if 1 in self.seen else None, initial={"targets": initial_targets}, targets=self._targets()
        )
        self.configures = permissions.can_manage_rules(actor)
        self.people_form = BulkPeopleForm(
            post if 2 in self.seen else None,
            groups=pickable_groups(actor),
            org_units=org_unit_names(actor),
            tenant_wide=self.tenant_wide,
            configures=self.configures,
        )
        self.reminders_form = BulkRemindersForm(post if 3 in self.seen else None)
        self.forms: dict[int, forms.Form] = {1: self.targets_form, 2: self.people_form, 3: self.reminders_form}

    def _targets(self):
        return active_targets(self.actor)

    def valid_through(self, step: int) -> int | None:
        """The first step (up to `step`) whose form is not valid, or None."""
        for n in range(1, step + 1):
            if n in self.seen and not self.forms[n].is_valid():
                return n
            if n not in self.seen and n != 3:
                return n
        return None

    def report_ids(self) -> list[int]:
        return list(self.actor.reports.filter(active=True).values_list("pk", flat=True))

    def to_input(self, *, dry_run: bool) -> BulkAssignInput:
        return bulk_input(
            targets=self.targets_form,
            people=self.people_form,
            reminders=self.reminders_form if 3 in self.seen else None,
            report_ids=self.report_ids(),
            dry_run=dry_run,
        )

    def keeps_current(self) -> bool:
        """A training configuration is made instead of a one-off assignment (valid step 2 only)."""
        return self.people_form.keeps_current()

    def config_name(self) -> str:
        """The configuration's name: as typed, or the training and the people it is for."""
        typed = self.people_form.cleaned_data.get("config_name", "").strip()
        if typed:
            return typed
        refs = self.targets_form.targets_data()["targets"]
        titles = target_titles(tenant_id=self.actor.tenant_id, targets={(t.type, t.id) for t in refs})
        training = ", ".join(titles.get((t.type, t.id), "") for t in refs)
        return f"{training} · {'; '.join(_summary(self)['audience'])}"[:MAX_RULE_NAME_LENGTH]

    def rule_input(self) -> RuleInput:
        """The wizard's choices as a training configuration: the targets required, its timing, terms and reminders."""
        timing = self.targets_form.timing_data()
        plan = self.reminders_form.plan() if 3 in self.seen else None
        return RuleInput.model_validate(
            {
                "name": self.config_name(),
                "audience": self.people_form.audience_data(),
                "items": [{"target": t} for t in self.targets_form.targets_data()["targets"]],
                "due_date": timing.get("due_date"),
                "due_in_days": timing.get("due_in_days"),
                "priority": timing["priority"],
                "note": timing["note"],
                **({"reminders": plan} if plan is not None else {}),
            }
        )

    def attach_errors(self, exc: ValidationFailed) -> int:
        """Put a service's errors beside the fields of the step that owns them; returns the first such step."""
        steps = []
        for error in exc.errors or [FieldError("", exc.detail)]:
            path = error.field
            if path.startswith(("assignees", "audience")):
                step, name = 2, path.partition(".")[2].split("[")[0]
            elif path == "name":
                step, name = 2, "config_name"
            elif path.startswith("reminders"):
                step, name = 3, ""
            elif path.startswith("items"):
                step, name = 1, "targets"
            else:
                step, name = 1, path.split("[")[0].split(".")[0]
            form = self.forms[step]
            if name in form.fields:
                form.add_error(name, error.message)
            else:
                label = path.replace("assignees.", "").replace("_", " ").capitalize()
                form.add_error(None, f"{label}: {error.message}" if path else error.message)
            steps.append(step)
        return min(steps)


def _people_names(actor, ids) -> dict[int, str]:
    return dict(people_selectors.person_list(actor=actor).filter(pk__in=ids).values_list("pk", "name"))


def _wizard_render(request, wizard, step, *, preview=None, result=None, status=200):
    actor = request.actor
    picked = []
    if 2 in wizard.seen and wizard.forms[2].is_valid():
        picked_ids = wizard.forms[2].cleaned_data["person_ids"]
        picked = list(people_selectors.person_list(actor=actor).filter(pk__in=picked_ids))
    elif request.method == "POST":
        raw = [int(v) for v in request.POST.getlist("person_ids") if v.isdigit() and len(v) < 19]
        picked = list(people_selectors.person_list(actor=actor).filter(pk__in=raw))
    context = {
        "wizard": wizard,
        "step": step,
        "steps": STEP_TITLES,
        "f1": wizard.forms[1],
        "f2": wizard.forms[2],
        "f3": wizard.forms[3],
        "hidden_steps": [wizard.forms[n] for n in (1, 2, 3) if n != step and n in wizard.seen],
        "seen": sorted(wizard.seen | ({step} if step <= 3 else set())),
        "picked": picked,
        "preview": preview,
        "result": result,
        "tenant_wide": wizard.tenant_wide,
        "report_count": len(wizard.report_ids()) if not wizard.tenant_wide else None,
    }
    if step == 1:
        form = wizard.forms[1]
        selected = set(form["targets"].value() or [])
        context["target_groups"] = [
            (label, [(value, text, value in selected) for value, text in options])
            for label, options in form.fields["targets"].choices
        ]
    if is_htmx(request):
        return render(request, "assignments/_wizard.html", context)
    return render(request, "assignments/bulk_wizard.html", context, status=status)


def _summary(wizard) -> dict:
    f1, f2 = wizard.targets_form, wizard.people_form
    labels = dict(o for _group, opts in wizard._targets() for o in opts)
    data = f1.cleaned_data
    people = f2.cleaned_data
    audience = []
    if people["person_ids"]:
        picked = len(people["person_ids"])
        audience.append(ngettext("%(n)s picked person", "%(n)s picked people", picked) % {"n": picked})
    if people.get("my_reports"):
        audience.append(_("all my direct reports"))
    group_names = dict(f2.fields["group_ids"].choices)
    audience += [_("Group: %(name)s") % {"name": group_names.get(g, g)} for g in people["group_ids"]]
    for key, label in (("departments", _("Department")), ("sites", _("Site")), ("regions", _("Region"))):
        audience += [f"{label}: {n}" for n in people[key]]
    if people.get("everyone"):
        audience.append(_("Everyone"))
    if people.get("emails"):
        pasted = len(people["emails"])
        audience.append(ngettext("%(n)s pasted email address", "%(n)s pasted email addresses", pasted) % {"n": pasted})
    plan = wizard.reminders_form.plan() if 3 in wizard.seen else None
    return {
        "targets": [labels.get(t, t) for t in data["targets"]],
        "due": f1.due_text(),
        "priority": dict(f1.fields["priority"].choices)[data["priority"]],
        "note": data["note"],
        "audience": audience,
        "reminders": describe_plan(plan) or [_("No reminders")],
    }


@person_view
def bulk_view(request):
    actor = request.actor
    if not permissions.can_assign_at_all(actor):
        raise forbidden("assign training")
    wizard = Wizard(request)
    if request.method != "POST":
        return _wizard_render(request, wizard, 1)
    go = request.POST.get("go", "")
    current = int(request.POST.get("step", "1")) if request.POST.get("step", "1") in ("1", "2", "3", "4") else 1
    if go.startswith("step:") and go[5:] in ("1", "2", "3"):
        return _wizard_render(request, wizard, int(go[5:]))
    if go == "back":
        return _wizard_render(request, wizard, max(current - 1, 1))
    if go == "next" and current < 3:
        broken = wizard.valid_through(current)
        if broken:
            return _wizard_render(request, wizard, broken, status=422)
        return _wizard_render(request, wizard, current + 1)
    # Preview (a dry run) or confirm (the real thing).
    broken = wizard.valid_through(3)
    if broken:
        return _wizard_render(request, wizard, broken, status=422)
    dry_run = go != "confirm"
    keep = wizard.keeps_current()
    if keep and wizard.targets_form.cleaned_data["retake"]:
        wizard.targets_form.add_error("retake", RETAKE_IS_ONE_OFF)
        return _wizard_render(request, wizard, 1, status=422)
    try:
        if keep:
            # The same checks as saving the configuration, before anything is previewed or written.
            living_rules.clean_rule_input(actor=actor, data=wizard.rule_input(), rule=None)
        if keep and not dry_run:
            reason = wizard.targets_form.cleaned_data["reason"]
            rule, outcome = living_rules.rule_create(actor=actor, data=wizard.rule_input(), reason=reason)
            return _wizard_render(request, wizard, 5, result={"created": outcome["added"], "rule": rule})
        result = services.bulk_assign(actor=actor, data=wizard.to_input(dry_run=dry_run))
    except ValidationFailed as exc:
        return _wizard_render(request, wizard, wizard.attach_errors(exc), status=422)
    if dry_run:
        return _wizard_render(request, wizard, 4, preview=_preview_context(actor, wizard, result))
    return _wizard_render(request, wizard, 5, result=_result_context(actor, wizard, result))


RETAKE_IS_ONE_OFF = gettext_lazy(
    "A training configuration cannot re-open completed training: untick Retake, or choose “One-off” on the People step."
)


def _minutes_text(minutes: int) -> str:
    return format_minutes(minutes or 0)


def _preview_context(actor, wizard, result) -> dict:
    rows = sorted(result.preview or [], key=lambda r: (not r["overloaded"], r["action"] != "create", r["name"]))
    for row in rows:
        row["workload_text"] = _minutes_text(row["workload_minutes_30d"])
    people = {r["person_id"] for r in rows}
    return {
        "summary": _summary(wizard),
        "rows": rows[:PREVIEW_ROWS],
        "more": max(len(rows) - PREVIEW_ROWS, 0),
        "created": result.created,
        "skipped": result.skipped,
        **_failures(actor, result.failed, wizard.people_form.cleaned_data.get("emails") or []),
        "people": len(people),
        "overloaded": len({r["person_id"] for r in rows if r["overloaded"]}),
        "threshold_text": _minutes_text(services.overload_threshold(actor.tenant_id)),
        "config_name": wizard.config_name() if wizard.keeps_current() else "",
    }


def _failures(actor, failed: list[dict], pasted: list[str]) -> dict:
    """Failed rows as the wizard lists them (the first PREVIEW_ROWS, named), and the pasted addresses: how
    many were recognised, and each unrecognised one once (whatever the number of targets) with its reason."""
    shown = failed[:PREVIEW_ROWS]
    names = _people_names(actor, {f["person_id"] for f in shown if f.get("person_id")})
    unrecognised = dict.fromkeys((f["email"], f["reason"]) for f in failed if f.get("email"))
    rows = [
        {**f, "name": f.get("email") or names.get(f["person_id"], _("Person #%(id)s") % {"id": f["person_id"]})}
        for f in shown
    ]
    return {
        "failed": rows,
        "failed_by_id": [f for f in rows if not f.get("email")],
        "failed_count": len(failed),
        "failed_more": max(len(failed) - PREVIEW_ROWS, 0),
        "pasted": len(pasted),
        "recognised": len(pasted) - len({email for email, _ in unrecognised}),
        "unrecognised": [{"email": email, "reason": reason} for email, reason in unrecognised],
    }


def _result_context(actor, wizard, result) -> dict:
    pasted = wizard.people_form.cleaned_data.get("emails") or []
    return {"created": result.created, "skipped": result.skipped, **_failures(actor, result.failed, pasted)}


@require_GET
@person_view
def bulk_people_picker_view(request):
    """Search results for the wizard's individual people (a manager finds only their direct reports)."""
    actor = request.actor
    if not permissions.can_assign_at_all(actor):
        raise forbidden("assign training")
    q = (request.GET.get("picker_q") or "").strip()[:MAX_FILTER_TEXT_LENGTH]
    people = []
    if q:
        found = people_selectors.person_list(actor=actor, q=q, active=True)
        if not permissions.assigns_tenant_wide(actor):
            found = found.filter(manager_id=actor.pk)
        picked = [int(v) for v in request.GET.getlist("person_ids") if v.isdigit() and len(v) < 19]
        people = list(found.exclude(pk__in=picked)[:PICKER_RESULTS])
    return render(
        request,
        "assignments/_picker_results.html",
        {"people": people, "q": q, "tenant_wide": permissions.assigns_tenant_wide(actor)},
    )


@require_GET
@person_view
def bulk_person_chip_view(request):
    raw = request.GET.get("person_id", "")
    person = people_selectors.access_person(
        actor=request.actor, person_id=int(raw) if raw.isdigit() and len(raw) < 19 else 0
    )
    return render(request, "assignments/_person_chip.html", {"p": person})
