import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.assignments.domain import RECIPIENTS, Recipient
from duecourse.assignments.escalation import MAX_ESCALATION_TIERS
from duecourse.assignments.inputs import (
    AssignmentChange,
    AssignmentInput,
    BulkAssignInput,
    DueFrom,
    ExemptionInput,
    RuleInput,
    TargetType,
    TimingPolicy,
    Visibility,
)
from duecourse.assignments.limits import (
    FULL_PROGRESS,
    MAX_ASSIGNEE_EMAILS,
    MAX_ASSIGNEE_IDS,
    MAX_AUDIENCE_ENTRIES,
    MAX_DUE_DAYS,
    MAX_FILTER_TEXT_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_RECERT_WINDOW_DAYS,
    MAX_RECURRENCE_WEEKS,
    MAX_REMINDER_DAYS,
    MAX_REMINDER_RULES,
    MAX_RULE_ITEMS,
    MAX_RULE_NAME_LENGTH,
    MAX_TARGETS,
    MAX_TEMPLATE_NAME_LENGTH,
    MAX_VALIDITY_MONTHS,
)
from duecourse.assignments.priorities import DEFAULT_PRIORITY, Priority
from duecourse.assignments.selectors import AssignmentQuery
from duecourse.assignments.status import AssignmentStatus
from duecourse.catalog.limits import MAX_CODE_LENGTH
from duecourse.core.api import Id, ListParams
from duecourse.core.errors import ValidationFailed
from duecourse.people.limits import MAX_EMAIL_LENGTH


class CalendarOut(Schema):
    url: str = Field(..., description="The secret iCalendar feed URL (text/calendar): subscribe to it in a calendar.")


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: TargetType
    id: Id
    # What the API answers beside type and id; accepted and ignored, so an item read from the API can be
    # sent back as it is (the catalog's own title is always the one shown).
    title: str | None = Field(
        None, max_length=1000, exclude=True, description="Ignored on input: the catalog's title is used."
    )


class TargetOut(Schema):
    type: str
    id: int
    title: str


class ReminderRule(Schema):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(..., ge=-MAX_REMINDER_DAYS, le=MAX_REMINDER_DAYS)
    recipients: list[Recipient] = Field([Recipient.LEARNER], min_length=1, max_length=len(RECIPIENTS))
    template: str | None = Field(None, max_length=MAX_TEMPLATE_NAME_LENGTH)


def _reminders_out(reminders: list[ReminderRule] | None) -> list[dict[str, Any]] | None:
    """A reminder plan as stored: a rule without a template has no template key."""
    return None if reminders is None else [rule.model_dump(exclude_none=True) for rule in reminders]


def _with_plan(fields: dict[str, Any], reminders: list[ReminderRule] | None) -> dict[str, Any]:
    if "reminders" in fields:
        fields["reminders"] = _reminders_out(reminders)
    return fields


class SourceOut(Schema):
    kind: str
    label: str
    assigned_by_id: int | None
    rule_id: int | None
    due_date: dt.date | None = None
    note: str = ""


class AssignmentOut(Schema):
    id: int
    person_id: int
    target: TargetOut
    status: AssignmentStatus
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
    escalation_tier: int = Field(
        0, ge=0, description="0 = none, else the 1-based tier of the tenant's escalation policy the item has reached"
    )
    at_risk: bool = Field(False, description="at the person's pace it will not be finished by its due date")
    risk_reason: str | None = Field(None, description="why it is at risk, in words; null when it is not")
    why: str = ""
    due_date_from: str = ""


class AssignmentList(Schema):
    count: int
    items: list[AssignmentOut]


class AssignmentTermsIn(Schema):
    """What a single and a bulk assignment both ask for (the terms of `inputs.AssignmentTerms`)."""

    model_config = ConfigDict(extra="forbid")

    due_date: dt.date | None = None
    due_in_days: int | None = Field(None, ge=0, le=MAX_DUE_DAYS)
    priority: Priority = DEFAULT_PRIORITY
    note: str = Field("", max_length=MAX_NOTE_LENGTH)
    reason: str = Field("", max_length=MAX_REASON_LENGTH)
    reminders: list[ReminderRule] | None = Field(None, max_length=MAX_REMINDER_RULES)
    recurrence_weeks: int | None = Field(None, ge=1, le=MAX_RECURRENCE_WEEKS)
    validity_months: int | None = Field(None, ge=1, le=MAX_VALIDITY_MONTHS)
    retake: bool = False


class AssignmentIn(AssignmentTermsIn):
    person_id: Id
    target: TargetIn

    def to_input(self) -> AssignmentInput:
        return AssignmentInput.model_validate(_with_plan(self.model_dump(exclude_unset=True), self.reminders))


class Assignees(Schema):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[Id] = Field([], max_length=MAX_ASSIGNEE_IDS)
    group_ids: list[Id] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    departments: list[str] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    sites: list[str] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    regions: list[str] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    everyone: bool = False
    emails: list[str] = Field(
        [],
        max_length=MAX_ASSIGNEE_EMAILS,
        description="People by email, compared case-insensitively; unknown or deactivated ones are failed rows.",
    )


class BulkIn(AssignmentTermsIn):
    targets: list[TargetIn] = Field(..., min_length=1, max_length=MAX_TARGETS)
    assignees: Assignees
    dry_run: bool = False

    def to_input(self) -> BulkAssignInput:
        return BulkAssignInput.model_validate(_with_plan(self.model_dump(exclude_unset=False), self.reminders))


class BulkFailure(Schema):
    person_id: Id | None = None
    email: str | None = None
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
    failed_count: int
    failed_by_reason: dict[str, int]
    preview: list[PreviewRow] | None = None
    preview_count: int | None = None
    operation_id: int | None = None


class AssignmentPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    due_date: dt.date | None = None
    priority: Priority | None = None
    note: str | None = Field(None, max_length=MAX_NOTE_LENGTH)
    reminders: list[ReminderRule] | None = Field(None, max_length=MAX_REMINDER_RULES)
    reason: str | None = Field(None, max_length=MAX_REASON_LENGTH)

    def to_input(self) -> AssignmentChange:
        return AssignmentChange.model_validate(_with_plan(self.model_dump(exclude_unset=True), self.reminders))


class ExemptionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., max_length=MAX_REASON_LENGTH, description="Why the person is exempt (audited).")
    until: dt.date | None = Field(None, description="The last exempt day; afterwards the due date applies again.")

    def to_input(self) -> ExemptionInput:
        return ExemptionInput.model_validate(self.model_dump())


SourceKind = Literal["individual", "group", "org_unit", "everyone", "new_starter", "rule"]


class AssignmentFilterIn(Schema):
    """The list's filters: `GET /api/v1/assignments`' query and `POST /api/v1/assignments/actions`' `filter`."""

    model_config = ConfigDict(extra="forbid")

    person_id: Id | None = None
    status: list[AssignmentStatus] | None = Field(None, max_length=len(AssignmentStatus))
    target_type: TargetType | None = None
    target_id: Id | None = None
    department: str | None = Field(None, max_length=MAX_FILTER_TEXT_LENGTH)
    site: str | None = Field(None, max_length=MAX_FILTER_TEXT_LENGTH)
    region: str | None = Field(None, max_length=MAX_FILTER_TEXT_LENGTH)
    group_id: Id | None = None
    manager_id: Id | None = None
    scope: Literal["direct", "subtree"] = Field(
        "direct", description="with `manager_id`: `subtree` takes indirect reports too"
    )
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    overdue: bool | None = None
    escalation_tier: int | None = Field(
        None, ge=0, le=MAX_ESCALATION_TIERS, description="0 = none, else the 1-based tier of the escalation policy"
    )
    compliance_flag: bool | None = None
    at_risk: bool | None = Field(None, description="the forecast: true, at risk; false, not at risk")
    source_kind: SourceKind | None = None
    rule_id: Id | None = None
    assigned_by_id: Id | None = None

    def to_query(self) -> AssignmentQuery:
        if self.scope == "subtree" and self.manager_id is None:
            raise ValidationFailed.on("scope", _("subtree needs manager_id (whose reports, at any depth)"))
        return AssignmentQuery(
            person_id=self.person_id,
            statuses=[str(s) for s in self.status] if self.status else None,
            target_type=self.target_type,
            target_id=self.target_id,
            department=self.department,
            site=self.site,
            region=self.region,
            group_id=self.group_id,
            manager_id=self.manager_id,
            scope=self.scope,
            due_before=self.due_before,
            due_after=self.due_after,
            overdue=self.overdue,
            escalation_tier=self.escalation_tier,
            compliance_flag=self.compliance_flag,
            at_risk=self.at_risk,
            source_kind=self.source_kind,
            rule_id=self.rule_id,
            assigned_by_id=self.assigned_by_id,
        )


class AssignmentFilters(ListParams, AssignmentFilterIn):
    model_config = ConfigDict(extra="ignore")


class AudienceIO(Schema):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[Id] = Field([], max_length=MAX_ASSIGNEE_IDS)
    group_ids: list[Id] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    departments: list[str] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    sites: list[str] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    regions: list[str] = Field([], max_length=MAX_AUDIENCE_ENTRIES)
    everyone: bool = False
    new_starters: bool = False


class RuleItemIO(Schema):
    model_config = ConfigDict(extra="forbid")

    target: TargetIn
    visibility: Visibility = "required"
    validity_months: int | None = Field(None, ge=1, le=MAX_VALIDITY_MONTHS)


class RuleItemOut(Schema):
    target: TargetOut
    visibility: str
    validity_months: int | None


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=MAX_RULE_NAME_LENGTH)
    active: bool = True
    audience: AudienceIO
    items: list[RuleItemIO] = Field(..., min_length=1, max_length=MAX_RULE_ITEMS)
    due_in_days: int | None = Field(None, ge=0, le=MAX_DUE_DAYS)
    due_date: dt.date | None = None
    due_from: DueFrom = "assignment"
    recurrence_weeks: int | None = Field(None, ge=1, le=MAX_RECURRENCE_WEEKS)
    priority: Priority = DEFAULT_PRIORITY
    note: str = Field("", max_length=MAX_NOTE_LENGTH)
    reminders: list[ReminderRule] | None = Field(None, max_length=MAX_REMINDER_RULES)
    certificate: bool = False
    recert_window_days: int | None = Field(
        None,
        ge=0,
        le=MAX_RECERT_WINDOW_DAYS,
        description="days before expiry a completion re-opens; null: tenant default",
    )

    def to_input(self) -> RuleInput:
        return RuleInput.model_validate(_with_plan(self.model_dump(exclude_unset=False), self.reminders))


class RulePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=MAX_RULE_NAME_LENGTH)
    active: bool | None = None
    audience: AudienceIO | None = None
    items: list[RuleItemIO] | None = Field(None, min_length=1, max_length=MAX_RULE_ITEMS)
    due_in_days: int | None = Field(None, ge=0, le=MAX_DUE_DAYS)
    due_date: dt.date | None = None
    due_from: DueFrom | None = None
    recurrence_weeks: int | None = Field(None, ge=1, le=MAX_RECURRENCE_WEEKS)
    priority: Priority | None = None
    note: str | None = Field(None, max_length=MAX_NOTE_LENGTH)
    reminders: list[ReminderRule] | None = Field(None, max_length=MAX_REMINDER_RULES)
    certificate: bool | None = None
    recert_window_days: int | None = Field(None, ge=0, le=MAX_RECERT_WINDOW_DAYS)
    timing_policy: TimingPolicy = "keep"

    def to_input(self) -> RuleInput:
        """The rule's fields given (the timing policy is the service's own argument)."""
        return RuleInput.model_validate(
            _with_plan(self.model_dump(exclude_unset=True, exclude={"timing_policy"}), self.reminders)
        )


class RuleOut(Schema):
    id: int
    name: str
    active: bool
    audience: dict[str, Any]
    inactive_person_ids: list[int] = Field(
        default_factory=list, description="people the audience names who are deactivated (it reaches them no more)"
    )
    items: list[RuleItemOut]
    due_in_days: int | None
    due_date: dt.date | None
    due_from: str
    recurrence_weeks: int | None
    priority: str
    note: str
    reminders: list[dict[str, Any]] | None
    certificate: bool
    recert_window_days: int | None
    deleted_at: dt.datetime | None = Field(
        None, description="when it was deleted (it then stays inactive); null while active or paused"
    )
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
    email: str | None = Field(None, max_length=MAX_EMAIL_LENGTH)
    course_id: Id | None = None
    course_code: str | None = Field(None, max_length=MAX_CODE_LENGTH)
    progress: int | None = Field(None, ge=0, le=FULL_PROGRESS)
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
