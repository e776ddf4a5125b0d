import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.core.api import Id, ListParams
from duecourse.notifications.inputs import PreferencesInput
from duecourse.notifications.limits import MAX_MARK_READ_IDS


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    link: str
    assignment_id: int | None
    about_person_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationList(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class InboxFilters(ListParams):
    unread: bool | None = None


class MarkReadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ids: list[Id] | None = Field(None, max_length=MAX_MARK_READ_IDS, description="Omit to mark everything read")


class PreferencesIO(Schema):
    model_config = ConfigDict(extra="forbid")

    email_assigned: bool | None = None
    email_reminders: bool | None = None
    email_changes: bool | None = None
    email_certificates: bool | None = None
    manager_daily_digest: bool | None = None

    def to_input(self) -> PreferencesInput:
        return PreferencesInput.model_validate(self.model_dump(exclude_unset=True))


class OutboxOut(Schema):
    id: int
    to_email: str
    subject: str
    state: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str


class OutboxList(Schema):
    count: int
    items: list[OutboxOut]


class OutboxFilters(ListParams):
    state: str | None = Field(None, pattern="^(pending|sent|held|failed)$")
