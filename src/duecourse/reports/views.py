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
from duecourse.people.models import Person
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


def _team_items(actor, manager_id: int, scope: str = "direct"):
    """The open items of the team's active members the actor may see (their forecast left to `mark_forecast`)."""
    return assignment_selectors.assignment_list(
        actor=actor, manager_id=manager_id, scope=scope, statuses=OPEN_STATUSES, forecast_in_sql=False
    ).filter(person__active=True)


def _has_indirect_reports(tenant_id: int, manager_id: int) -> bool:
    """Whether anyone active reports to one of the manager's reports: the page offers "Whole team" then."""
    return Person.objects.filter(tenant_id=tenant_id, manager__manager_id=manager_id, active=True).exists()


def _trend_picture(counts: list[int]) -> list[dict]:
    """The bars of a row's trend sparkline (SVG user units: 8 bars of 6 in a 64 × 20 box, tallest 18)."""
    top = max(max(counts), 1)
    bars = []
    for i, n in enumerate(counts):
        height = round(18 * n / top) if n else 1
        bars.append({"x": i * 8, "y": 20 - height, "height": height})
    return bars


@person_view
def team_actions_view(request):
    """The home page's "Needs your action" for a manager: their own team's action lists (htmx)."""
    actor = request.actor
    if not roles.has_reports(actor):
        raise not_found("Team")
    now = clock.now()
    per_day = assignment_selectors.tenant_learning_minutes_per_day(actor.tenant_id)
    at_risk = selectors.team_at_risk(tenant_id=actor.tenant_id, manager_id=actor.pk, now=now)
    context = {
        **_action_items(actor, at_risk, _team_items(actor, actor.pk), per_day, now),
        "can_assign": True,
        "unassignable": (),
    }
    return render(request, "reports/_team_actions.html", context)


@person_view
def team_view(request):
    actor = request.actor
    manager_id = _int(request.GET.get("manager")) or actor.pk
    scope = "subtree" if request.GET.get("scope") == "subtree" else "direct"
    team, at_risk_ids = selectors.team_status_and_risk(actor=actor, manager_id=manager_id, scope=scope, page=True)
    # team_status_and_risk has checked the actor may see this team (a manager: theirs, or one below them).
    manager = Person.objects.get(tenant_id=actor.tenant_id, pk=manager_id) if manager_id != actor.pk else actor
    can_assign = manager_id == actor.pk or assignment_permissions.assigns_tenant_wide(actor)
    for row in team:
        row["indirect"] = row["manager_id"] != manager_id
        row["trend_bars"] = _trend_picture(row["trend"])
        row["trend_text"] = ", ".join(str(n) for n in row["trend"])
        # Assigning from the page: learning staff anyone; a manager their direct reports (the person pages a
        # manager can open are their direct reports').
        row["can_assign"] = can_assign and (not row["indirect"] or assignment_permissions.assigns_tenant_wide(actor))
    if scope == "subtree":
        has_indirect = any(row["indirect"] for row in team)
    else:
        has_indirect = _has_indirect_reports(actor.tenant_id, manager_id)
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
    team_items = _team_items(actor, manager_id, scope)
    filtered = assignment_selectors.assignment_list(
        actor=actor,
        forecast_in_sql=False,
        manager_id=manager_id,
        scope=scope,
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
        "can_assign": can_assign,
        "is_own_team": manager_id == actor.pk,
        "scope": scope,
        "has_indirect": has_indirect,
        "opens_anyone": roles.sees_whole_tenant(actor),
        "unassignable": {row["person_id"] for row in team if not row["can_assign"]},
        "managers": (
            list(people_selectors.person_list(actor=actor, role="manager", active=True).values_list("pk", "name")[:500])
            if permissions.can_view_tenant_reports(actor)
            else []
        ),
    }
    if is_htmx(request):
        return render(request, "reports/_team_items.html", context)
    return render(request, "reports/team.html", context)
