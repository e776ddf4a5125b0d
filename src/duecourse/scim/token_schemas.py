"""The SCIM token endpoints' JSON (part of /api/v1, not of the SCIM protocol itself)."""

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.core.api import NO_NUL_PATTERN
from duecourse.scim.tokens import MAX_SCIM_TOKEN_NAME_LENGTH


class ScimTokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "",
        max_length=MAX_SCIM_TOKEN_NAME_LENGTH,
        pattern=NO_NUL_PATTERN,
        description="What the token is for, e.g. the identity provider's name; shown in the audit log as "
        "'SCIM: <name>'",
    )


class PersonRef(Schema):
    id: int
    name: str


class ScimTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="The token's public part: it identifies the token in lists and logs")
    created_at: dt.datetime
    created_by: PersonRef | None
    last_used_at: dt.datetime | None = Field(..., description="Within a minute of the identity provider's last call")
    revoked_at: dt.datetime | None


class ScimTokenCreated(ScimTokenOut):
    token: str = Field(..., description="The secret bearer token for the identity provider; shown this once only")


class ScimTokenList(Schema):
    count: int
    items: list[ScimTokenOut]
