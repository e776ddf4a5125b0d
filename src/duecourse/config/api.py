"""The one NinjaAPI: a router per app, one error format for every failure."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from duecourse.core import api as messages
from duecourse.core.api import validation_message
from duecourse.core.errors import DomainError
from duecourse.people.authentication import BearerToken, SessionActor

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="duecourse API",
    version="1",
    description="Training assignment: who must complete what, by when, and why. "
    "Authenticate with `Authorization: Bearer <token>`.",
    auth=[BearerToken(), SessionActor()],
    urls_namespace="api-v1",
    # Swagger UI comes from Ninja's own static files ("ninja" in INSTALLED_APPS). Its default validator
    # badge would fetch an image from validator.swagger.io (and have it read our schema's address): off.
    docs=Swagger(settings={"validatorUrl": None}),
)


def _error(request: HttpRequest, status: int, detail: str, errors: list | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


def _field_name(loc) -> str:
    # Ninja reports e.g. ("body", "payload", "due_date") or ("query", "limit"); keep the field path.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form", "file")]
    if parts and parts[0] in ("payload", "data", "params", "filters"):
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors = [{"field": _field_name(e.get("loc", ())), "message": validation_message(e)} for e in exc.errors]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or str(messages.INVALID_REQUEST)
    return _error(request, 422, detail, errors)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return _error(request, 401, str(messages.AUTHENTICATION_REQUIRED))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(messages.NOT_FOUND))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def body_too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(
        request,
        413,
        str(messages.BODY_TOO_LARGE) % {"limit": limit},
        [{"field": "body", "message": str(messages.FIELD_TOO_LARGE) % {"limit": limit}}],
    )


@api.exception_handler(OverflowError)
def number_out_of_range(request, exc: OverflowError):
    # Schemas bound every id they accept; this catches a huge number bound for SQLite where one was
    # missed. Any other overflow (date arithmetic, …) is a bug: logged and answered as one.
    if "too large to convert to SQLite INTEGER" not in str(exc):
        return unexpected_error(request, exc)
    logger.warning("A number out of SQLite's range reached the database in %s %s", request.method, request.path)
    return _error(request, 422, str(messages.NUMBER_OUT_OF_RANGE))


@api.exception_handler(Exception)
def unexpected_error(request, exc: Exception):
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return _error(request, 500, str(messages.INTERNAL_ERROR))


def _register_routers() -> None:
    from duecourse.assignments.api import router as assignments_router
    from duecourse.assignments.xapi_api import router as xapi_router
    from duecourse.catalog.api import router as catalog_router
    from duecourse.certificates.api import router as certificates_router
    from duecourse.groups.api import router as groups_router
    from duecourse.notifications.api import router as notifications_router
    from duecourse.people.api import me_router as people_me_router
    from duecourse.people.api import router as people_router
    from duecourse.policy.api import router as policy_router
    from duecourse.reports.api import router as reports_router
    from duecourse.scim.token_api import router as scim_tokens_router

    api.add_router("/people", people_router, tags=["people"])
    api.add_router("", people_me_router, tags=["people"])
    api.add_router("/groups", groups_router, tags=["groups"])
    api.add_router("", catalog_router)
    api.add_router("", assignments_router)
    api.add_router("/xapi", xapi_router, tags=["xapi"])
    api.add_router("/reports", reports_router, tags=["reports"])
    api.add_router("", notifications_router, tags=["notifications"])
    api.add_router("/settings", policy_router, tags=["settings"])
    api.add_router("", certificates_router)
    api.add_router("/scim-tokens", scim_tokens_router, tags=["scim"])


_register_routers()
