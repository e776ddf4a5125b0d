"""The one error hierarchy. Services raise these; the API and the UI turn them into responses."""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# FieldError.code for a value another record already holds (an email, an external id, a name): the API answers
# it like any bad field; SCIM answers it 409 `uniqueness`.
UNIQUE = "unique"


@dataclass
class FieldError:
    field: str
    message: str
    # A machine-readable kind of error for callers that answer kinds differently (e.g. `UNIQUE`); not shown.
    code: str = ""

    def __post_init__(self) -> None:
        # A lazy translation is made text now, in the request's language: nothing lazy reaches Ninja or JSON.
        self.field, self.message = str(self.field), str(self.message)

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@dataclass
class DomainError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    status_code = 400

    def __post_init__(self) -> None:
        self.detail = str(self.detail)

    def __str__(self) -> str:
        missing = [e for e in self.errors if e.message not in self.detail]
        if missing:
            return f"{self.detail}: " + "; ".join(f"{e.field}: {e.message}" for e in missing)
        return self.detail

    def as_dict(self) -> dict:
        return {"detail": self.detail, "errors": [e.as_dict() for e in self.errors]}

    @classmethod
    def on(cls, field_name: str, message: str, *, code: str = "") -> "DomainError":
        """The error about one field: `ValidationFailed.on("due_date", "is not a date")`."""
        return cls(detail=f"{field_name}: {message}", errors=[FieldError(field_name, message, code)])


class ValidationFailed(DomainError):
    status_code = 422


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


# The words of `not_found` and `forbidden` are translated where they are said (in the request's language):
# callers mark them `pgettext_lazy("not found", "Certificate")` and `pgettext_lazy("forbidden action", "revoke
# certificates")`, so that each app's catalog holds its own; a plain English one is looked up in every catalog.
NOT_FOUND_CONTEXT = "not found"
FORBIDDEN_CONTEXT = "forbidden action"


def not_found(what: str | Promise) -> NotFound:
    what = pgettext(NOT_FOUND_CONTEXT, str(what))
    # Translators: %(what)s is a kind of record, e.g. "Certificate" or "Learning path".
    return NotFound(detail=_("%(what)s not found") % {"what": what})


def forbidden(action: str | Promise) -> PermissionDenied:
    action = pgettext(FORBIDDEN_CONTEXT, str(action))
    # Translators: %(action)s is what was refused, e.g. "revoke certificates" (German: "Zertifikate zu widerrufen").
    return PermissionDenied(detail=_("You are not allowed to %(action)s") % {"action": action})
