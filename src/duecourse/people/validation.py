"""Turning raw person input (API body, CSV row, form) into clean values, with an error per field.

Pure functions of their input plus two tenant look-ups passed in by the caller, so the single-person
services and the set-based import share exactly the same rules.
"""

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from duecourse.core.errors import FieldError
from duecourse.people.limits import (
    MAX_EMAIL_LENGTH,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_JOB_TITLE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ORG_UNIT_NAME_LENGTH,
)
from duecourse.people.roles import ROLE_NAMES, STORED_ROLES

TEXT_LIMITS = {
    "name": MAX_NAME_LENGTH,
    "external_id": MAX_EXTERNAL_ID_LENGTH,
    "job_title": MAX_JOB_TITLE_LENGTH,
    "department": MAX_ORG_UNIT_NAME_LENGTH,
    "site": MAX_ORG_UNIT_NAME_LENGTH,
    "region": MAX_ORG_UNIT_NAME_LENGTH,
}
ORG_FIELDS = ("department", "site", "region")
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
TRUE_WORDS = {"1", "true", "yes", "y", "on", "active"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "inactive"}

# Every input key a person may carry; `manager_email` stands for `manager_id`.
INPUT_FIELDS = (
    "email",
    "name",
    "external_id",
    "manager_id",
    "manager_email",
    "department",
    "site",
    "region",
    "job_title",
    "hire_date",
    "timezone",
    "locale",
    "active",
    "roles",
)
INPUT_FIELD_SET = frozenset(INPUT_FIELDS)


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# A strict subset of what Django's validate_email accepts, checked first because an import of
# 100,000 rows would otherwise spend seconds in the general validator.
SIMPLE_EMAIL = re.compile(r"^[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")


def clean_email(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("is required"))
    if not isinstance(value, str):
        raise ValueError(_("must be text"))
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValueError(_("is longer than %(count)d characters") % {"count": MAX_EMAIL_LENGTH})
    if SIMPLE_EMAIL.match(email):
        return email
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValueError(_("%(value)r is not a valid email address") % {"value": value}) from None
    return email


def clean_date(value: object) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(_("%(value)r is not a date (use YYYY-MM-DD)") % {"value": value})


def clean_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ValueError(_("%(value)r is not true or false") % {"value": value})


def clean_roles(value: object) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[;,|\s]+", value) if part]
    if not isinstance(value, list | tuple):
        raise ValueError(_("must be a list of role names"))
    roles = []
    for role in value:
        if not isinstance(role, str) or role.strip().lower() not in ROLE_NAMES:
            raise ValueError(
                _("unknown role %(role)r (known: %(known)s)") % {"role": role, "known": ", ".join(ROLE_NAMES)}
            )
        roles.append(role.strip().lower())
    return [r for r in STORED_ROLES if r in roles]  # manager and learner are derived, not stored


def clean_text(field: str, value: object, *, required: bool = False) -> str | None:
    if _blank(value):
        if required:
            raise ValueError(_("is required"))
        return None
    if not isinstance(value, str | int):
        raise ValueError(_("must be text"))
    text = str(value).strip()
    if len(text) > TEXT_LIMITS.get(field, MAX_NAME_LENGTH):
        raise ValueError(_("is longer than %(count)d characters") % {"count": TEXT_LIMITS.get(field, MAX_NAME_LENGTH)})
    if "\x00" in text:
        raise ValueError(_("contains a NUL character"))
    return text


def clean_manager_id(value: object) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(_("must be a person id"))
    try:
        if not isinstance(value, str | int | float):  # what a CSV cell or a JSON row can hold
            raise TypeError
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(_("%(value)r is not a person id") % {"value": value}) from None
    if number <= 0 or number > 2**62:
        raise ValueError(_("%(value)r is not a person id") % {"value": value})
    return number


def _clean_active(value: object) -> bool:
    if isinstance(value, str) and not value.strip():
        return True  # an empty CSV cell means the default
    return clean_bool(value)


# Each input field's cleaner, in the order errors are reported.
CLEANERS: dict[str, Callable[[object], object]] = {
    "email": clean_email,
    "name": lambda v: clean_text("name", v, required=True),
    "external_id": lambda v: clean_text("external_id", v),
    "job_title": lambda v: clean_text("job_title", v) or "",
    "department": lambda v: clean_text("department", v),
    "site": lambda v: clean_text("site", v),
    "region": lambda v: clean_text("region", v),
    "hire_date": clean_date,
    "timezone": lambda v: _clean_timezone(v),
    "locale": lambda v: _clean_locale(v),
    "active": _clean_active,
    "roles": clean_roles,
    "manager_id": clean_manager_id,
    "manager_email": lambda v: None if _blank(v) else clean_email(v),
}
# Values that differ on nearly every row are not worth remembering.
UNCACHED_FIELDS = frozenset({"email", "name", "external_id", "roles"})
HASHABLE = (str, int, float, dt.date, type(None))


@lru_cache(maxsize=100_000, typed=True)
def _clean_cached(field: str, value: object, language: str | None) -> tuple[object, str | None]:
    """`language`: the active one, so a message is remembered in the language it was written in."""
    try:
        return CLEANERS[field](value), None
    except ValueError as exc:
        return None, str(exc)


def _clean_field(field: str, value: object) -> tuple[object, str | None]:
    # An import repeats the same department, site, zone or date on thousands of rows: clean each once.
    if field not in UNCACHED_FIELDS and isinstance(value, HASHABLE):
        return _clean_cached(field, value, get_language())
    try:
        return CLEANERS[field](value), None
    except ValueError as exc:
        return None, str(exc)


def clean_person_input(data: Mapping[str, object], *, partial: bool) -> tuple[dict[str, Any], list[FieldError]]:
    """Normalise each present field; return the clean values and the errors, one per bad field.

    Keys absent from `data` stay absent (for PATCH); with `partial=False`, email and name are required.
    Manager references are only shaped here: whether they exist is the caller's question.
    """
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key in sorted(set(data) - INPUT_FIELD_SET - {"id"}):
        errors.append(FieldError(key, _("is not a person field")))
    if not partial:
        for required in ("email", "name"):
            if _blank(data.get(required)):
                errors.append(FieldError(required, _("is required")))
    for field in CLEANERS:
        if field in data:
            value, message = _clean_field(field, data[field])
            if message is None:
                clean[field] = value
            elif not any(e.field == field for e in errors):  # "is required" already said it
                errors.append(FieldError(field, message))
    return clean, errors


def _clean_timezone(value: object) -> str:
    if _blank(value):
        return "UTC"
    if not isinstance(value, str) or value.strip() not in known_timezones():
        raise ValueError(_("%(value)r is not a known IANA time zone (e.g. Europe/London)") % {"value": value})
    return value.strip()


def _clean_locale(value: object) -> str:
    if _blank(value):
        return "en"
    if not isinstance(value, str) or not LOCALE_PATTERN.match(value.strip()):
        raise ValueError(_("%(value)r is not a locale (e.g. en, en-GB, it)") % {"value": value})
    return value.strip()
