"""The manager's team view: direct reports' counts, their training with filters, and what needs action."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render

from duecourse.assignments import permissions as assignment_permissions
from duecourse.assignments import selectors as assignment_selectors
from duecourse.assignments.presenters import present
from duecourse.assignments.selectors import mark_forecast
from duecourse.assignments.status import OPEN_STATUSES, STATUS_LABELS, AssignmentStatus
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.core.errors import not_found
from duecourse.core.web import is_htmx, person_view
from duecourse.people import roles
from duecourse.people import selectors as people_selectors
from duecourse.reports import permissions, selectors

PAGE_SIZE = 25
ACTION_ITEMS = 8


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _action_items(actor, at_risk: dict[int, list[int]], team_items, per_day: int, now) -> dict:
    """What needs the manager's action, each list the first ACTION_ITEMS by due date: overdue, at risk (the
    ids `selectors.team_at_risk` found by the forecast's rule), and not started after STALLED_AFTER_DAYS."""

    def first(rows) -> list:
        return mark_forecast(list(rows.order_by("due_date", "id")[:ACTION_ITEMS]), per_day, now)

    overdue = team_items.filter(assignment_selectors.status_filter(AssignmentStatus.OVERDUE, now))
    return {
        "overdue_items": present(actor, first(overdue), reminders=True),
        "at_risk_items": present(
            actor, first(team_items.filter(pk__in=[pk for ids in at_risk.values() for pk in ids])), reminders=True
        ),
        "stalled_items": present(actor, first(team_items.filter(assignment_selectors.stalled_filter(now)))),
        "stalled_days": assignment_selectors.STALLED_AFTER_DAYS,
    }


def _team_items(actor, manager_id: int):
    """The open items of the team's active members (their forecast left to `mark_forecast`)."""
    return assignment_selectors.assignment_list(
        actor=actor, manager_id=manager_id, statuses=OPEN_STATUSES, forecast_in_sql=False
    ).filter(person__active=True)


@person_view
def team_actions_view(request):
    """The home page's "Needs your action" for a manager: their own team's action lists (htmx)."""
    actor = request.actor
    if not roles.has_reports(actor):
        raise not_found("Team")
    now = clock.now()
    per_day = assignment_selectors.tenant_learning_minutes_per_day(actor.tenant_id)
    at_risk = selectors.team_at_risk(tenant_id=actor.tenant_id, manager_id=actor.pk, now=now)
    context = {**_action_items(actor, at_risk, _team_items(actor, actor.pk), per_day, now), "can_assign": True}
    return render(request, "reports/_team_actions.html", context)


@person_view
def team_view(request):
    actor = request.actor
    manager_id = _int(request.GET.get("manager")) or actor.pk
    team, at_risk_ids = selectors.team_status_and_risk(actor=actor, manager_id=manager_id)
    manager = people_selectors.access_person(actor=actor, person_id=manager_id) if manager_id != actor.pk else actor
    member_ids = {row["person_id"] for row in team}
    person_id = _int(request.GET.get("person"))
    person_id = person_id if person_id in member_ids else None
    status = request.GET.get("status") if request.GET.get("status") in OPEN_STATUSES else None
    overdue = request.GET.get("overdue") == "1"
    at_risk = request.GET.get("at_risk") == "1"
    target = request.GET.get("target", "")
    target_type, _, target_id = target.partition(":")
    target_ok = target_type in ("course", "path", "skill") and _int(target_id) is not None

    # The page's few rows get their forecast from the rule in Python (`mark_forecast`), not in SQL.
    team_items = _team_items(actor, manager_id)
    filtered = assignment_selectors.assignment_list(
        actor=actor,
        forecast_in_sql=False,
        manager_id=manager_id,
        person_id=person_id,
        statuses=[status] if status else OPEN_STATUSES,
        target_type=target_type if target_ok else None,
        target_id=_int(target_id) if target_ok else None,
        overdue=True if overdue else None,
        at_risk=True if at_risk else None,
    ).filter(person__active=True)
    page = Paginator(filtered.order_by("due_date", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    per_day = assignment_selectors.tenant_learning_minutes_per_day(actor.tenant_id)
    targets = sorted(
        target_titles(
            tenant_id=actor.tenant_id,
            targets=set(team_items.order_by().values_list("target_type", "target_id").distinct()),
        ).items(),
        key=lambda kv: kv[1].lower(),
    )
    context = {
        "manager": manager,
        "team": team,
        "totals": {k: sum(row[k] for row in team) for k in ("active", "completed", "overdue", "at_risk")},
        "page": page,
        "items": present(
            actor,
            assignment_selectors.mark_forecast(list(page.object_list), per_day, now),
            changes=True,
            reminders=True,
        ),
        **_action_items(actor, at_risk_ids, team_items, per_day, now),
        "filters": {
            "person": person_id,
            "status": status or "",
            "target": target if target_ok else "",
            "overdue": overdue,
            "at_risk": at_risk,
        },
        "status_choices": [(s, STATUS_LABELS[s]) for s in OPEN_STATUSES],
        "target_choices": [(f"{t}:{i}", title) for (t, i), title in targets],
        "query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "can_assign": manager_id == actor.pk or assignment_permissions.assigns_tenant_wide(actor),
        "is_own_team": manager_id == actor.pk,
        "managers": (
            list(people_selectors.person_list(actor=actor, role="manager", active=True).values_list("pk", "name")[:500])
            if permissions.can_view_tenant_reports(actor)
            else []
        ),
    }
    if is_htmx(request):
        return render(request, "reports/_team_items.html", context)
    return render(request, "reports/team.html", context)
