"""Shared pieces of the JSON API: errors, list envelopes, CSV export."""

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from ninja.renderers import JSONRenderer

from duecourse.core.errors import DomainError

if TYPE_CHECKING:  # the kernel knows no domain at run time; the actor is always a people.Person
    from duecourse.people.models import Person

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_ID = 2**62  # larger numbers are no id of ours, and overflow SQLite's integers
# An id sent in a body or a filter: a clear 422 naming the field for 0, negatives and huge numbers.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# PostgreSQL text cannot hold NUL; refusing it at the edge keeps a stray %00 from becoming a 500.
NO_NUL_PATTERN = r"^[^\x00]*$"


def FilterText(max_length: int = 200):  # noqa: N802 - reads as a type in schemas
    return Field(None, max_length=max_length, pattern=NO_NUL_PATTERN)


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


class ListParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)
    format: str | None = Field(None, pattern="^(json|csv)$", description="`csv` answers text/csv")


ERROR_RESPONSES = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ActorRequest(HttpRequest):
    """A request whose caller is known: authentication (API) or the web middleware set `actor`."""

    actor: "Person"


def actor_of(request: HttpRequest) -> "Person":
    return cast(ActorRequest, request).actor


def error_body(exc: DomainError) -> dict:
    return exc.as_dict()


# Pydantic's messages for the bad inputs a caller sends most, by error type: the English is pydantic's own
# words (so an English answer is unchanged), the catalogs hold them in the other languages.
_VALIDATION_MESSAGES = {
    "missing": _("Field required"),
    "extra_forbidden": _("Extra inputs are not permitted"),
    "string_type": _("Input should be a valid string"),
    "string_too_short": _("String should have at least %(min_length)s characters"),
    "string_too_long": _("String should have at most %(max_length)s characters"),
    "string_pattern_mismatch": _("String should match pattern '%(pattern)s'"),
    "int_type": _("Input should be a valid integer"),
    "int_parsing": _("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": _("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": _("Input should be a valid number, unable to parse string as a number"),
    "bool_parsing": _("Input should be a valid boolean, unable to interpret input"),
    "greater_than": _("Input should be greater than %(gt)s"),
    "greater_than_equal": _("Input should be greater than or equal to %(ge)s"),
    "less_than": _("Input should be less than %(lt)s"),
    "less_than_equal": _("Input should be less than or equal to %(le)s"),
    "too_short": _("List should have at least %(min_length)s items after validation, not %(actual_length)s"),
    "too_long": _("List should have at most %(max_length)s items after validation, not %(actual_length)s"),
    "list_type": _("Input should be a valid list"),
    "dict_type": _("Input should be a valid dictionary"),
    "model_attributes_type": _("Input should be a valid dictionary or object to extract fields from"),
    "date_type": _("Input should be a valid date"),
    "date_parsing": _("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": _("Input should be a valid date or datetime"),
    "datetime_type": _("Input should be a valid datetime"),
    "datetime_parsing": _("Input should be a valid datetime"),
    "datetime_from_date_parsing": _("Input should be a valid datetime or date"),
    "enum": _("Input should be %(expected)s"),
    "literal_error": _("Input should be %(expected)s"),
    "json_invalid": _("Invalid JSON"),
    "value_error": _("Value error, %(error)s"),
}


def validation_message(error: dict) -> str:
    """The message of one of pydantic's errors (an item of `ValidationError.errors()`) in the request's language:
    pydantic's words for the common kinds, its own message (English) for the rest. The field stays as it is."""
    message = _VALIDATION_MESSAGES.get(str(error.get("type", "")))
    original = str(error.get("msg", ""))
    if message is None:
        return original
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return str(message) % context
    except (KeyError, ValueError, TypeError):
        return original


_RENDERER = JSONRenderer()


def rendered_json(request: HttpRequest, data) -> HttpResponse:
    """A 200 with `data` rendered exactly as the API renders responses, skipping response validation.

    Only for hot lists whose presenter builds the schema's shape itself (a test holds each one to its
    schema); the endpoint still declares the schema, so the OpenAPI document is unchanged.
    """
    return HttpResponse(
        _RENDERER.render(request, data, response_status=200),
        content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}",
    )


class _Echo:
    def write(self, value):
        return value


def csv_response(
    filename: str, header: list[str], rows: Iterable[list], *, headers: dict[str, str] | None = None
) -> StreamingHttpResponse:
    """Stream rows as CSV so an export of 100,000 people never sits in memory at once; `headers` are
    extra response headers."""
    writer = csv.writer(_Echo())

    def generate():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(["" if v is None else _cell(v) for v in row])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _cell(value) -> str:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):  # the same form as the JSON answer: 2026-03-01T09:00:00Z
        return value.isoformat().replace("+00:00", "Z")
    text = str(value)
    # Spreadsheet formula injection: a cell that starts like a formula is quoted as text.
    if text[:1] in ("=", "+", "-", "@") and not _looks_numeric(text):
        return "'" + text
    return text


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


Row = TypeVar("Row", bound=Model)


def paged_list(
    queryset: "QuerySet[Row]",
    params: ListParams,
    to_dict: Callable[[Row], dict],
    *,
    csv_name: str,
    csv_columns: list[str],
    explicit_paging: bool = False,
):
    """`{"count", "items"}` for JSON; the whole filtered list as CSV (or one page when asked)."""
    if params.format == "csv":
        rows = queryset
        if explicit_paging:
            rows = rows[params.offset : params.offset + params.limit]
        iterator = rows.iterator(chunk_size=2000)
        return csv_response(
            f"{csv_name}.csv", csv_columns, ([to_dict(obj).get(c) for c in csv_columns] for obj in iterator)
        )
    page = list(queryset[params.offset : params.offset + params.limit])
    return {"count": queryset.count(), "items": [to_dict(obj) for obj in page]}


def was_paging_asked(request: HttpRequest) -> bool:
    return "limit" in request.GET or "offset" in request.GET
