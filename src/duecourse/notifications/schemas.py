import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.assignments.bulk_actions import MAX_FAILED_ROWS
from duecourse.assignments.limits import MAX_REASON_LENGTH
from duecourse.assignments.schemas import AssignmentFilterIn
from duecourse.core.api import ErrorOut, Id, ListParams
from duecourse.notifications.inputs import PreferencesInput
from duecourse.notifications.limits import MAX_MARK_READ_IDS
from duecourse.notifications.manual_reminders import MAX_ACTION_IDS, ActionRequest


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
    weekly_digest: bool | None = None

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


# --- reminders by hand and actions on many assignments ----------------------------------------------
class RemindOut(Schema):
    id: int
    last_sent_at: dt.datetime


class RemindedRecentlyOut(ErrorOut):
    last_sent_at: dt.datetime | None


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: Literal["extend", "withdraw", "remind"]
    ids: list[Id] | None = Field(None, max_length=MAX_ACTION_IDS, description=f"at most {MAX_ACTION_IDS}")
    filter: AssignmentFilterIn | None = Field(None, description="the list's filters (`GET /api/v1/assignments`)")
    due_date: dt.date | None = Field(None, description="extend: the new due date (required)")
    reason: str = Field("", max_length=MAX_REASON_LENGTH, description="extend: required; audited")

    def to_request(self) -> ActionRequest:
        return ActionRequest(
            action=self.action,
            ids=list(self.ids) if self.ids is not None else None,
            query=self.filter.to_query() if self.filter is not None else None,
            due_date=self.due_date,
            reason=self.reason,
        )


class ActionFailure(Schema):
    id: int
    reason: str


class ActionOut(Schema):
    done: int
    failed: list[ActionFailure] = Field(description=f"the first {MAX_FAILED_ROWS} refused items")
    failed_count: int
    failed_by_reason: dict[str, int]
