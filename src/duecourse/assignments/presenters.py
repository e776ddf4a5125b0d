"""Assignments as the API, CSV exports and pages show them."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from duecourse.assignments import permissions
from duecourse.assignments.domain import DEFAULT_REMINDER_PLAN, local_date, required_done_at
from duecourse.assignments.fanout import FanOutResult
from duecourse.assignments.limits import BULK_ROWS_SHOWN, REMIND_AGAIN_AFTER
from duecourse.assignments.models import Assignment, Completion
from duecourse.assignments.priorities import DEFAULT_PRIORITY, Priority
from duecourse.assignments.selectors import AssignmentRow, explain_assignment, explain_sources
from duecourse.assignments.status import NOT_REMINDABLE_STATUSES, STATUS_LABELS, AssignmentStatus
from duecourse.catalog import selectors as catalog_selectors
from duecourse.catalog.models import Course
from duecourse.catalog.selectors import target_titles
from duecourse.core import clock
from duecourse.people.models import Person

TYPE_LABELS = {"course": gettext_lazy("Course"), "path": gettext_lazy("Learning path"), "skill": gettext_lazy("Skill")}

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
    "escalation_tier",
    "at_risk",
    "risk_reason",
    # The person's place in the organisation, for HR's exports (the Mandatory tasks CSV is this one).
    "department",
    "site",
    "region",
    "manager_name",
    "manager_email",
    "hire_date",
]
# What a CSV row reads beside the assignment: loaded with it (one query per batch, not per row).
CSV_RELATED = ("person", "person__department", "person__site", "person__region", "person__manager")
CSV_BATCH = 2000


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
                "note": s.note,
            }
            for s in sources
        ],
        "reminders": assignment.reminder_plan if assignment.reminder_plan is not None else DEFAULT_REMINDER_PLAN,
        "assigned_at": assignment.assigned_at,
        "completed_at": assignment.completed_at,
        "expires_at": assignment.expires_at,
        "compliance_flag": assignment.compliance_flag,
        "escalation_tier": assignment.escalation_tier,
        "at_risk": assignment.at_risk,
        "risk_reason": assignment.risk_reason,
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
                "note": s.note,
            }
            for s in row.sources
        ],
        "reminders": row.reminder_plan if row.reminder_plan is not None else DEFAULT_REMINDER_PLAN,
        "assigned_at": _when(row.assigned_at),
        "completed_at": _when(row.completed_at),
        "expires_at": _when(row.expires_at),
        "compliance_flag": row.compliance_flag,
        "escalation_tier": row.escalation_tier,
        "at_risk": row.at_risk,
        "risk_reason": row.risk_reason,
        "why": why,
        "due_date_from": due_date_from,
    }


def assignment_csv_row(assignment: Assignment, titles: dict) -> dict:
    row = assignment_as_dict(assignment, titles)
    row["sources"] = [s["label"] for s in row["sources"]]
    person = assignment.person
    for unit in ("department", "site", "region"):
        org_unit = getattr(person, unit)
        row[unit] = org_unit.name if org_unit is not None else ""
    row["manager_name"] = person.manager.name if person.manager is not None else ""
    row["manager_email"] = person.manager.email if person.manager is not None else ""
    row["hire_date"] = person.hire_date
    return row


def assignment_csv_rows(queryset) -> Iterator[list]:
    """Every row of `queryset` (with status and escalation tier) as CSV cells, streamed in batches:
    a few queries per 2,000 rows, at any size."""
    batch: list[Assignment] = []
    for item in queryset.select_related(*CSV_RELATED).iterator(chunk_size=CSV_BATCH):
        batch.append(item)
        if len(batch) == CSV_BATCH:
            yield from _csv_batch(batch)
            batch = []
    yield from _csv_batch(batch)


def _csv_batch(batch: list[Assignment]) -> Iterator[list]:
    titles = titles_for(batch)
    for item in batch:
        row = assignment_csv_row(item, titles)
        yield [row.get(c) for c in ASSIGNMENT_CSV_COLUMNS]


# --- assignments as the pages show them ----------------------------------------------------------
@dataclass
class Item:
    """One assignment as the pages show it."""

    assignment: Assignment
    title: str
    why: dict
    due_text: str
    due_tone: str
    validity_note: str = ""  # beside a recertification: the completion it renews and until when it holds
    launch_url: str = ""
    launch_title: str = ""
    action_label: str = ""
    can_change: bool = False
    can_remind: bool = False  # "Send reminder now" (`permissions.can_remind`, and the item expects something)
    reminded_at: dt.datetime | None = None  # a reminder sent by hand in the last 24 hours: no new one yet

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.assignment.status, self.assignment.status))

    @property
    def type_label(self) -> str:
        return str(TYPE_LABELS[self.assignment.target_type])

    @property
    def priority_label(self) -> str:
        """ "High priority" or "Low priority"; nothing for the default, which needs no mention."""
        priority = self.assignment.priority
        if priority == DEFAULT_PRIORITY:
            return ""
        return _("%(priority)s priority") % {"priority": Priority(priority).label}

    @property
    def is_high_priority(self) -> bool:
        return self.assignment.priority == Priority.HIGH

    @property
    def is_completed(self) -> bool:
        return self.assignment.status == AssignmentStatus.COMPLETED

    @property
    def is_withdrawn(self) -> bool:
        return self.assignment.status == AssignmentStatus.WITHDRAWN


def due_text(*, status: str, due_date: dt.date | None, today: dt.date, recertifying: bool = False) -> tuple[str, str]:
    """What the pages say about a due date, and its tone. Whether it is overdue is the status's call
    (`status.STATUS_RULE`); the local date only counts the days. A recertification not yet overdue is
    "Recertify by" its date (the day the completion it renews expires)."""
    if status == AssignmentStatus.EXEMPT:
        return _("Exempt: not expected while the exemption runs"), ""
    if due_date is None:
        return _("No due date"), ""
    day = date_format(due_date, "j M Y")
    if recertifying and status in (AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS):
        return _("Recertify by %(day)s") % {"day": day}, "warning" if (due_date - today).days <= 7 else ""
    if status in (AssignmentStatus.COMPLETED, AssignmentStatus.EXPIRED):
        return _("Was due %(day)s") % {"day": day}, ""
    days = (due_date - today).days
    if status == AssignmentStatus.OVERDUE:
        late = max(-days, 0)
        if late == 0:
            return _("Overdue"), "danger"
        return ngettext("%(n)s day overdue", "%(n)s days overdue", late) % {"n": late}, "danger"
    if days < 0:  # withdrawn, or the person moved zone since the due instant was set
        return _("Was due %(day)s") % {"day": day}, ""
    if days == 0:
        return _("Due today"), "warning"
    if days == 1:
        return _("Due tomorrow"), "warning"
    return ngettext("Due in %(n)s day", "Due in %(n)s days", days) % {"n": days}, "warning" if days <= 7 else ""


def is_recertifying(assignment) -> bool:
    """Re-opened for recertification: not completed, with the previous completion's expiry kept (a new
    recurring cycle or a retake clears it)."""
    return assignment.withdrawn_at is None and assignment.completed_at is None and assignment.expires_at is not None


def validity_note(assignment, *, now: dt.datetime, is_self: bool) -> str:
    """Beside a recertification: "Your completion of <date> is valid until <date>." (or "expired on"), in the
    person's zone; nothing for any other assignment."""
    if not is_recertifying(assignment):
        return ""
    zone = assignment.person.timezone
    previous = assignment.completions_after
    values = {
        "day": date_format(local_date(previous, zone), "j M Y") if previous else "",
        "until": date_format(local_date(assignment.expires_at, zone), "j M Y"),
    }
    valid = assignment.expires_at > now
    if previous and is_self:
        text = (
            _("Your completion of %(day)s is valid until %(until)s.")
            if valid
            else _("Your completion of %(day)s expired on %(until)s.")
        )
    elif previous:
        text = (
            _("Completion of %(day)s is valid until %(until)s.")
            if valid
            else _("Completion of %(day)s expired on %(until)s.")
        )
    elif is_self:
        text = _("Your completion is valid until %(until)s.") if valid else _("Your completion expired on %(until)s.")
    else:
        text = _("Completion is valid until %(until)s.") if valid else _("Completion expired on %(until)s.")
    return text % values


def _completion_dates(
    tenant_id: int, person_ids: set[int], course_ids: set[int]
) -> dict[int, dict[int, list[dt.datetime]]]:
    """person -> course -> the instants that person completed it, for these courses."""
    completions: dict[int, dict[int, list[dt.datetime]]] = {}
    rows = Completion.objects.filter(
        tenant_id=tenant_id, person_id__in=person_ids, course_id__in=course_ids
    ).values_list("person_id", "course_id", "completed_at")
    for person_id, course_id, completed_at in rows:
        completions.setdefault(person_id, {}).setdefault(course_id, []).append(completed_at)
    return completions


def _done_at(
    assignment: Assignment,
    course_ids: list[int],
    satisfying: dict[int, set[int]],
    completions: dict[int, dict[int, list[dt.datetime]]],
    now: dt.datetime,
) -> list[dt.datetime | None]:
    """When each course counts as done for this assignment: the rule progress and status use
    (`domain.required_done_at`), so this cycle's valid completions only."""
    return required_done_at(
        required=[satisfying.get(c, {c}) for c in course_ids],
        completions=completions.get(assignment.person_id, {}),
        after=assignment.completions_after,
        validity_months=assignment.validity_months,
        now=now,
    )


def _next_courses(actor: Person, assignments: list[Assignment], now: dt.datetime) -> dict[int, Course | None]:
    """For each assignment, the course its Begin / Continue button opens: a path's or skill's next
    required course not done in this cycle (equivalent courses count), else its first one."""
    if not assignments:
        return {}
    tenant_id = assignments[0].tenant_id
    required = {
        key: catalog_selectors.target_required_course_ids(target_type=key[0], target_id=key[1])
        for key in {(a.target_type, a.target_id) for a in assignments}
    }
    course_ids = sorted({c for ids in required.values() for c in ids})
    satisfying = catalog_selectors.courses_satisfying(tenant_id=tenant_id, course_ids=course_ids)
    completions = _completion_dates(
        tenant_id, {a.person_id for a in assignments}, {c for s in satisfying.values() for c in s}
    )
    courses = catalog_selectors.course_list(actor=actor).in_bulk(course_ids)
    result: dict[int, Course | None] = {}
    for a in assignments:
        ids = required[(a.target_type, a.target_id)]
        done_at = _done_at(a, ids, satisfying, completions, now)
        pending = [c for c, done in zip(ids, done_at, strict=True) if done is None]
        choices = pending or ids
        result[a.pk] = courses.get(choices[0]) if choices else None
    return result


@dataclass
class Checklist:
    """A path's or skill's courses on its assignment's page, each with when it was done in this cycle."""

    rows: list[dict]

    @property
    def required_total(self) -> int:
        return sum(1 for row in self.rows if row["required"])

    @property
    def required_done(self) -> int:
        return sum(1 for row in self.rows if row["required"] and row["completed_at"])

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __iter__(self):
        return iter(self.rows)


def checklist(actor, assignment: Assignment, now: dt.datetime) -> Checklist:
    """The checklist of a path or skill assignment (empty for a course). A course is ticked by the same rule
    that completes the assignment, so in a recurring item's later cycle earlier completions do not tick it."""
    if assignment.target_type == "course":
        return Checklist([])
    if assignment.target_type == "path":
        path = catalog_selectors.access_path(actor=actor, path_id=assignment.target_id)
        entries = [(i.course_id, i.required) for i in path.items.all().order_by("position")]
    else:
        catalog_selectors.access_skill(actor=actor, skill_id=assignment.target_id)
        # In the order the Begin button walks them (`_next_courses`).
        entries = [
            (c, True)
            for c in catalog_selectors.target_required_course_ids(target_type="skill", target_id=assignment.target_id)
        ]
    course_ids = [c for c, _ in entries]
    satisfying = catalog_selectors.courses_satisfying(tenant_id=assignment.tenant_id, course_ids=course_ids)
    completions = _completion_dates(
        assignment.tenant_id, {assignment.person_id}, {c for s in satisfying.values() for c in s}
    )
    done_at = _done_at(assignment, course_ids, satisfying, completions, now)
    courses = catalog_selectors.course_list(actor=actor).in_bulk(course_ids)
    return Checklist(
        [
            {"course": courses[c], "required": required, "completed_at": done}
            for (c, required), done in zip(entries, done_at, strict=True)
            if c in courses
        ]
    )


def is_remindable(assignment) -> bool:
    """Something is expected of the person: not withdrawn, completed or exempt, and not hidden from them."""
    return assignment.status not in NOT_REMINDABLE_STATUSES and assignment.visibility != "hidden"


def _action_label(assignment) -> str:
    if assignment.status == AssignmentStatus.COMPLETED:
        return _("Review")
    if assignment.status == AssignmentStatus.EXPIRED:
        return _("Retake")
    return _("Continue") if assignment.progress > 0 else _("Begin")


def present(
    actor, assignments: list[Assignment], *, launch: bool = False, changes: bool = False, reminders: bool = False
) -> list[Item]:
    now = clock.now()
    titles = titles_for(assignments)
    next_courses = _next_courses(actor, assignments, now) if launch else {}
    items = []
    for a in assignments:
        text, tone = due_text(
            status=a.status,
            due_date=a.due_date,
            today=local_date(now, a.person.timezone),
            recertifying=is_recertifying(a),
        )
        item = Item(
            assignment=a,
            title=titles.get((a.target_type, a.target_id), _("(removed from the catalog)")),
            why=explain_assignment(a),
            due_text=text,
            due_tone=tone,
            validity_note=validity_note(a, now=now, is_self=a.person_id == actor.pk),
        )
        course = next_courses.get(a.pk)
        if course is not None:
            item.launch_url, item.launch_title = course.launch_url, course.title
            item.action_label = _action_label(a)
        if changes:
            own = any(s.kind == "individual" and s.ref_id == actor.pk for s in a.sources.all())
            item.can_change = permissions.can_change_assignment(actor, a, own_source=own)
        if reminders:
            item.can_remind = permissions.can_remind(actor, a) and is_remindable(a)
            if a.reminded_at is not None and a.reminded_at > now - REMIND_AGAIN_AFTER:
                item.reminded_at = a.reminded_at
        items.append(item)
    return items


# --- a bulk call's answer ------------------------------------------------------------------------
BULK_FAILED_CSV_COLUMNS = ["person_id", "email", "target_type", "target_id", "target_title", "reason"]


def bulk_answer(result: FanOutResult) -> dict:
    """The bulk call's body: failed and preview rows capped at `BULK_ROWS_SHOWN`, with their counts and
    the failures by reason beside them (the API and the wizard show the same)."""
    failed = result.failed
    by_reason: dict[str, int] = {}
    for row in failed:
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + 1
    preview = result.preview
    return {
        "created": result.created,
        "skipped": result.skipped,
        "failed": failed[:BULK_ROWS_SHOWN],
        "failed_count": len(failed),
        "failed_by_reason": by_reason,
        "preview": None if preview is None else preview[:BULK_ROWS_SHOWN],
        "preview_count": None if preview is None else len(preview),
        "operation_id": result.operation_id,
    }


def bulk_failed_csv_rows(failed: list[dict]) -> Iterator[list]:
    for row in failed:
        shown = row["target"]
        yield [row.get("person_id"), row.get("email"), shown["type"], shown["id"], shown["title"], row["reason"]]
