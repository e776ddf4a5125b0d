import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.core.api import Id, ListParams

TargetType = Literal["course", "path", "skill"]
StatusName = Literal["assigned", "in_progress", "completed", "overdue", "expired", "withdrawn"]
Priority = Literal["high", "medium", "low"]
Recipient = Literal["learner", "assigner", "manager", "hr"]


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: TargetType
    id: Id


class TargetOut(Schema):
    type: str
    id: int
    title: str


class ReminderRule(Schema):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(..., ge=-365, le=365)
    recipients: list[Recipient] = Field(["learner"], min_length=1, max_length=4)
    template: str | None = Field(None, max_length=100)


class SourceOut(Schema):
    kind: str
    label: str
    assigned_by_id: int | None
    rule_id: int | None
    due_date: dt.date | None = None


class AssignmentOut(Schema):
    id: int
    person_id: int
    target: TargetOut
    status: StatusName
    progress: int
    priority: Priority
    due_date: dt.date | None
    note: str
    visibility: str
    validity_months: int | None
    recurrence_weeks: int | None
    cycle: int
    sources: list[SourceOut]
    reminders: list[dict[str, Any]]
    assigned_at: dt.datetime
    completed_at: dt.datetime | None
    expires_at: dt.datetime | None
    compliance_flag: bool
    why: str = ""
    due_date_from: str = ""


class AssignmentList(Schema):
    count: int
    items: list[AssignmentOut]


class AssignmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person_id: Id
    target: TargetIn
    due_date: dt.date | None = None
    due_in_days: int | None = Field(None, ge=0, le=3650)
    priority: Priority = "medium"
    note: str = Field("", max_length=5000)
    reason: str = Field("", max_length=5000)
    reminders: list[ReminderRule] | None = Field(None, max_length=20)
    recurrence_weeks: int | None = Field(None, ge=1, le=520)
    validity_months: int | None = Field(None, ge=1, le=600)


class Assignees(Schema):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[Id] = Field([], max_length=200_000)
    group_ids: list[Id] = Field([], max_length=1000)
    departments: list[str] = Field([], max_length=1000)
    sites: list[str] = Field([], max_length=1000)
    regions: list[str] = Field([], max_length=1000)
    everyone: bool = False


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    targets: list[TargetIn] = Field(..., min_length=1, max_length=50)
    assignees: Assignees
    due_date: dt.date | None = None
    due_in_days: int | None = Field(None, ge=0, le=3650)
    priority: Priority = "medium"
    note: str = Field("", max_length=5000)
    reason: str = Field("", max_length=5000)
    reminders: list[ReminderRule] | None = Field(None, max_length=20)
    recurrence_weeks: int | None = Field(None, ge=1, le=520)
    validity_months: int | None = Field(None, ge=1, le=600)
    dry_run: bool = False


class BulkFailure(Schema):
    person_id: Id
    target: dict[str, Any]
    reason: str


class PreviewRow(Schema):
    person_id: Id
    name: str
    target: TargetOut
    action: Literal["create", "skip"]
    due_date: dt.date | None = None
    workload_minutes_30d: int
    overloaded: bool


class BulkOut(Schema):
    created: int
    skipped: int
    failed: list[BulkFailure]
    preview: list[PreviewRow] | None = None
    operation_id: int | None = None


class AssignmentPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    due_date: dt.date | None = None
    priority: Priority | None = None
    note: str | None = Field(None, max_length=5000)
    reminders: list[ReminderRule] | None = Field(None, max_length=20)
    reason: str | None = Field(None, max_length=5000)


class AssignmentFilters(ListParams):
    person_id: Id | None = None
    status: list[StatusName] | None = None
    target_type: TargetType | None = None
    target_id: Id | None = None
    department: str | None = Field(None, max_length=200)
    manager_id: Id | None = None
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    overdue: bool | None = None


class AudienceIO(Schema):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[Id] = Field([], max_length=200_000)
    group_ids: list[Id] = Field([], max_length=1000)
    departments: list[str] = Field([], max_length=1000)
    sites: list[str] = Field([], max_length=1000)
    regions: list[str] = Field([], max_length=1000)
    everyone: bool = False
    new_starters: bool = False


class RuleItemIO(Schema):
    model_config = ConfigDict(extra="forbid")

    target: TargetIn
    visibility: Literal["required", "optional", "hidden"] = "required"
    validity_months: int | None = Field(None, ge=1, le=600)


class RuleItemOut(Schema):
    target: TargetOut
    visibility: str
    validity_months: int | None


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=200)
    active: bool = True
    audience: AudienceIO
    items: list[RuleItemIO] = Field(..., min_length=1, max_length=50)
    due_in_days: int | None = Field(None, ge=0, le=3650)
    due_date: dt.date | None = None
    due_from: Literal["assignment", "hire_date"] = "assignment"
    recurrence_weeks: int | None = Field(None, ge=1, le=520)
    priority: Priority = "medium"
    note: str = Field("", max_length=5000)
    reminders: list[ReminderRule] | None = Field(None, max_length=20)
    certificate: bool = False


class RulePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    active: bool | None = None
    audience: AudienceIO | None = None
    items: list[RuleItemIO] | None = Field(None, min_length=1, max_length=50)
    due_in_days: int | None = Field(None, ge=0, le=3650)
    due_date: dt.date | None = None
    due_from: Literal["assignment", "hire_date"] | None = None
    recurrence_weeks: int | None = Field(None, ge=1, le=520)
    priority: Priority | None = None
    note: str | None = Field(None, max_length=5000)
    reminders: list[ReminderRule] | None = Field(None, max_length=20)
    certificate: bool | None = None
    timing_policy: Literal["keep", "extend", "recompute"] = "keep"


class RuleOut(Schema):
    id: int
    name: str
    active: bool
    audience: dict[str, Any]
    items: list[RuleItemOut]
    due_in_days: int | None
    due_date: dt.date | None
    due_from: str
    recurrence_weeks: int | None
    priority: str
    note: str
    reminders: list[dict[str, Any]] | None
    certificate: bool
    applied: dict[str, int] | None = None


class RuleList(Schema):
    count: int
    items: list[RuleOut]


class PreviewChange(Schema):
    person_id: int
    name: str
    target: dict[str, Any]
    due_date: dt.date | None
    old_due_date: dt.date | None = None


class RulePreviewOut(Schema):
    add: list[PreviewChange]
    remove: list[PreviewChange]
    due_changes: list[PreviewChange]


class ProgressIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person_id: Id | None = None
    email: str | None = Field(None, max_length=254)
    course_id: Id | None = None
    course_code: str | None = Field(None, max_length=64)
    progress: int | None = Field(None, ge=0, le=100)
    completed_at: dt.datetime | None = None
    score: float | None = Field(None, ge=-1e9, le=1e9, allow_inf_nan=False)


class ProgressOut(Schema):
    person_id: int
    course_id: int
    progress: int
    completion_id: int | None
    assignments_updated: int


class AuditOut(Schema):
    id: int
    actor_id: int | None = Field(..., description="The person who made the change; null when the system did.")
    actor_label: str = Field(..., description="Which system actor, when actor_id is null (e.g. a rule's name).")
    action: str
    object_type: str
    object_id: int | None
    before: Any
    after: Any
    reason: str
    at: dt.datetime


class AuditList(Schema):
    count: int
    items: list[AuditOut]


class AuditFilters(ListParams):
    object_type: str | None = Field(None, max_length=40)
    object_id: Id | None = None
    action: str | None = Field(None, max_length=60)
