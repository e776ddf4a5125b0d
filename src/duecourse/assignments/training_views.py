"""Training configurations (assignment rules) on the web: their list, the Training tab of a group or org unit,
the form (an htmx item editor and a preview of who is added and removed), a configuration's own page with
its people and history, pausing, resuming and deleting with a reason.

Reads go through `assignments.selectors`; writes through `assignments.living_rules`, whose `clean_rule_input`
checks every field (its errors are put beside the fields here). These views shape input and choose templates.
"""

from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from duecourse.assignments import living_rules, permissions, selectors
from duecourse.assignments.choices import active_targets, org_unit_names, pickable_groups
from duecourse.assignments.forms import (
    VALIDITY_CHOICES,
    VISIBILITY_CHOICES,
    ReasonForm,
    RuleForm,
    RuleItemRow,
    RuleRemindersForm,
    apply_item_op,
    item_errors_from,
    parse_target,
    rule_item_inputs,
    rule_items_from_post,
)
from duecourse.assignments.inputs import TimingPolicy
from duecourse.assignments.limits import MAX_FILTER_TEXT_LENGTH
from duecourse.assignments.models import AssignmentRule
from duecourse.assignments.presenters import TYPE_LABELS
from duecourse.assignments.rule_presenters import present_rules, rule_history
from duecourse.assignments.status import STATUS_LABELS
from duecourse.catalog.selectors import target_titles
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.web import is_htmx, person_view
from duecourse.groups import org_units
from duecourse.people import selectors as people_selectors

PEOPLE_PAGE_SIZE = 25
PREVIEW_ROWS = 20
# Where a service's audience errors show: the audience part the form has a field for.
AUDIENCE_FIELDS = ("person_ids", "group_ids", "departments", "sites", "regions")
FORM_FIELDS = {"due_from": "due_mode"}


def _require_view(actor) -> None:
    if not permissions.can_view_rules(actor):
        raise forbidden("see training configurations")


def _require_manage(actor) -> None:
    if not permissions.can_manage_rules(actor):
        raise forbidden("change training configurations")


def _live_rule(actor, rule_id: int) -> AssignmentRule:
    """A rule that is not deleted (a deleted one can still be looked at, not changed)."""
    rule = selectors.access_rule(actor=actor, rule_id=rule_id)
    if rule.deleted_at is not None:
        raise Http404("This training configuration is deleted")
    return rule


# --- lists ---------------------------------------------------------------------------------------
def _rows(actor, rules: list[AssignmentRule]) -> list:
    holders = selectors.rule_holder_counts(tenant_id=actor.tenant_id, rule_ids=[r.pk for r in rules])
    return present_rules(actor.tenant_id, rules, holders)


@person_view
def training_list_view(request):
    actor = request.actor
    q = (request.GET.get("q") or "").strip()[:MAX_FILTER_TEXT_LENGTH]
    audience = request.GET.get("audience", "")
    audience = audience if audience in selectors.AUDIENCE_KEYS else ""
    state = request.GET.get("status", "")
    state = state if state in (living_rules.ACTIVE, living_rules.PAUSED) else ""
    rules = selectors.training_configurations(actor=actor, q=q, audience_kind=audience, state=state)
    context = {
        "rows": _rows(actor, rules),
        "q": q,
        "audience": audience,
        "status": state,
        "audience_kinds": selectors.AUDIENCE_KIND_LABELS,
        "can_manage": permissions.can_manage_rules(actor),
        "filtered": bool(q or audience or state),
    }
    if is_htmx(request):
        return render(request, "assignments/_training_results.html", context)
    return render(request, "assignments/training_list.html", context)


@person_view
def training_for_view(request, kind: str, object_id: int):
    """The Training tab of a group, department, site or region: the configurations whose audience names it."""
    actor = request.actor
    ref = selectors.audience_ref(actor=actor, kind=kind, object_id=object_id)  # 404 as on the audience's own page
    _require_view(actor)
    context = {
        "ref": ref,
        "kind_label": org_units.LABELS.get(kind, _("Group")),
        "rows": _rows(actor, selectors.rules_for_audience(actor=actor, ref=ref)),
        "can_manage": permissions.can_manage_rules(actor),
        "add_url": reverse("assignments:training-create") + f"?kind={kind}&id={ref.object_id}",
    }
    return render(request, "assignments/training_for.html", context)


# --- the form ------------------------------------------------------------------------------------
class RuleEditor:
    """The configuration form's parts: the fields, the reminders, the item rows, and the errors of the
    audience and of the item list that have no single field."""

    def __init__(self, request, rule: AssignmentRule | None, initial: dict | None = None):
        actor = request.actor
        self.actor, self.rule = actor, rule
        post = request.POST if request.method == "POST" else None
        self.form = RuleForm(
            post,
            initial=initial,
            editing=rule is not None,
            groups=pickable_groups(actor, named=(rule.audience.get("group_ids") or []) if rule else ()),
            org_units=org_unit_names(actor),
        )
        self.reminders = RuleRemindersForm(post, plan=rule.reminders if rule else None)
        if post is not None:
            self.rows = rule_items_from_post(post)
        elif rule is not None:
            self.rows = [
                RuleItemRow.of(f"{i.target_type}:{i.target_id}", i.visibility, i.validity_months)
                for i in sorted(rule.items.all(), key=lambda i: i.position)
            ]
        else:
            self.rows = []
        self.audience_errors: list[str] = []
        self.items_errors: list[str] = []

    def to_input(self):
        """The rule input, or None with every error in place (forms, rows) when something cannot be read."""
        items = rule_item_inputs(self.rows)
        valid = self.form.is_valid() & self.reminders.is_valid()
        if not valid or items is None:
            return None
        return self.form.to_input(items, self.reminders)

    def attach(self, exc: ValidationFailed) -> None:
        """A service's errors beside their fields: item rows, the audience, the item list, the fields."""
        for error in item_errors_from(exc.errors or [FieldError("", exc.detail)], self.rows):
            name, _dot, part = error.field.partition(".")
            name = FORM_FIELDS.get(name, name)
            if name == "audience":
                if part in AUDIENCE_FIELDS:
                    self.form.add_error(part, error.message)
                else:
                    self.audience_errors.append(error.message)
            elif name == "items":
                self.items_errors.append(error.message)
            elif name == "reminders":
                self.reminders.add_error(None, _("Reminders: %(message)s") % {"message": error.message})
            elif name in self.form.fields:
                self.form.add_error(name, error.message)
            else:
                label = name.replace("_", " ").capitalize()
                self.form.add_error(None, f"{label}: {error.message}" if name else error.message)

    def timing_policy(self) -> TimingPolicy:
        return cast(TimingPolicy, self.form.cleaned_data.get("timing_policy") or "keep")

    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.reminders.errors
            or self.audience_errors
            or self.items_errors
            or any(r.errors for r in self.rows)
        )


def _item_context(actor, rows: list[RuleItemRow]) -> dict:
    """The item editor: its rows with titles, and the active catalog left to add (grouped)."""
    refs = [parse_target(r.target) for r in rows]
    titles = target_titles(tenant_id=actor.tenant_id, targets={(t.type, t.id) for t in refs if t})
    for row, ref in zip(rows, refs, strict=True):
        row.title = titles.get((ref.type, ref.id), "") if ref else ""
        row.type_label = str(TYPE_LABELS.get(ref.type, "")) if ref else ""
    chosen = {r.target for r in rows}
    addable = [(label, [o for o in options if o[0] not in chosen]) for label, options in active_targets(actor)]
    return {
        "rows": rows,
        "addable": [(label, options) for label, options in addable if options],
        "visibility_choices": VISIBILITY_CHOICES,
        "validity_choices": VALIDITY_CHOICES,
    }


def _picked_people(actor, form) -> list:
    raw = form["person_ids"].value() or []
    ids = [int(v) for v in (raw if isinstance(raw, list | tuple) else [raw]) if str(v).isdigit() and len(str(v)) < 19]
    found = {p.pk: p for p in people_selectors.person_list(actor=actor).filter(pk__in=ids)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def _form_page(request, editor: RuleEditor, *, preview=None, status=200, back_url=None):
    actor, rule = request.actor, editor.rule
    action = reverse("assignments:training-edit", args=[rule.pk]) if rule else reverse("assignments:training-create")
    if not rule and request.GET.get("kind"):
        action += "?" + request.GET.urlencode()
    context = {
        "editor": editor,
        "form": editor.form,
        "reminders": editor.reminders,
        "rule": rule,
        "action": action,
        "picked": _picked_people(actor, editor.form),
        "preview": preview,
        "back_url": back_url or _back_url(request, rule),
        **_item_context(actor, editor.rows),
    }
    if is_htmx(request):
        return render(request, "assignments/_rule_form.html", context)
    return render(request, "assignments/training_form.html", context, status=status)


def _back_url(request, rule) -> str:
    if rule is not None:
        return reverse("assignments:training-detail", args=[rule.pk])
    kind, raw = request.GET.get("kind", ""), request.GET.get("id", "")
    if kind in ("group", *org_units.KINDS) and raw.isdigit() and len(raw) < 19:
        return reverse("assignments:training-for", args=[kind, int(raw)])
    return reverse("assignments:training-list")


def _prefill(request) -> dict:
    """The audience a Training tab's "Add training configuration" starts with (`?kind=…&id=…`)."""
    kind, raw = request.GET.get("kind", ""), request.GET.get("id", "")
    if kind not in ("group", *org_units.KINDS) or not raw.isdigit() or len(raw) > 18:
        return {}
    ref = selectors.audience_ref(actor=request.actor, kind=kind, object_id=int(raw))
    return {selectors.AUDIENCE_KEYS[kind]: [ref.value]}


def _preview_context(actor, result: dict) -> dict:
    """The rule preview as counts and the first rows of each list, with titles."""
    changes = [*result["add"], *result["remove"], *result["due_changes"]]
    titles = target_titles(
        tenant_id=actor.tenant_id, targets={(c["target"]["type"], c["target"]["id"]) for c in changes}
    )

    def rows(items: list[dict]) -> list[dict]:
        return [{**r, "title": titles.get((r["target"]["type"], r["target"]["id"]), "")} for r in items[:PREVIEW_ROWS]]

    return {
        "add_people": len({r["person_id"] for r in result["add"]}),
        "add_count": len(result["add"]),
        "remove_people": len({r["person_id"] for r in result["remove"]}),
        "remove_count": len(result["remove"]),
        "due_count": len(result["due_changes"]),
        "add": rows(result["add"]),
        "remove": rows(result["remove"]),
        "due_changes": rows(result["due_changes"]),
        "more": max(len(result["add"]), len(result["remove"]), len(result["due_changes"])) > PREVIEW_ROWS,
    }


def _rule_form_view(request, rule: AssignmentRule | None):
    actor = request.actor
    _require_manage(actor)
    initial = RuleForm.initial_for(rule) if rule else _prefill(request)
    editor = RuleEditor(request, rule, initial)
    if request.method != "POST":
        return _form_page(request, editor)
    op = request.POST.get("op", "")
    if op:
        # An item editor button without JavaScript: redraw the form with the change, save nothing.
        editor.rows = apply_item_op(editor.rows, op, request.POST.get("add_target", ""))
        return _form_page(request, editor)
    data = editor.to_input()
    if data is None:
        return _form_page(request, editor, status=422)
    try:
        if request.POST.get("go") == "preview":
            result = living_rules.rule_preview(actor=actor, rule=rule, data=data, timing_policy=editor.timing_policy())
            return _form_page(request, editor, preview=_preview_context(actor, result))
        if rule is None:
            saved, outcome = living_rules.rule_create(actor=actor, data=data)
        else:
            saved, outcome = living_rules.rule_update(
                actor=actor, rule=rule, data=data, timing_policy=editor.timing_policy()
            )
    except ValidationFailed as exc:
        editor.attach(exc)
        return _form_page(request, editor, status=422)
    added, removed = outcome["added"], outcome["removed"]
    values = {"name": saved.name, "added": added, "removed": removed}
    if rule is None:
        notice = ngettext(
            "Created “%(name)s”: %(added)s assignment added, %(removed)s removed.",
            "Created “%(name)s”: %(added)s assignments added, %(removed)s removed.",
            added,
        )
    else:
        notice = ngettext(
            "Saved “%(name)s”: %(added)s assignment added, %(removed)s removed.",
            "Saved “%(name)s”: %(added)s assignments added, %(removed)s removed.",
            added,
        )
    messages.success(request, notice % values)
    return HttpResponseRedirect(reverse("assignments:training-detail", args=[saved.pk]))


@person_view
def training_create_view(request):
    return _rule_form_view(request, None)


@person_view
def training_edit_view(request, rule_id: int):
    return _rule_form_view(request, _live_rule(request.actor, rule_id))


@require_POST
@person_view
def training_items_view(request):
    """The item editor after one add or remove (htmx); nothing is saved until the form is."""
    _require_manage(request.actor)
    post = request.POST
    rows = apply_item_op(rule_items_from_post(post), post.get("op", ""), post.get("add_target", ""))
    return render(request, "assignments/_rule_items.html", {"editor": None, **_item_context(request.actor, rows)})


# --- one configuration ---------------------------------------------------------------------------
def _detail_page(request, rule: AssignmentRule, *, reason_form=None, status=200):
    actor = request.actor
    view = _rows(actor, [rule])[0]
    counts = selectors.rule_status_counts(rule=rule)
    page = Paginator(selectors.rule_holders(rule=rule), PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    people = list(page.object_list)
    held = selectors.rule_assignments(rule=rule).filter(person_id__in=[p.pk for p in people])
    by_person: dict[int, list] = {}
    for assignment in held.order_by("target_type", "target_id"):
        by_person.setdefault(assignment.person_id, []).append(assignment)
    titles = target_titles(tenant_id=rule.tenant_id, targets={(i.type, i.id) for i in view.items})
    context = {
        "view": view,
        "rule": rule,
        "counts": [(s, STATUS_LABELS[s], counts[s]) for s in STATUS_LABELS if counts.get(s)],
        "open_total": sum(counts.values()),
        "page": page,
        "people": [
            (
                person,
                [
                    (a, STATUS_LABELS[a.status], titles.get((a.target_type, a.target_id), ""))
                    for a in by_person.get(person.pk, [])
                ],
            )
            for person in people
        ],
        "history": rule_history(rule),
        "can_manage": permissions.can_manage_rules(actor) and rule.deleted_at is None,
        "reason_form": reason_form or ReasonForm(),
    }
    return render(request, "assignments/training_detail.html", context, status=status)


@person_view
def training_detail_view(request, rule_id: int):
    return _detail_page(request, selectors.access_rule(actor=request.actor, rule_id=rule_id))


def _set_active(request, rule_id: int, *, active: bool):
    actor = request.actor
    rule = _live_rule(actor, rule_id)
    _require_manage(actor)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            rule, outcome = living_rules.rule_set_active(
                actor=actor, rule=rule, active=active, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            form.add_error("reason", "; ".join(e.message for e in exc.errors) or exc.detail)
        except Conflict as exc:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(reverse("assignments:training-detail", args=[rule.pk]))
        else:
            if active:
                notice = _(
                    "Resumed “%(name)s”: %(added)s assignments added, "
                    "%(removed)s removed for people who joined or left while it was paused."
                ) % {"name": rule.name, "added": outcome["added"], "removed": outcome["removed"]}
            else:
                notice = _(
                    "Paused “%(name)s”: nobody loses anything; people who join get nothing until you resume it."
                ) % {"name": rule.name}
            messages.success(request, notice)
            return HttpResponseRedirect(reverse("assignments:training-detail", args=[rule.pk]))
    return _detail_page(request, rule, reason_form=form, status=422)


@require_POST
@person_view
def training_pause_view(request, rule_id: int):
    return _set_active(request, rule_id, active=False)


@require_POST
@person_view
def training_resume_view(request, rule_id: int):
    return _set_active(request, rule_id, active=True)


@person_view
def training_delete_view(request, rule_id: int):
    """Confirm, with a reason, then delete: what only this configuration gave is withdrawn."""
    actor = request.actor
    rule = _live_rule(actor, rule_id)
    _require_manage(actor)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            outcome = living_rules.rule_delete(actor=actor, rule=rule, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            form.add_error("reason", "; ".join(e.message for e in exc.errors) or exc.detail)
        else:
            messages.success(
                request,
                ngettext(
                    "Deleted “%(name)s”: %(removed)s open assignment no longer held by it; completed training stays.",
                    "Deleted “%(name)s”: %(removed)s open assignments no longer held by it; completed training stays.",
                    outcome["removed"],
                )
                % {"name": rule.name, "removed": outcome["removed"]},
            )
            return HttpResponseRedirect(reverse("assignments:training-list"))
    context = {
        "view": _rows(actor, [rule])[0],
        "rule": rule,
        "open_total": selectors.rule_assignments(rule=rule).count(),
        "form": form,
    }
    return render(request, "assignments/training_confirm_delete.html", context, status=422 if form.errors else 200)
