"""The one error hierarchy. Services raise these; the API and the UI turn them into responses."""

from dataclasses import dataclass, field

# FieldError.code for a value another record already holds (an email, an external id, a name): the API answers
# it like any bad field; SCIM answers it 409 `uniqueness`.
UNIQUE = "unique"


@dataclass
class FieldError:
    field: str
    message: str
    # A machine-readable kind of error for callers that answer kinds differently (e.g. `UNIQUE`); not shown.
    code: str = ""

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@dataclass
class DomainError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    status_code = 400

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


def not_found(what: str) -> NotFound:
    return NotFound(detail=f"{what} not found")


def forbidden(action: str) -> PermissionDenied:
    return PermissionDenied(detail=f"You are not allowed to {action}")
