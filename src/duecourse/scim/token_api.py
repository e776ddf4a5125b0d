"""`/api/v1/scim-tokens`: an admin creates (shown once), lists and revokes the tenant's SCIM tokens."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from duecourse.core.api import ERROR_RESPONSES, ListParams, actor_of, paged_list, was_paging_asked
from duecourse.scim import token_selectors, tokens
from duecourse.scim.models import ScimToken
from duecourse.scim.token_schemas import ScimTokenCreated, ScimTokenIn, ScimTokenList

router = Router()
SCIM_TOKEN_CSV_COLUMNS = ["id", "name", "prefix", "created_at", "created_by_id", "last_used_at", "revoked_at"]


def scim_token_as_dict(token: ScimToken) -> dict:
    creator = token.created_by
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "created_by": {"id": creator.pk, "name": creator.name} if creator else None,
        "created_by_id": token.created_by_id,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.post(
    "",
    response={201: ScimTokenCreated, **ERROR_RESPONSES},
    summary="Create a SCIM token for the identity provider (admins; the secret is shown once)",
)
def create_scim_token(request: HttpRequest, payload: ScimTokenIn, response: HttpResponse):
    response["Cache-Control"] = "no-store"  # the answer holds the secret
    actor = actor_of(request)
    token, secret = tokens.scim_token_create(actor=actor, name=payload.name)
    created = token_selectors.access_scim_token(actor=actor, token_id=token.pk)
    return Status(201, {**scim_token_as_dict(created), "token": secret})


@router.get("", response={200: ScimTokenList, **ERROR_RESPONSES}, summary="The tenant's SCIM tokens, without secrets")
def list_scim_tokens(request: HttpRequest, params: Query[ListParams]):
    return paged_list(
        token_selectors.scim_token_list(actor=actor_of(request)),
        params,
        scim_token_as_dict,
        csv_name="scim-tokens",
        csv_columns=SCIM_TOKEN_CSV_COLUMNS,
        explicit_paging=was_paging_asked(request),
    )


@router.delete(
    "/{int:token_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Revoke a SCIM token: the identity provider's calls with it fail from now on",
)
def revoke_scim_token(request: HttpRequest, token_id: int):
    actor = actor_of(request)
    token = token_selectors.access_scim_token(actor=actor, token_id=token_id)
    tokens.scim_token_revoke(actor=actor, token=token)
    return Status(204, None)
