"""The Frappe LMS methods HR scripts call, each a thin translation onto our services and selectors.

- `assign_mandatory_training`: a course by its code for people by their email, through the bulk assign
  service (`assignments.services.bulk_assign`), so the rules are ours: who may assign to whom, and an open
  assignment is never duplicated (the person is counted as skipped). All or nothing, as a Frappe request
  is one transaction: an unknown course or address, a deactivated person or one the caller may not
  assign to fails the whole call and changes nothing.
- `get_my_training_assignments`: the caller's own assignments (`assignments.selectors.my_assignments`),
  one row each, named as Frappe LMS names an enrollment (`member`, `member_name`, `course`, `progress`).
- `get_team_training_status`: the team status report (`reports.selectors.team_status`), one row per
  report; `manager` (an email) picks another team, for those who may see it.

docs/migrating-from-frappe-lms.md describes the shapes and what maps to what.
"""

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from duecourse.assignments import permissions as assignment_permissions
from duecourse.assignments.inputs import BulkAssignInput, BulkAudience, TargetRef
from duecourse.assignments.selectors import my_assignments
from duecourse.assignments.services import bulk_assign
from duecourse.assignments.status import STATUS_LABELS
from duecourse.catalog import selectors as catalog
from duecourse.compat.params import AssignArgs, TeamArgs
from duecourse.core.errors import DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed, forbidden
from duecourse.core.timezones import zone_of
from duecourse.people import selectors as people
from duecourse.people.models import Person
from duecourse.reports.selectors import team_status

_LISTED = 10  # addresses named in one error message; the rest are counted


def _listed(emails: list[str]) -> str:
    more = len(emails) - _LISTED
    listed = ", ".join(emails[:_LISTED])
    return _("%(listed)s and %(more)s more") % {"listed": listed, "more": more} if more > 0 else listed


# The bulk call's field names for what this method's caller named otherwise.
_ARGUMENT_OF_FIELD = {"targets": "course", "assignees": "employees"}


def _named_as_called(exc: DomainError) -> DomainError:
    """The bulk service's error about `targets[0]` or `assignees…` as one about `course` or `employees`."""
    errors = [
        FieldError(_ARGUMENT_OF_FIELD.get(e.field.split("[")[0].split(".")[0], e.field), e.message) for e in exc.errors
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or exc.detail
    return type(exc)(detail=detail, errors=errors)


def assign_mandatory_training(*, actor: Person, args: AssignArgs) -> dict[str, int]:
    if not assignment_permissions.can_assign_at_all(actor):
        raise forbidden(pgettext_lazy("forbidden action", "assign training"))
    course = catalog.course_by_code(tenant_id=actor.tenant_id, code=args.course)
    if course is None:
        raise NotFound.on("course", _("no course with code %(code)s") % {"code": repr(args.course)})
    found = people.people_by_email(actor=actor, emails=args.employees)
    unknown = [email for email in args.employees if email not in found]
    if unknown:
        raise NotFound.on("employees", _("no person with the email %(emails)s") % {"emails": _listed(unknown)})
    deactivated = [email for email in args.employees if not found[email].active]
    if deactivated:
        raise ValidationFailed.on("employees", _("deactivated: %(emails)s") % {"emails": _listed(deactivated)})
    data = BulkAssignInput(
        targets=[TargetRef(type="course", id=course.pk)],
        assignees=BulkAudience(person_ids=[found[email].pk for email in args.employees]),
        due_date=args.due_date,
    )
    with transaction.atomic():
        try:
            result = bulk_assign(actor=actor, data=data)
        except DomainError as exc:
            raise _named_as_called(exc) from None
        if result.failed:  # people the caller may not assign to: the whole call is undone
            emails = {person.pk: email for email, person in found.items()}
            reasons = sorted({row["reason"] for row in result.failed})
            refused = [emails[row["person_id"]] for row in result.failed]
            raise PermissionDenied.on("employees", f"{'; '.join(reasons)}: {_listed(refused)}")
    return {"assigned": result.created, "skipped": result.skipped}


def _frappe_status(status: str) -> str:
    """The status as Frappe LMS writes it ("Not Started", "Completed"): a value scripts compare, so English
    whatever the caller's language."""
    with translation.override(None):
        return str(STATUS_LABELS[status])


def get_my_training_assignments(*, actor: Person) -> list[dict[str, Any]]:
    rows = list(my_assignments(actor=actor))
    titles = catalog.target_titles(tenant_id=actor.tenant_id, targets={(a.target_type, a.target_id) for a in rows})
    codes = catalog.course_codes(
        tenant_id=actor.tenant_id, course_ids={a.target_id for a in rows if a.target_type == "course"}
    )
    zone = zone_of(actor.timezone)
    return [
        {
            "name": str(a.pk),
            "course": codes.get(a.target_id) if a.target_type == "course" else None,
            "course_title": titles.get((a.target_type, a.target_id), ""),
            "target_type": a.target_type,
            "member": actor.email,
            "member_name": actor.name,
            "status": _frappe_status(a.status),
            "progress": float(a.progress),
            "due_date": a.due_date.isoformat() if a.due_date else None,
            "priority": a.priority.capitalize(),
            "assigned_on": a.assigned_at.astimezone(zone).date().isoformat(),
            "completed_on": a.completed_at.astimezone(zone).date().isoformat() if a.completed_at else None,
        }
        for a in rows
    ]


def get_team_training_status(*, actor: Person, args: TeamArgs) -> list[dict[str, Any]]:
    manager_id = None
    if args.manager is not None:
        manager = people.people_by_email(actor=actor, emails=[args.manager]).get(args.manager)
        if manager is None:
            raise NotFound.on("manager", _("no person with the email %(emails)s") % {"emails": args.manager})
        manager_id = manager.pk
    items = team_status(actor=actor, manager_id=manager_id)
    emails = people.emails_of(tenant_id=actor.tenant_id, person_ids=[item["person_id"] for item in items])
    return [
        {
            "employee": emails[item["person_id"]],
            "employee_name": item["name"],
            "active": item["active"],
            "completed": item["completed"],
            "overdue": item["overdue"],
        }
        for item in items
    ]
