"""duecourse's errors as SCIM errors (RFC 7644 §3.12): the attribute names a SCIM client knows, not ours."""

from scim2_models import InvalidValueException, SCIMException, UniquenessException

from duecourse.core.errors import UNIQUE, DomainError, NotFound, PermissionDenied
from duecourse.scim.resources import ENTERPRISE_SCHEMA

# A service's field name -> the SCIM attribute a client wrote.
ATTRIBUTE_OF_FIELD = {
    "email": "userName",
    "name": "displayName",
    "external_id": "externalId",
    "job_title": "title",
    "department": f"{ENTERPRISE_SCHEMA}:department",
    "manager_id": f"{ENTERPRISE_SCHEMA}:manager.value",
    "manager_email": f"{ENTERPRISE_SCHEMA}:manager.value",
    "timezone": "timezone",
    "locale": "locale",
    "active": "active",
    "member_ids": "members",
}


def scim_error_of(error: DomainError, *, field_names: dict[str, str] | None = None) -> SCIMException:
    """The SCIM exception for a service's error: a uniqueness clash is 409 `uniqueness`, other bad input 400
    `invalidValue`, each naming the SCIM attribute."""
    names = {**ATTRIBUTE_OF_FIELD, **(field_names or {})}
    if isinstance(error, NotFound):
        exc: SCIMException = SCIMException(detail=error.detail)
        exc.status = 404
        return exc
    if isinstance(error, PermissionDenied):
        exc = SCIMException(detail=error.detail)
        exc.status = 403
        return exc
    parts = [f"{names.get(e.field, e.field)}: {e.message}" for e in error.errors] or [error.detail]
    detail = "; ".join(parts)
    if any(e.code == UNIQUE for e in error.errors):
        return UniquenessException(detail=detail)
    return InvalidValueException(detail=detail)
