"""`/api/method/<dotted.name>`: Frappe's RPC endpoint for the methods in `methods`, as plain Django views.

Outside the /api/v1 OpenAPI document on purpose: these answer in Frappe's format, not ours. Every answer
is JSON, every failure one of Frappe's error bodies (`frappe.FrappeError`), never an HTML page:
- no `Authorization` header: 403 PermissionError, as Frappe answers a guest calling a method that needs a login;
- a header that is not a valid token in any accepted form (`people.token_format`): 401 AuthenticationError;
- an unknown method: 404 DoesNotExistError; a write called with GET: 403 PermissionError (Frappe's
  `methods=["POST"]`).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from duecourse.compat import frappe, methods, params
from duecourse.core.errors import DomainError
from duecourse.people.authentication import authorization_person
from duecourse.people.models import Person

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Method:
    http_methods: tuple[str, ...]
    call: Callable[[Person, dict[str, Any]], Any]


METHODS: dict[str, Method] = {
    "lms.lms.api.assign_mandatory_training": Method(
        ("POST",), lambda actor, args: methods.assign_mandatory_training(actor=actor, args=params.assign_args(args))
    ),
    "lms.lms.api.get_my_training_assignments": Method(
        ("GET", "POST"), lambda actor, args: methods.get_my_training_assignments(actor=actor)
    ),
    "lms.lms.api.get_team_training_status": Method(
        ("GET", "POST"), lambda actor, args: methods.get_team_training_status(actor=actor, args=params.team_args(args))
    ),
}


def _authenticated(request: HttpRequest) -> Person:
    header = request.headers.get("Authorization", "")
    if not header.strip():
        raise frappe.FrappeError(frappe.PERMISSION_ERROR, [_("Not permitted: log in with an API token")])
    person = authorization_person(header)
    if person is None:
        raise frappe.FrappeError(
            frappe.AUTHENTICATION_ERROR,
            [_("Invalid credentials: send Authorization: token <api_key>:<api_secret> or Bearer <token>")],
        )
    return person


def _call(request: HttpRequest, name: str) -> JsonResponse:
    method = METHODS.get(name)
    if method is None:
        raise frappe.FrappeError(frappe.DOES_NOT_EXIST_ERROR, [_("Method %(name)s not found") % {"name": name}])
    actor = _authenticated(request)
    if request.method not in method.http_methods:
        raise frappe.FrappeError(
            frappe.PERMISSION_ERROR,
            [
                _("Not permitted: %(name)s answers %(methods)s only")
                % {"name": name, "methods": _(" or ").join(method.http_methods)}
            ],
        )
    return frappe.message_response(method.call(actor, params.request_args(request)))


@csrf_exempt
def method_view(request: HttpRequest, name: str) -> JsonResponse:
    try:
        return _call(request, name)
    except frappe.FrappeError as exc:
        return exc.response()
    except DomainError as exc:
        return frappe.from_domain_error(exc).response()
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = _("The request body is larger than %(limit)s bytes") % {"limit": limit}
        return frappe.FrappeError(frappe.VALIDATION_ERROR, [message], status=413).response()
    except Exception:
        logger.exception("Frappe compatibility call failed: %s %s", request.method, request.path)
        return frappe.FrappeError(("Exception", 500), [_("Internal error; it has been logged")]).response()
