"""Assignments as the API, CSV exports and pages show them."""

from django.core.serializers.json import DjangoJSONEncoder

from duecourse.assignments.domain import DEFAULT_REMINDER_PLAN
from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import AssignmentRow, explain_assignment, explain_sources
from duecourse.catalog.selectors import target_titles

ASSIGNMENT_CSV_COLUMNS = [
    "id",
    "person_id",
    "person_name",
    "person_email",
    "target_type",
    "target_id",
    "target_title",
    "status",
    "progress",
    "priority",
    "due_date",
    "visibility",
    "cycle",
    "sources",
    "assigned_at",
    "completed_at",
    "expires_at",
    "compliance_flag",
]


def titles_for(assignments: list[Assignment]) -> dict:
    if not assignments:
        return {}
    return target_titles(
        tenant_id=assignments[0].tenant_id, targets={(a.target_type, a.target_id) for a in assignments}
    )


def assignment_as_dict(assignment: Assignment, titles: dict | None = None) -> dict:
    titles = titles if titles is not None else titles_for([assignment])
    explanation = explain_assignment(assignment)
    sources = sorted(assignment.sources.all(), key=lambda s: s.pk)
    return {
        "id": assignment.pk,
        "person_id": assignment.person_id,
        "person_name": assignment.person.name,
        "person_email": assignment.person.email,
        "target": {
            "type": assignment.target_type,
            "id": assignment.target_id,
            "title": titles.get((assignment.target_type, assignment.target_id), ""),
        },
        "target_type": assignment.target_type,
        "target_id": assignment.target_id,
        "target_title": titles.get((assignment.target_type, assignment.target_id), ""),
        "status": assignment.status,
        "progress": assignment.progress,
        "priority": assignment.priority,
        "due_date": assignment.due_date,
        "note": assignment.note,
        "visibility": assignment.visibility,
        "validity_months": assignment.validity_months,
        "recurrence_weeks": assignment.recurrence_weeks,
        "cycle": assignment.cycle,
        "sources": [
            {
                "kind": s.kind,
                "label": s.label,
                "assigned_by_id": s.assigned_by_id,
                "rule_id": s.rule_id,
                "due_date": s.due_date,
            }
            for s in sources
        ],
        "reminders": assignment.reminder_plan if assignment.reminder_plan is not None else DEFAULT_REMINDER_PLAN,
        "assigned_at": assignment.assigned_at,
        "completed_at": assignment.completed_at,
        "expires_at": assignment.expires_at,
        "compliance_flag": assignment.compliance_flag,
        "why": explanation["summary"],
        "due_date_from": explanation["due_date_from"],
    }


# How the API's JSON renderer writes dates and times; applied here, the renderer never needs its fallback
# (whose pydantic type checks cost more than the formatting) for the hot list.
_json_time = DjangoJSONEncoder().default


def _when(value):
    return None if value is None else _json_time(value)


def assignment_row_as_dict(row: AssignmentRow) -> dict:
    """An `AssignmentRow` in the API's `AssignmentOut` shape, fields in the schema's order, dates and times
    already as the API writes them: it is rendered as is, without response validation."""
    why, due_date_from = explain_sources(
        row.sources, due_date=row.due_date, due_date_manual=row.due_date_manual, due_explanation=row.due_explanation
    )
    return {
        "id": row.id,
        "person_id": row.person_id,
        "target": {"type": row.target_type, "id": row.target_id, "title": row.target_title},
        "status": row.status,
        "progress": row.progress,
        "priority": row.priority,
        "due_date": _when(row.due_date),
        "note": row.note,
        "visibility": row.visibility,
        "validity_months": row.validity_months,
        "recurrence_weeks": row.recurrence_weeks,
        "cycle": row.cycle,
        "sources": [
            {
                "kind": s.kind,
                "label": s.label,
                "assigned_by_id": s.assigned_by_id,
                "rule_id": s.rule_id,
                "due_date": _when(s.due_date),
            }
            for s in row.sources
        ],
        "reminders": row.reminder_plan if row.reminder_plan is not None else DEFAULT_REMINDER_PLAN,
        "assigned_at": _when(row.assigned_at),
        "completed_at": _when(row.completed_at),
        "expires_at": _when(row.expires_at),
        "compliance_flag": row.compliance_flag,
        "why": why,
        "due_date_from": due_date_from,
    }


def assignment_csv_row(assignment: Assignment, titles: dict) -> dict:
    row = assignment_as_dict(assignment, titles)
    row["sources"] = [s["label"] for s in row["sources"]]
    return row
