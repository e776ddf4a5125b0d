"""Reads of assignments that depend on who asks; status is derived in SQL from the facts."""

import datetime as dt

from django.db.models import Case, CharField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from duecourse.assignments import rules
from duecourse.assignments.domain import PRIORITY_RANK
from duecourse.assignments.models import Assignment, AssignmentRule, AssignmentSource
from duecourse.core import clock
from duecourse.core.errors import forbidden, not_found
from duecourse.people.models import Person


def status_expression(now: dt.datetime) -> Case:
    """Same rule as domain.derive_status, as SQL (indexable filters use `status_filter`)."""
    return Case(
        When(withdrawn_at__isnull=False, then=Value("withdrawn")),
        When(
            Q(completed_at__isnull=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)),
            then=Value("completed"),
        ),
        When(completed_at__isnull=False, then=Value("expired")),
        When(due_at__lte=now, then=Value("overdue")),
        When(progress__gt=0, then=Value("in_progress")),
        default=Value("assigned"),
        output_field=CharField(),
    )


def status_filter(status: str, now: dt.datetime) -> Q:
    """A WHERE clause per status, written so the indexes on due_at / withdrawn_at can serve it."""
    open_ = Q(withdrawn_at__isnull=True)
    not_done = open_ & Q(completed_at__isnull=True)
    not_due = Q(due_at__isnull=True) | Q(due_at__gt=now)
    return {
        "withdrawn": Q(withdrawn_at__isnull=False),
        "completed": open_ & Q(completed_at__isnull=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)),
        "expired": open_ & Q(completed_at__isnull=False, expires_at__lte=now),
        "overdue": not_done & Q(due_at__lte=now),
        "in_progress": not_done & not_due & Q(progress__gt=0),
        "assigned": not_done & not_due & Q(progress=0),
    }[status]


def priority_rank_expression() -> Case:
    return Case(
        *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )


def with_status(queryset: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    return queryset.annotate(status=status_expression(now or clock.now()))


def assignment_list(
    *,
    actor: Person,
    person_id: int | None = None,
    statuses: list[str] | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    department: str | None = None,
    manager_id: int | None = None,
    due_before: dt.date | None = None,
    due_after: dt.date | None = None,
    overdue: bool | None = None,
    include_hidden: bool = True,
) -> QuerySet:
    now = clock.now()
    items = Assignment.objects.filter(rules.visible_assignments_filter(actor))
    if person_id is not None:
        items = items.filter(person_id=person_id)
    if statuses:
        condition = Q()
        for status in statuses:
            condition |= status_filter(status, now)
        items = items.filter(condition)
    if target_type:
        items = items.filter(target_type=target_type)
    if target_id is not None:
        items = items.filter(target_id=target_id)
    if department:
        items = items.filter(person__department__name=department)
    if manager_id is not None:
        items = items.filter(person__manager_id=manager_id)
    if due_before:
        items = items.filter(due_date__lt=due_before)
    if due_after:
        items = items.filter(due_date__gt=due_after)
    if overdue is True:
        items = items.filter(status_filter("overdue", now))
    elif overdue is False:
        items = items.exclude(status_filter("overdue", now))
    if not include_hidden:
        items = items.exclude(visibility="hidden")
    return with_status(items, now).select_related("person").prefetch_related("sources").order_by("-assigned_at", "-id")


def my_assignments(*, actor: Person) -> QuerySet:
    """The caller's own: overdue first, then priority, then due date (no due date last)."""
    now = clock.now()
    items = Assignment.objects.filter(tenant_id=actor.tenant_id, person_id=actor.pk, withdrawn_at__isnull=True).exclude(
        visibility="hidden"
    )
    overdue_first = Case(
        When(status_filter("overdue", now), then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    done_last = Case(When(completed_at__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField())
    return (
        with_status(items, now)
        .annotate(overdue_rank=overdue_first, priority_rank=priority_rank_expression(), done_rank=done_last)
        .select_related("person")
        .prefetch_related("sources")
        .order_by("done_rank", "overdue_rank", "priority_rank", F("due_date").asc(nulls_last=True), "id")
    )


def access_assignment(*, actor: Person, assignment_id: int) -> Assignment:
    assignment = (
        with_status(Assignment.objects.filter(rules.visible_assignments_filter(actor), pk=assignment_id))
        .select_related("person")
        .prefetch_related("sources")
        .first()
    )
    if assignment is None:
        raise not_found("Assignment")
    return assignment


def own_source_exists(*, actor: Person, assignment: Assignment) -> bool:
    return AssignmentSource.objects.filter(assignment=assignment, kind="individual", ref_id=actor.pk).exists()


def explain_assignment(assignment: Assignment) -> dict:
    """Which sources hold it and where its due date came from."""
    sources = sorted(assignment.sources.all(), key=lambda s: (s.due_date is None, s.due_date or dt.date.max, s.pk))
    if assignment.due_date_manual:
        due_from = assignment.due_explanation or "set by hand"
    elif assignment.due_date is None:
        due_from = "no source sets a due date"
    else:
        winner = next((s for s in sources if s.due_date == assignment.due_date), None)
        due_from = f"{winner.label}: {winner.due_rule}" if winner else "earliest source"
    return {
        "sources": [
            {"kind": s.kind, "label": s.label, "due_date": s.due_date, "due_rule": s.due_rule, "since": s.created_at}
            for s in sources
        ],
        "due_date": assignment.due_date,
        "due_date_from": due_from,
        "summary": "Source: " + "; ".join(s.label for s in sources) if sources else "No remaining source",
    }


def has_active_reports(person: Person) -> bool:
    return Person.objects.filter(manager_id=person.pk, active=True).exists()


def rule_list(*, actor: Person) -> QuerySet:
    return AssignmentRule.objects.filter(tenant_id=actor.tenant_id).prefetch_related("items").order_by("name", "id")


def access_rule(*, actor: Person, rule_id: int) -> AssignmentRule:
    rule = AssignmentRule.objects.filter(tenant_id=actor.tenant_id, pk=rule_id).prefetch_related("items").first()
    if rule is None:
        raise not_found("Rule")
    if not rules.can_view_rules(actor):
        # Learners see a rule's id and name among their assignment's sources, so it is no secret that it exists.
        raise forbidden("see assignment rules")
    return rule


def sources_exist(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(has_sources=Exists(AssignmentSource.objects.filter(assignment_id=OuterRef("pk"))))
