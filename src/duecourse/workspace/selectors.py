"""The Mandatory tasks list: the assignments' one filter (`assignments.selectors.assignment_query_filter`)
with a person search and a sort, and what the filter form offers to pick from."""

from django.db.models import F, QuerySet

from duecourse.assignments import choices as assignment_choices
from duecourse.assignments import selectors as assignment_selectors
from duecourse.assignments.escalation import escalation_tiers
from duecourse.assignments.forecast import learning_minutes_per_day_in
from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import AssignmentQuery
from duecourse.core import clock
from duecourse.core.errors import forbidden, not_found
from duecourse.groups.models import Group
from duecourse.people.models import OrgUnit, Person
from duecourse.people.selectors import org_unit_names
from duecourse.workspace import permissions
from duecourse.workspace.domain import DEFAULT_SORT, SORTS
from duecourse.workspace.models import SavedView

MAX_CHOICES = 1000  # groups and configurations offered in a filter's list


def _order(sort: str) -> list:
    fields = []
    for name in SORTS.get(sort, SORTS[DEFAULT_SORT]).fields:
        descending = name.startswith("-")
        field = F(name.lstrip("-"))
        fields.append(field.desc(nulls_last=True) if descending else field.asc(nulls_last=True))
    return fields


def task_list(*, actor: Person, query: AssignmentQuery, sort: str = DEFAULT_SORT, forecast: bool = False) -> QuerySet:
    """Assignments the query matches, with status and escalation tier, in `sort` order; each row carries its
    person with department, site, region and manager (one query a page, the CSV streams it). `forecast`:
    the forecast in SQL as well (the CSV's every row); a page marks its few rows with `page_forecast`."""
    if not permissions.can_view_workspace(actor):
        raise forbidden("see the organisation's mandatory tasks")
    now = clock.now()
    settings = assignment_selectors.tenant_settings(actor.tenant_id)
    tiers, per_day = escalation_tiers(settings), learning_minutes_per_day_in(settings)
    where = assignment_selectors.assignment_query_filter(
        actor=actor, query=query, now=now, tiers=tiers, per_day=per_day
    )
    matching = Assignment.objects.filter(where)
    items = assignment_selectors.with_escalation(assignment_selectors.with_status(matching, now), tiers, now)
    if forecast:
        items = assignment_selectors.with_forecast(items, per_day, now)
    return (
        items.select_related("person", "person__department", "person__site", "person__region", "person__manager")
        .prefetch_related("sources")
        .order_by(*_order(sort))
    )


def page_forecast(*, actor: Person, rows: list[Assignment]) -> list[Assignment]:
    """The forecast of one page's rows, by the pure rule (`assignments.selectors.mark_forecast`)."""
    per_day = learning_minutes_per_day_in(assignment_selectors.tenant_settings(actor.tenant_id))
    return assignment_selectors.mark_forecast(rows, per_day, clock.now())


def filter_choices(*, actor: Person) -> dict:
    """What the filter form offers: escalation tiers, org units, live groups, active training, rules."""
    tenant_id = actor.tenant_id
    return {
        "tiers": assignment_selectors.tenant_escalation_tiers(tenant_id),
        "department": org_unit_names(tenant_id=tenant_id, kind=OrgUnit.DEPARTMENT),
        "site": org_unit_names(tenant_id=tenant_id, kind=OrgUnit.SITE),
        "region": org_unit_names(tenant_id=tenant_id, kind=OrgUnit.REGION),
        "groups": list(
            Group.objects.filter(tenant_id=tenant_id, archived_at__isnull=True)
            .order_by("name", "id")
            .values_list("pk", "name")[:MAX_CHOICES]
        ),
        "targets": assignment_choices.active_targets(actor),
        "rules": list(
            assignment_selectors.rule_list(actor=actor).prefetch_related(None).values_list("pk", "name")[:MAX_CHOICES]
        ),
    }


def saved_views(*, actor: Person) -> QuerySet:
    return SavedView.objects.filter(tenant_id=actor.tenant_id, person_id=actor.pk).order_by("name", "id")


def access_saved_view(*, actor: Person, view_id: int) -> SavedView:
    """One of the actor's own views; anyone else's (or another tenant's) does not exist for them."""
    view = saved_views(actor=actor).filter(pk=view_id).first()
    if view is None:
        raise not_found("Saved view")
    return view
