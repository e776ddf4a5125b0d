"""Assignment, rule, progress and audit endpoints: thin wrappers over services and selectors."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from duecourse.assignments import (
    audit,
    calendar_feed,
    exemptions,
    living_rules,
    permissions,
    progress,
    selectors,
    services,
)
from duecourse.assignments.limits import MAX_REASON_LENGTH
from duecourse.assignments.models import AssignmentRule
from duecourse.assignments.presenters import (
    ASSIGNMENT_CSV_COLUMNS,
    BULK_FAILED_CSV_COLUMNS,
    assignment_as_dict,
    assignment_csv_rows,
    assignment_row_as_dict,
    bulk_answer,
    bulk_failed_csv_rows,
    titles_for,
)
from duecourse.assignments.schemas import (
    AssignmentFilters,
    AssignmentIn,
    AssignmentList,
    AssignmentOut,
    AssignmentPatch,
    AuditFilters,
    AuditList,
    BulkIn,
    BulkOut,
    CalendarOut,
    ExemptionIn,
    ProgressIn,
    ProgressOut,
    RuleIn,
    RuleList,
    RuleOut,
    RulePatch,
    RulePreviewOut,
)
from duecourse.catalog.selectors import target_titles
from duecourse.core.api import ERROR_RESPONSES, ListParams, actor_of, csv_response, rendered_json, was_paging_asked
from duecourse.core.errors import forbidden

router = Router()


def _assignment_page(request, queryset, params):
    if params.format == "csv":
        rows = queryset
        if was_paging_asked(request):
            rows = rows[params.offset : params.offset + params.limit]
        return csv_response("assignments.csv", ASSIGNMENT_CSV_COLUMNS, assignment_csv_rows(rows))
    page = list(queryset[params.offset : params.offset + params.limit])
    titles = titles_for(page)
    return {"count": queryset.count(), "items": [assignment_as_dict(a, titles) for a in page]}


@router.get(
    "/assignments",
    response={200: AssignmentList, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="List assignments (each role sees what it may)",
)
def list_assignments(request: HttpRequest, filters: Query[AssignmentFilters]):
    items = selectors.assignment_list(actor=actor_of(request), query=filters.to_query())
    return _assignment_page(request, items, filters)


@router.post(
    "/assignments",
    response={200: AssignmentOut, 201: AssignmentOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Assign a target to one person (200 with the existing open one, a new source attached)",
    description=(
        "201 when created. An existing open one answers 200 with the caller's source attached; a completed "
        'or expired one answers 200 unchanged unless `"retake": true`, which re-opens it as a new cycle '
        "(`cycle` + 1, status assigned, the due date from the request) and answers 201. `retake` on an open "
        "assignment is ignored."
    ),
)
def create_assignment(request: HttpRequest, payload: AssignmentIn):
    actor = actor_of(request)
    assignment, created = services.assignment_create(actor=actor, data=payload.to_input())
    out = assignment_as_dict(selectors.access_assignment(actor=actor, assignment_id=assignment.pk))
    return Status(201 if created else 200, out)


@router.post(
    "/assignments/bulk",
    response={200: BulkOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Assign targets to many people (dry_run previews)",
    description=(
        'Completed or expired assignments count as `skipped` unless `"retake": true`, which re-opens them as '
        "a new cycle and counts them as `created` (the dry run counts the same). `assignees.emails` names people "
        "by email (case-insensitive, each once); unknown or deactivated addresses are `failed` rows with "
        '`"email"` and a reason. `failed` and `preview` list their first 1,000 rows, with `failed_count`, '
        "`failed_by_reason` and `preview_count` beside them; `?format=csv` answers the whole failed list as CSV."
    ),
)
def bulk_assign(request: HttpRequest, payload: BulkIn, format: str | None = Query(None, pattern="^(json|csv)$")):
    result = services.bulk_assign(actor=actor_of(request), data=payload.to_input())
    if format == "csv":
        return csv_response("bulk-failed.csv", BULK_FAILED_CSV_COLUMNS, bulk_failed_csv_rows(result.failed))
    return bulk_answer(result)


@router.get(
    "/assignments/{int:assignment_id}",
    response={200: AssignmentOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Get an assignment, with why it exists",
)
def get_assignment(request: HttpRequest, assignment_id: int):
    return assignment_as_dict(selectors.access_assignment(actor=actor_of(request), assignment_id=assignment_id))


@router.patch(
    "/assignments/{int:assignment_id}",
    response={200: AssignmentOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Change due date, priority, note or reminders (audited)",
    description=(
        "A manager changes only what their own source contributes; the assignment keeps its sources' effective "
        "values (the earliest due date, the highest priority, the union of reminder plans, the notes joined "
        "newest first). Admins and instructors set the values by hand. The learner is told when the effective "
        "due date moves earlier."
    ),
)
def patch_assignment(request: HttpRequest, assignment_id: int, payload: AssignmentPatch):
    actor = actor_of(request)
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    services.assignment_update(actor=actor, assignment=assignment, data=payload.to_input())
    return assignment_as_dict(selectors.access_assignment(actor=actor, assignment_id=assignment_id))


@router.delete(
    "/assignments/{int:assignment_id}",
    response={200: AssignmentOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Withdraw (or remove the caller's own source when others remain)",
    description=(
        "Removes the caller's own source if they hold one (200; it stays open while others remain). If they "
        "hold none and a group, org-unit, everyone, new-starter or rule source remains: 409 with one "
        '`{"field": "sources", "message": "<source label>"}` per blocking source, nothing changed. Held only '
        "by other people's individual sources: admins and instructors withdraw it (200), others 403. A "
        "completed assignment: 409."
    ),
)
def withdraw_assignment(request: HttpRequest, assignment_id: int, reason: str = ""):
    actor = actor_of(request)
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    services.assignment_withdraw(actor=actor, assignment=assignment, reason=reason)
    return assignment_as_dict(selectors.access_assignment(actor=actor, assignment_id=assignment_id))


@router.post(
    "/assignments/{int:assignment_id}/exemption",
    response={200: AssignmentOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Exempt the person (admins, instructors; 409 when only individual sources hold it: withdraw it)",
)
def grant_exemption(request: HttpRequest, assignment_id: int, payload: ExemptionIn):
    actor = actor_of(request)
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    exemptions.exemption_grant(actor=actor, assignment=assignment, data=payload.to_input())
    return assignment_as_dict(selectors.access_assignment(actor=actor, assignment_id=assignment_id))


@router.delete(
    "/assignments/{int:assignment_id}/exemption",
    response={200: AssignmentOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="End the exemption: the assignment is open again with its due date",
)
def end_exemption(request: HttpRequest, assignment_id: int, reason: str = ""):
    actor = actor_of(request)
    assignment = selectors.access_assignment(actor=actor, assignment_id=assignment_id)
    exemptions.exemption_end(actor=actor, assignment=assignment, reason=reason)
    return assignment_as_dict(selectors.access_assignment(actor=actor, assignment_id=assignment_id))


@router.get(
    "/me/assignments",
    response={200: AssignmentList, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="My assignments: overdue first, then priority, then due date",
)
def my_assignments(request: HttpRequest, params: Query[ListParams]):
    actor = actor_of(request)
    if params.format == "csv":
        return _assignment_page(request, selectors.my_assignments(actor=actor), params)
    # Every learner's landing page: one statement and a pre-shaped body instead of ORM + response validation.
    count, rows = selectors.my_assignments_page(actor=actor, offset=params.offset, limit=params.limit)
    return rendered_json(request, {"count": count, "items": [assignment_row_as_dict(row) for row in rows]})


@router.get(
    "/me/calendar",
    response={200: CalendarOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="My calendar feed: the secret iCalendar URL of my open assignments' due dates",
)
def my_calendar(request: HttpRequest):
    return {"url": calendar_feed.calendar_feed_url(actor=actor_of(request))}


@router.post(
    "/me/calendar",
    response={200: CalendarOut, **ERROR_RESPONSES},
    tags=["assignments"],
    summary="Reset my calendar feed: a new secret URL; the old one stops working",
)
def my_calendar_reset(request: HttpRequest):
    return {"url": calendar_feed.calendar_feed_reset(actor=actor_of(request))}


# --- rules ---------------------------------------------------------------------------------------
def rule_as_dict(rule: AssignmentRule, applied: dict | None = None) -> dict:
    items = sorted(rule.items.all(), key=lambda i: i.position)
    titles = target_titles(tenant_id=rule.tenant_id, targets={(i.target_type, i.target_id) for i in items})
    return {
        "id": rule.pk,
        "name": rule.name,
        "active": rule.active,
        "audience": rule.audience,
        "inactive_person_ids": living_rules.named_leavers(rule),
        "items": [
            {
                "target": {
                    "type": i.target_type,
                    "id": i.target_id,
                    "title": titles.get((i.target_type, i.target_id), ""),
                },
                "visibility": i.visibility,
                "validity_months": i.validity_months,
            }
            for i in items
        ],
        "due_in_days": rule.due_in_days,
        "due_date": rule.due_date,
        "due_from": rule.due_from,
        "recurrence_weeks": rule.recurrence_weeks,
        "priority": rule.priority,
        "note": rule.note,
        "reminders": rule.reminders,
        "certificate": rule.certificate,
        "recert_window_days": rule.recert_window_days,
        "deleted_at": rule.deleted_at,
        "applied": applied,
    }


@router.get("/rules", response={200: RuleList, **ERROR_RESPONSES}, tags=["rules"], summary="List assignment rules")
def list_rules(request: HttpRequest, params: Query[ListParams]):
    actor = actor_of(request)
    if not permissions.can_view_rules(actor):
        raise forbidden("see assignment rules")
    items = selectors.rule_list(actor=actor)
    page = list(items[params.offset : params.offset + params.limit])
    return {"count": items.count(), "items": [rule_as_dict(r) for r in page]}


@router.post(
    "/rules", response={201: RuleOut, **ERROR_RESPONSES}, tags=["rules"], summary="Create a rule; it applies at once"
)
def create_rule(request: HttpRequest, payload: RuleIn):
    actor = actor_of(request)
    rule, outcome = living_rules.rule_create(actor=actor, data=payload.to_input())
    return Status(201, rule_as_dict(selectors.access_rule(actor=actor, rule_id=rule.pk), outcome))


@router.get("/rules/{int:rule_id}", response={200: RuleOut, **ERROR_RESPONSES}, tags=["rules"], summary="Get a rule")
def get_rule(request: HttpRequest, rule_id: int):
    return rule_as_dict(selectors.access_rule(actor=actor_of(request), rule_id=rule_id))


@router.patch(
    "/rules/{int:rule_id}",
    response={200: RuleOut, **ERROR_RESPONSES},
    tags=["rules"],
    summary="Change a rule; `timing_policy` says how existing open assignments follow a timing change",
)
def patch_rule(request: HttpRequest, rule_id: int, payload: RulePatch):
    actor = actor_of(request)
    rule = selectors.access_rule(actor=actor, rule_id=rule_id)
    rule, outcome = living_rules.rule_update(
        actor=actor, rule=rule, data=payload.to_input(), timing_policy=payload.timing_policy
    )
    return rule_as_dict(selectors.access_rule(actor=actor, rule_id=rule.pk), outcome)


@router.delete(
    "/rules/{int:rule_id}",
    response={200: RuleOut, **ERROR_RESPONSES},
    tags=["rules"],
    summary="Delete a rule (kept, inactive, with deleted_at) and withdraw its open assignments no other source holds",
    description=(
        '`reason` is kept in the rule\'s history (audit log). `PATCH` with `"active": false` pauses a rule '
        'instead: it stops applying and nobody loses anything; `"active": true` resumes (or restores) it.'
    ),
)
def delete_rule(request: HttpRequest, rule_id: int, reason: str = Query("", max_length=MAX_REASON_LENGTH)):
    actor = actor_of(request)
    rule = selectors.access_rule(actor=actor, rule_id=rule_id)
    outcome = living_rules.rule_delete(actor=actor, rule=rule, reason=reason)
    return rule_as_dict(selectors.access_rule(actor=actor, rule_id=rule_id), outcome)


@router.post(
    "/rules/{int:rule_id}/preview",
    response={200: RulePreviewOut, **ERROR_RESPONSES},
    tags=["rules"],
    summary="What saving these changes would add, remove and re-date, without changing anything",
)
def preview_rule(request: HttpRequest, rule_id: int, payload: RulePatch):
    actor = actor_of(request)
    rule = selectors.access_rule(actor=actor, rule_id=rule_id)
    return living_rules.rule_preview(
        actor=actor, rule=rule, data=payload.to_input(), timing_policy=payload.timing_policy
    )


@router.post(
    "/rules/preview",
    response={200: RulePreviewOut, **ERROR_RESPONSES},
    tags=["rules"],
    summary="What creating this rule would assign, without changing anything",
)
def preview_new_rule(request: HttpRequest, payload: RuleIn):
    return living_rules.rule_preview(actor=actor_of(request), rule=None, data=payload.to_input())


# --- progress and audit --------------------------------------------------------------------------
@router.post(
    "/progress",
    response={200: ProgressOut, **ERROR_RESPONSES},
    tags=["progress"],
    summary="Record progress or completion of a course for a person",
)
def record_progress(request: HttpRequest, payload: ProgressIn):
    return progress.progress_record(actor=actor_of(request), **payload.dict())


@router.get("/audit", response={200: AuditList, **ERROR_RESPONSES}, tags=["audit"], summary="The audit log (admins)")
def audit_log(request: HttpRequest, filters: Query[AuditFilters]):
    actor = actor_of(request)
    if not permissions.can_view_audit(actor):
        raise forbidden("see the audit log")
    events = audit.audit_events(
        tenant_id=actor.tenant_id, object_type=filters.object_type, object_id=filters.object_id, action=filters.action
    )
    page = list(events[filters.offset : filters.offset + filters.limit])
    return {"count": events.count(), "items": page}
