import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.core.api import FilterText, Id, ListParams
from duecourse.people.inputs import PersonInput
from duecourse.people.invitation_state import INVITATION_STATES
from duecourse.people.limits import (
    MAX_EMAIL_LENGTH,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_IMPORT_ROWS,
    MAX_JOB_TITLE_LENGTH,
    MAX_LOCALE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ORG_UNIT_NAME_LENGTH,
    MAX_TIMEZONE_LENGTH,
)
from duecourse.people.roles import FILTER_ROLES


class PersonOut(Schema):
    id: int
    email: str
    name: str
    external_id: str | None
    manager_id: int | None
    department: str | None
    site: str | None
    region: str | None
    job_title: str
    hire_date: dt.date | None
    timezone: str
    locale: str
    active: bool
    roles: list[str]
    invitation: Literal["none", "invited", "accepted", "expired"]


class PersonList(Schema):
    count: int
    items: list[PersonOut]


class PersonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(..., max_length=MAX_EMAIL_LENGTH)
    name: str = Field(..., max_length=MAX_NAME_LENGTH)
    external_id: str | None = Field(None, max_length=MAX_EXTERNAL_ID_LENGTH)
    manager_id: Id | None = None
    manager_email: str | None = Field(None, max_length=MAX_EMAIL_LENGTH)
    department: str | None = Field(None, max_length=MAX_ORG_UNIT_NAME_LENGTH)
    site: str | None = Field(None, max_length=MAX_ORG_UNIT_NAME_LENGTH)
    region: str | None = Field(None, max_length=MAX_ORG_UNIT_NAME_LENGTH)
    job_title: str | None = Field(None, max_length=MAX_JOB_TITLE_LENGTH)
    hire_date: dt.date | None = None
    timezone: str | None = Field(None, max_length=MAX_TIMEZONE_LENGTH)
    locale: str | None = Field(None, max_length=MAX_LOCALE_LENGTH)
    active: bool = True
    roles: list[str] = []

    def to_input(self) -> PersonInput:
        return PersonInput.model_validate(self.model_dump(exclude_unset=True))


class PersonPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=MAX_EMAIL_LENGTH)
    name: str | None = Field(None, max_length=MAX_NAME_LENGTH)
    external_id: str | None = Field(None, max_length=MAX_EXTERNAL_ID_LENGTH)
    manager_id: Id | None = None
    manager_email: str | None = Field(None, max_length=MAX_EMAIL_LENGTH)
    department: str | None = Field(None, max_length=MAX_ORG_UNIT_NAME_LENGTH)
    site: str | None = Field(None, max_length=MAX_ORG_UNIT_NAME_LENGTH)
    region: str | None = Field(None, max_length=MAX_ORG_UNIT_NAME_LENGTH)
    job_title: str | None = Field(None, max_length=MAX_JOB_TITLE_LENGTH)
    hire_date: dt.date | None = None
    timezone: str | None = Field(None, max_length=MAX_TIMEZONE_LENGTH)
    locale: str | None = Field(None, max_length=MAX_LOCALE_LENGTH)
    active: bool | None = None
    roles: list[str] | None = None

    def to_input(self) -> PersonInput:
        return PersonInput.model_validate(self.model_dump(exclude_unset=True))


class PersonFilters(ListParams):
    q: str | None = FilterText()
    department: str | None = FilterText()
    site: str | None = FilterText()
    region: str | None = FilterText()
    manager: int | None = Field(None, ge=1, le=2**62)
    active: bool | None = None
    role: str | None = Field(None, pattern=f"^({'|'.join(FILTER_ROLES)})$")
    invitation: str | None = Field(None, pattern=f"^({'|'.join(INVITATION_STATES)})$")


class PeopleImportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    # Any item is accepted here so that a row which is not an object fails alone, with its index.
    rows: list[Any] = Field(..., max_length=MAX_IMPORT_ROWS, description="Person-like objects without id")
    dry_run: bool = False
    deactivate_missing: bool = False


class ImportFailure(Schema):
    row: int
    errors: list[dict[str, str]]


class PeopleImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    deactivated: int
    failed: list[ImportFailure]
    dry_run: bool


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    token: str | None = None
    # The same token as a Frappe-style key pair (people/token_format.py); the secret only when it is created.
    api_key: str
    api_secret: str | None = None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None  # None: until revoked


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=MAX_NAME_LENGTH)
