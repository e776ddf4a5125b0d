"""People endpoints of the JSON API: thin, every decision is in services, selectors and permissions."""

import json

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import ValidationError as PydanticValidationError

from duecourse.core.api import ERROR_RESPONSES, actor_of, paged_list, was_paging_asked
from duecourse.core.errors import FieldError, ValidationFailed, forbidden
from duecourse.people import imports, invitations, permissions, selectors, services
from duecourse.people.presenters import PERSON_CSV_COLUMNS, person_as_dict
from duecourse.people.schemas import (
    PeopleImportIn,
    PeopleImportOut,
    PersonFilters,
    PersonIn,
    PersonList,
    PersonOut,
    PersonPatch,
    TokenIn,
    TokenOut,
)
from duecourse.people.token_format import key_pair

router = Router()
me_router = Router()  # mounted at the API's root: /me is the caller, not a person looked up by id


@me_router.get("/me", response={200: PersonOut, **ERROR_RESPONSES}, summary="The caller, with their roles")
def get_me(request: HttpRequest):
    actor = actor_of(request)
    return person_as_dict(selectors.access_person(actor=actor, person_id=actor.pk))


@router.get("", response={200: PersonList, **ERROR_RESPONSES}, summary="List people")
def list_people(request: HttpRequest, filters: Query[PersonFilters]):
    people = selectors.person_list(
        actor=actor_of(request),
        q=filters.q,
        department=filters.department,
        site=filters.site,
        region=filters.region,
        manager_id=filters.manager,
        active=filters.active,
        role=filters.role,
        invitation=filters.invitation,
    )
    return paged_list(
        people,
        filters,
        person_as_dict,
        csv_name="people",
        csv_columns=PERSON_CSV_COLUMNS,
        explicit_paging=was_paging_asked(request),
    )


@router.post("", response={201: PersonOut, **ERROR_RESPONSES}, summary="Create a person")
def create_person(request: HttpRequest, payload: PersonIn):
    actor = actor_of(request)
    person = services.person_create(actor=actor, tenant_id=actor.tenant_id, data=payload.to_input())
    return Status(201, person_as_dict(selectors.access_person(actor=actor, person_id=person.pk)))


IMPORT_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PeopleImportIn.model_json_schema()},
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    "parameters": [
        {"name": "dry_run", "in": "query", "required": False, "schema": {"type": "boolean"}},
        {"name": "deactivate_missing", "in": "query", "required": False, "schema": {"type": "boolean"}},
    ],
}


def _query_flag(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "false").lower()
    if value not in {"true", "false", "1", "0"}:
        raise ValidationFailed.on(name, "must be true or false")
    return value in {"true", "1"}


@router.post(
    "/import",
    response={200: PeopleImportOut, **ERROR_RESPONSES},
    summary="Import people (JSON rows or a CSV body)",
    openapi_extra=IMPORT_OPENAPI,
)
def import_people(request: HttpRequest):
    actor = actor_of(request)
    if not permissions.can_manage_people(actor):
        raise forbidden("import people")
    content_type = request.content_type or ""
    if content_type in ("text/csv", "application/csv"):
        rows = imports.parse_people_csv(request.body)
        dry_run, deactivate = _query_flag(request, "dry_run"), _query_flag(request, "deactivate_missing")
    else:
        try:
            payload = PeopleImportIn.model_validate(json.loads(request.body or b"null"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValidationFailed.on("body", "is not valid JSON") from None
        except PydanticValidationError as exc:
            errors = [FieldError(".".join(map(str, e["loc"])) or "body", e["msg"]) for e in exc.errors()]
            raise ValidationFailed(detail="Invalid import request", errors=errors) from None
        rows, dry_run, deactivate = payload.rows, payload.dry_run, payload.deactivate_missing
    result = imports.people_import(actor=actor, rows=rows, dry_run=dry_run, deactivate_missing=deactivate)
    return result.as_dict()


@router.get("/{int:person_id}", response={200: PersonOut, **ERROR_RESPONSES}, summary="Get a person")
def get_person(request: HttpRequest, person_id: int):
    return person_as_dict(selectors.access_person(actor=actor_of(request), person_id=person_id))


@router.patch("/{int:person_id}", response={200: PersonOut, **ERROR_RESPONSES}, summary="Change a person")
def patch_person(request: HttpRequest, person_id: int, payload: PersonPatch):
    actor = actor_of(request)
    person = selectors.access_person(actor=actor, person_id=person_id)
    services.person_update(actor=actor, person=person, data=payload.to_input())
    return person_as_dict(selectors.access_person(actor=actor, person_id=person_id))


@router.post(
    "/{int:person_id}/invite",
    response={202: PersonOut, **ERROR_RESPONSES},
    summary="Invite a person: an email with a single-use link, valid 7 days, to set a password",
)
def invite_person(request: HttpRequest, person_id: int):
    actor = actor_of(request)
    person = selectors.access_person(actor=actor, person_id=person_id)
    invitations.invitation_send_one(actor=actor, person=person)
    return Status(202, person_as_dict(selectors.access_person(actor=actor, person_id=person_id)))


@router.get(
    "/{int:person_id}/tokens", response={200: list[TokenOut], **ERROR_RESPONSES}, summary="A person's API tokens"
)
def list_tokens(request: HttpRequest, person_id: int):
    actor = actor_of(request)
    person = selectors.access_person(actor=actor, person_id=person_id)
    if not permissions.can_manage_tokens(actor, person):
        raise forbidden("see this person's tokens")
    return list(selectors.person_tokens(actor=actor, person=person))


@router.post(
    "/{int:person_id}/tokens", response={201: TokenOut, **ERROR_RESPONSES}, summary="Create an API token (shown once)"
)
def create_token(request: HttpRequest, person_id: int, payload: TokenIn):
    actor = actor_of(request)
    person = selectors.access_person(actor=actor, person_id=person_id)
    token, plain = services.api_token_create(actor=actor, person=person, name=payload.name)
    pair = key_pair(plain)
    assert pair is not None  # a token just made is always one of ours
    return Status(201, TokenOut.from_orm(token).model_copy(update={"token": plain, "api_secret": pair.api_secret}))


@router.delete(
    "/{int:person_id}/tokens/{int:token_id}", response={204: None, **ERROR_RESPONSES}, summary="Revoke an API token"
)
def revoke_token(request: HttpRequest, person_id: int, token_id: int):
    actor = actor_of(request)
    person = selectors.access_person(actor=actor, person_id=person_id)
    token = selectors.access_token(actor=actor, person=person, token_id=token_id)
    services.api_token_revoke(actor=actor, token=token)
    return Status(204, None)
