"""The arguments of a Frappe method call, read as Frappe reads them and checked before anything runs.

Frappe takes a method's arguments from a JSON body (`Content-Type: application/json`), else from a form
body, else from the query string; a list argument may arrive as a real JSON list or as JSON text (what a
form field carries). Every bad argument is one message naming it; nothing runs until all are good.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duecourse.compat.frappe import validation_error
from duecourse.compat.limits import MAX_CODE_LENGTH, MAX_EMAIL_LENGTH, MAX_EMPLOYEES
from duecourse.core.errors import FieldError, ValidationFailed

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMPLOYEES_FORMAT = gettext_lazy('a JSON list of email addresses, e.g. ["ana@example.com", "bo@example.com"]')


def request_args(request: HttpRequest) -> dict[str, Any]:
    """The call's arguments: the query string, overridden by the body's (JSON object or form fields)."""
    args: dict[str, Any] = {key: values[0] for key, values in request.GET.lists() if values}
    if request.method != "POST":
        return args
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise validation_error(_("The request body is not valid JSON")) from None
        if not isinstance(body, dict):
            raise validation_error(_('The JSON body must be an object of arguments, e.g. {"course": "FIRE-101"}'))
        args.update(body)
    else:
        args.update({key: values[0] for key, values in request.POST.lists() if values})
    return args


@dataclass(frozen=True)
class AssignArgs:
    course: str
    employees: list[str]  # lower-case, each once, in the order given
    due_date: dt.date | None


@dataclass(frozen=True)
class TeamArgs:
    manager: str | None  # an email; None: the caller's own team


def _text(value: Any, name: str, limit: int, errors: list[FieldError], *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(FieldError(name, _("is required")))
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        errors.append(FieldError(name, _("must be text of at most %(limit)s characters") % {"limit": limit}))
        return None
    return value.strip()


def _employees(value: Any, errors: list[FieldError]) -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(FieldError("employees", _("is required: %(format)s") % {"format": EMPLOYEES_FORMAT}))
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            errors.append(
                FieldError("employees", _("is not valid JSON: give %(format)s") % {"format": EMPLOYEES_FORMAT})
            )
            return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(FieldError("employees", _("must be %(format)s") % {"format": EMPLOYEES_FORMAT}))
        return []
    emails = list(dict.fromkeys(item.strip().lower() for item in value))
    if not emails:
        errors.append(FieldError("employees", _("is empty: give at least one email address")))
    elif len(emails) > MAX_EMPLOYEES:
        errors.append(
            FieldError("employees", _("at most %(limit)s email addresses per call") % {"limit": MAX_EMPLOYEES})
        )
    elif any(not email or len(email) > MAX_EMAIL_LENGTH or "\x00" in email for email in emails):
        errors.append(
            FieldError(
                "employees", _("holds an empty or over-long item: give %(format)s") % {"format": EMPLOYEES_FORMAT}
            )
        )
    else:
        return emails
    return []


def _due_date(value: Any, errors: list[FieldError]) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else ""
    try:
        if _ISO_DATE.match(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(
        FieldError("due_date", _("%(value)s is not a valid date: give YYYY-MM-DD") % {"value": repr(str(value)[:40])})
    )
    return None


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(detail="; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def assign_args(args: dict[str, Any]) -> AssignArgs:
    errors: list[FieldError] = []
    course = _text(args.get("course"), "course", MAX_CODE_LENGTH, errors, required=True)
    employees = _employees(args.get("employees"), errors)
    due_date = _due_date(args.get("due_date"), errors)
    _raise_if(errors)
    assert course is not None
    return AssignArgs(course=course, employees=employees, due_date=due_date)


def team_args(args: dict[str, Any]) -> TeamArgs:
    errors: list[FieldError] = []
    manager = _text(args.get("manager"), "manager", MAX_EMAIL_LENGTH, errors, required=False)
    _raise_if(errors)
    return TeamArgs(manager=manager.lower() if manager else None)
