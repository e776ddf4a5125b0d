"""Frappe's wire format: `{"message": ...}` answers and its error bodies, as a Frappe site sends them.

An error is the status code of Frappe's exception class, `exc_type` (the class name), `exception`
(`frappe.exceptions.<class>: <message>`) and `_server_messages`: a JSON text holding a list of JSON texts,
one `{"message", "title", "indicator", "raise_exception"}` each, which Frappe clients decode twice
(`frappe.throw` fills it). Our domain errors map onto Frappe's classes here, in one table.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

from duecourse.core.errors import DomainError, NotFound, PermissionDenied

# Frappe's exception classes and their HTTP status codes (frappe/exceptions.py).
VALIDATION_ERROR = ("ValidationError", 417)
PERMISSION_ERROR = ("PermissionError", 403)
DOES_NOT_EXIST_ERROR = ("DoesNotExistError", 404)
AUTHENTICATION_ERROR = ("AuthenticationError", 401)

# The title of a server message, for people (translated as Frappe translates its own); the keys never change.
_TITLES = {
    "PermissionError": _("Not Permitted"),
    "DoesNotExistError": _("Not Found"),
    "AuthenticationError": _("Not Permitted"),
}


@dataclass
class FrappeError(Exception):
    """An error as Frappe answers it: its class and status, and one or more messages."""

    kind: tuple[str, int]
    messages: list[str] = field(default_factory=list)
    status: int | None = None  # another status than the class's own (413: a body over the size limit)

    def response(self) -> JsonResponse:
        exc_type, status = self.kind
        title = str(_TITLES.get(exc_type, _("Message")))
        server_messages = [
            json.dumps({"message": str(m), "title": title, "indicator": "red", "raise_exception": 1})
            for m in self.messages
        ]
        body = {
            "exc_type": exc_type,
            "exception": f"frappe.exceptions.{exc_type}: {'; '.join(str(m) for m in self.messages)}",
            "_server_messages": json.dumps(server_messages),
        }
        return JsonResponse(body, status=self.status or status)


def validation_error(message: str) -> FrappeError:
    return FrappeError(VALIDATION_ERROR, [message])


def from_domain_error(exc: DomainError) -> FrappeError:
    """Ours in Frappe's terms: 404 → DoesNotExistError, 403 → PermissionError, any other (422, 409) →
    ValidationError, as `frappe.throw` reports a rule the input breaks."""
    if isinstance(exc, NotFound):
        kind = DOES_NOT_EXIST_ERROR
    elif isinstance(exc, PermissionDenied):
        kind = PERMISSION_ERROR
    else:
        kind = VALIDATION_ERROR
    messages = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.detail]
    return FrappeError(kind, messages)


def message_response(message: Any) -> JsonResponse:
    """A successful call: Frappe wraps a method's return value as `{"message": ...}`."""
    return JsonResponse({"message": message})
