"""HTTP face of the xAPI Statements resource (`/api/v1/xapi/`)."""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from duecourse.assignments import xapi
from duecourse.core.api import ERROR_RESPONSES, actor_of
from duecourse.core.errors import FieldError

router = Router()

STATEMENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
            }
        },
    }
}


def _body(request: HttpRequest):
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise xapi.XapiBadRequest(
            detail="The body is not JSON", errors=[FieldError("body", "is not valid JSON")]
        ) from None


def _versioned(response: HttpResponse) -> HttpResponse:
    response["X-Experience-API-Version"] = xapi.VERSION
    return response


@router.post(
    "/statements",
    response={200: list[str], 400: dict, **ERROR_RESPONSES},
    openapi_extra=STATEMENTS_BODY,
    summary="Store one statement or a list; answers the stored ids",
)
def post_statements(request: HttpRequest):
    ids = xapi.statements_store(actor=actor_of(request), body=_body(request))
    return _versioned(JsonResponse(ids, safe=False))


@router.put(
    "/statements",
    response={204: None, 400: dict, **ERROR_RESPONSES},
    openapi_extra={
        **STATEMENTS_BODY,
        "parameters": [
            {"name": "statementId", "in": "query", "required": True, "schema": {"type": "string", "format": "uuid"}}
        ],
    },
    summary="Store one statement under the given id",
)
def put_statement(request: HttpRequest):
    statement_id = request.GET.get("statementId")
    if not statement_id:
        raise xapi.XapiBadRequest(detail="statementId is required", errors=[FieldError("statementId", "is required")])
    xapi.statements_store(actor=actor_of(request), body=_body(request), statement_id=statement_id)
    return _versioned(HttpResponse(status=204))


@router.get("/about", auth=None, summary="xAPI version information")
def about(request: HttpRequest):
    return _versioned(JsonResponse({"version": [xapi.VERSION]}))
