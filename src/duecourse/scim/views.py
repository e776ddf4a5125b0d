"""The SCIM 2.0 endpoint (RFC 7644) at /scim/v2/: plain Django views, thin over `scim.users` / `scim.groups`.

Every answer is `application/scim+json`; every failure is a SCIM Error body (never an HTML page). A
request acts as its token's tenant and system actor; each write is one transaction (a failed one changes nothing).
"""

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    NotImplementedException,
    ResponseParameters,
    SCIMException,
    UnauthorizedException,
)

from duecourse.core.actors import SystemActor
from duecourse.scim import groups, resources, users
from duecourse.scim.filters import group_filter, user_filter
from duecourse.scim.limits import DEFAULT_COUNT, MAX_LISTED_MEMBERS, MAX_RESULTS, MAX_START_INDEX
from duecourse.scim.resources import POLICY, ScimUser
from duecourse.scim.tokens import scim_actor, scim_token_authenticate

logger = logging.getLogger(__name__)
SCIM_CONTENT_TYPE = "application/scim+json"
DOCUMENTATION = "https://github.com/duecourse/duecourse/blob/main/docs/scim-protocol.md"

Handler = Callable[..., HttpResponse]


def scim_response(payload: dict[str, Any] | None, status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload) if payload is not None else b"",
        status=status,
        content_type=SCIM_CONTENT_TYPE if payload is not None else None,
    )
    if location:
        response["Location"] = location
    return response


def error_response(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    body = Error(status=status, scim_type=scim_type or None, detail=detail).model_dump()
    response = scim_response(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="duecourse SCIM"'
    return response


def _exception_response(exc: SCIMException) -> HttpResponse:
    return error_response(exc.status, exc.detail, exc.scim_type or None)


def scim_endpoint(methods: dict[str, Handler]) -> Callable[..., HttpResponse]:
    """A view answering the given methods, with bearer authentication and SCIM errors."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            header = request.headers.get("Authorization", "")
            scheme, _, raw = header.partition(" ")
            token = scim_token_authenticate(raw) if scheme.lower() == "bearer" and raw else None
            if token is None:
                raise UnauthorizedException(detail="A valid SCIM bearer token is required")
            handler = methods.get(request.method or "")
            if handler is None:
                return error_response(405, f"{request.method} is not supported here")
            with POLICY:  # each write service holds its own transaction
                return handler(request, scim_actor(token), **kwargs)
        except SCIMException as exc:
            return _exception_response(exc)
        except RequestDataTooBig:
            return error_response(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes")
        except ValidationError as exc:
            errors = Error.from_validation_errors(exc)
            first = errors[0] if errors else Error(status=400, detail=str(exc))
            detail = "; ".join(e.detail or "" for e in errors) or str(exc)
            return error_response(int(first.status or 400), detail, first.scim_type or "invalidValue")
        except Exception:
            logger.exception("SCIM request failed: %s %s", request.method, request.path)
            return error_response(500, "The server could not complete the request; nothing was changed.")

    functools.update_wrapper(view, next(iter(methods.values())))
    return view


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _body(request: HttpRequest) -> Any:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidSyntaxException(detail="The request body is not JSON") from None
    if _holds_nul(body):
        raise InvalidValueException(detail="Text in the request may not contain NUL characters")
    return body


def _response_parameters(request: HttpRequest, model: Any) -> Any:
    raw = {
        key: request.GET[param]
        for key, param in (("attributes", "attributes"), ("excluded_attributes", "excludedAttributes"))
        if request.GET.get(param)
    }
    return ResponseParameters[model].model_validate(raw) if raw else None


def _positive(request: HttpRequest, name: str, default: int) -> int:
    text = request.GET.get(name, "")
    if not text:
        return default
    if not re.fullmatch(r"-?[0-9]{1,30}", text):  # ASCII digits only: int() also reads "١" (Arabic-Indic) as 1
        raise InvalidValueException(detail=f"{name}: {text!r} is not a number")
    return int(text)


def _page(request: HttpRequest) -> tuple[int, int]:
    start = min(max(_positive(request, "startIndex", 1), 1), MAX_START_INDEX)
    count = min(max(_positive(request, "count", DEFAULT_COUNT), 0), MAX_RESULTS)
    return start, count


def _dump(resource: Any, context: Context, params: Any = None) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=context, response_parameters=params)


def _list(resources_: list[Any], total: int, start: int, model: Any, params: Any) -> HttpResponse:
    page = ListResponse[model](
        total_results=total, start_index=start, items_per_page=len(resources_), resources=resources_
    )
    return scim_response(_dump(page, Context.SEARCH_RESPONSE, params))


# Discovery (RFC 7644 §4)


def service_provider_config_get(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    config = resources.service_provider_config(DOCUMENTATION)
    config.meta = Meta(resource_type="ServiceProviderConfig", location=f"{users.base_location()}/ServiceProviderConfig")
    return scim_response(_dump(config, Context.RESOURCE_QUERY_RESPONSE))


def _with_meta(item: Any, kind: str, key: str) -> Any:
    item.meta = Meta(resource_type=kind, location=f"{users.base_location()}/{kind}s/{key}")
    return item


def resource_types_list(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    items = [_with_meta(rt, "ResourceType", str(rt.id)) for rt in resources.resource_types()]
    return _list(items, len(items), 1, type(items[0]), None)


def resource_type_get(request: HttpRequest, actor: SystemActor, key: str) -> HttpResponse:
    for rt in resources.resource_types():
        if rt.id == key:
            return scim_response(_dump(_with_meta(rt, "ResourceType", key), Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"ResourceType {key} not found")


def schemas_list(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    items = [_with_meta(schema, "Schema", str(schema.id)) for schema in resources.schemas()]
    return _list(items, len(items), 1, type(items[0]), None)


def schema_get(request: HttpRequest, actor: SystemActor, key: str) -> HttpResponse:
    for schema in resources.schemas():
        if schema.id == key:
            return scim_response(_dump(_with_meta(schema, "Schema", key), Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"Schema {key} not found")


# Users


def users_list(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    params = _response_parameters(request, ScimUser)
    start, count = _page(request)
    people = users.provisioned_people(actor.tenant_id)
    if request.GET.get("filter"):
        people = people.filter(user_filter(request.GET["filter"]))
    people = people.order_by("pk")
    total = people.count()
    page = list(people[start - 1 : start - 1 + count]) if count else []
    return _list([users.user_resource(p) for p in page], total, start, ScimUser, params)


def users_create(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    user = ScimUser.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    person = users.scim_user_create(actor=actor, user=user)
    return _user_response(request, person, Context.RESOURCE_CREATION_RESPONSE, status=201)


def _user_response(request: HttpRequest, person: Any, context: Context, status: int = 200) -> HttpResponse:
    resource = users.user_resource(person)
    params = _response_parameters(request, ScimUser)
    return scim_response(_dump(resource, context, params), status, location=resource.meta.location)


def user_get(request: HttpRequest, actor: SystemActor, user_id: str) -> HttpResponse:
    return _user_response(request, users.access_user(actor.tenant_id, user_id), Context.RESOURCE_QUERY_RESPONSE)


def user_replace(request: HttpRequest, actor: SystemActor, user_id: str) -> HttpResponse:
    person = users.access_user(actor.tenant_id, user_id)
    user = ScimUser.model_validate(_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    person = users.scim_user_replace(actor=actor, person=person, user=user)
    return _user_response(request, person, Context.RESOURCE_REPLACEMENT_RESPONSE)


def user_patch(request: HttpRequest, actor: SystemActor, user_id: str) -> HttpResponse:
    person = users.access_user(actor.tenant_id, user_id)
    person = users.scim_user_patch(actor=actor, person=person, body=_body(request))
    return _user_response(request, person, Context.RESOURCE_PATCH_RESPONSE)


def user_delete(request: HttpRequest, actor: SystemActor, user_id: str) -> HttpResponse:
    users.scim_user_delete(actor=actor, person=users.access_user(actor.tenant_id, user_id))
    return scim_response(None, 204)


# Groups


def _excludes_members(params: Any) -> bool:
    excluded = getattr(params, "excluded_attributes", None) or []
    attributes = getattr(params, "attributes", None)
    if attributes and not any(str(a).lower().endswith("members") for a in attributes):
        return True
    return any(str(a).lower().endswith("members") for a in excluded)


def groups_list(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    params = _response_parameters(request, resources.Group)
    start, count = _page(request)
    found = groups.provisioned_groups(actor.tenant_id)
    if request.GET.get("filter"):
        found = found.filter(group_filter(request.GET["filter"]))
    found = found.order_by("pk")
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count else []
    # Entra asks with excludedAttributes=members: then the members (thousands per group) are not read at all.
    if not _excludes_members(params) and page:
        page = _members_capped(page)
    members = {} if _excludes_members(params) else groups.member_ids_of([g.pk for g in page])
    items = [groups.group_resource(g, members.get(g.pk)) for g in page]
    return _list(items, total, start, resources.Group, params)


def _group_response(request: HttpRequest, group: Any, context: Context, status: int = 200) -> HttpResponse:
    params = _response_parameters(request, resources.Group)
    members = None if _excludes_members(params) else groups.member_ids_of([group.pk])[group.pk]
    resource = groups.group_resource(group, members)
    return scim_response(_dump(resource, context, params), status, location=resource.meta.location)


def groups_create(request: HttpRequest, actor: SystemActor) -> HttpResponse:
    group = resources.Group.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    created = groups.scim_group_create(actor=actor, group=group)
    return _group_response(request, created, Context.RESOURCE_CREATION_RESPONSE, status=201)


def group_get(request: HttpRequest, actor: SystemActor, group_id: str) -> HttpResponse:
    group = groups.access_group(actor.tenant_id, group_id)
    return _group_response(request, group, Context.RESOURCE_QUERY_RESPONSE)


def group_replace(request: HttpRequest, actor: SystemActor, group_id: str) -> HttpResponse:
    group = groups.access_group(actor.tenant_id, group_id)
    replacement = resources.Group.model_validate(_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    group = groups.scim_group_replace(actor=actor, group=group, replacement=replacement)
    return _group_response(request, group, Context.RESOURCE_REPLACEMENT_RESPONSE)


def group_patch(request: HttpRequest, actor: SystemActor, group_id: str) -> HttpResponse:
    """204 without a body (RFC 7644 §3.5.2 allows it): a group's members can be thousands, and identity
    providers add a few at a time. With `attributes` or `excludedAttributes`, 200 and the group as asked."""
    group = groups.access_group(actor.tenant_id, group_id)
    params = _response_parameters(request, resources.Group)  # a bad parameter is refused before any change
    group = groups.scim_group_patch(actor=actor, group=group, body=_body(request))
    if params is None:
        response = scim_response(None, 204)
        response["Location"] = groups.group_location(group.pk)
        return response
    return _group_response(request, group, Context.RESOURCE_PATCH_RESPONSE)


def _members_capped(page: list[Any]) -> list[Any]:
    """A page of groups with their members holds at most MAX_LISTED_MEMBERS members (always one group at
    least): a list answer stays a bounded size; the client asks for the next page from `itemsPerPage`."""
    counts = groups.member_counts_of([g.pk for g in page])
    kept: list[Any] = []
    total = 0
    for group in page:
        total += counts.get(group.pk, 0)
        if kept and total > MAX_LISTED_MEMBERS:
            break
        kept.append(group)
    return kept


def group_delete(request: HttpRequest, actor: SystemActor, group_id: str) -> HttpResponse:
    groups.scim_group_delete(actor=actor, group=groups.access_group(actor.tenant_id, group_id))
    return scim_response(None, 204)


def not_implemented(request: HttpRequest, actor: SystemActor, **kwargs: Any) -> HttpResponse:
    raise NotImplementedException(detail="Searching with POST /.search and bulk operations are not supported")


def unknown(request: HttpRequest, actor: SystemActor, **kwargs: Any) -> HttpResponse:
    raise NotFoundException(detail=f"{request.path} is not a SCIM endpoint")


ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
service_provider_config = scim_endpoint({"GET": service_provider_config_get})
resource_types_view = scim_endpoint({"GET": resource_types_list})
resource_type_view = scim_endpoint({"GET": resource_type_get})
schemas_view = scim_endpoint({"GET": schemas_list})
schema_view = scim_endpoint({"GET": schema_get})
users_view = scim_endpoint({"GET": users_list, "POST": users_create})
user_view = scim_endpoint({"GET": user_get, "PUT": user_replace, "PATCH": user_patch, "DELETE": user_delete})
groups_view = scim_endpoint({"GET": groups_list, "POST": groups_create})
group_view = scim_endpoint({"GET": group_get, "PUT": group_replace, "PATCH": group_patch, "DELETE": group_delete})
search_view = scim_endpoint({"POST": not_implemented})
unknown_view = scim_endpoint(dict.fromkeys(ALL_METHODS, unknown))
