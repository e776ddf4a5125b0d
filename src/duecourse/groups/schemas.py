import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.core.api import FilterText, Id, ListParams
from duecourse.groups.inputs import GroupInput
from duecourse.groups.limits import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH


class GroupOut(Schema):
    id: int
    name: str
    kind: Literal["static", "dynamic"]
    description: str
    member_ids: list[int] | None
    rule: dict[str, Any] | None
    member_count: int
    external_id: str | None = Field(None, description="The identity provider's id for the group (SCIM externalId)")
    provisioned: bool = Field(
        False,
        description="Managed by your identity provider (SCIM, with or without an externalId): its name and members "
        "change there, not here",
    )
    archived_at: dt.datetime | None = Field(
        None, description="When the group was archived (emptied for good, e.g. removed by the identity provider)"
    )
    archived_reason: str = ""


class GroupList(Schema):
    count: int
    items: list[GroupOut]


class GroupIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=MAX_NAME_LENGTH)
    kind: Literal["static", "dynamic"]
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    member_ids: list[Id] | None = None
    rule: dict[str, Any] | None = None

    def to_input(self) -> GroupInput:
        return GroupInput.model_validate(self.model_dump(exclude_unset=True))


class GroupPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=MAX_NAME_LENGTH)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    member_ids: list[Id] | None = None
    rule: dict[str, Any] | None = None

    def to_input(self) -> GroupInput:
        return GroupInput.model_validate(self.model_dump(exclude_unset=True))


class GroupFilters(ListParams):
    q: str | None = FilterText()
    kind: Literal["static", "dynamic"] | None = None
    archived: bool | None = Field(None, description="true: only archived groups; false: only live ones; omitted: all")
