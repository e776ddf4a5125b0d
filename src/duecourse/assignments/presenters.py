"""Assignments as the API, CSV exports and pages show them."""

from duecourse.assignments.domain import DEFAULT_REMINDER_PLAN
from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import explain_assignment
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


def assignment_csv_row(assignment: Assignment, titles: dict) -> dict:
    row = assignment_as_dict(assignment, titles)
    row["sources"] = [s["label"] for s in row["sources"]]
    return row
