"""What the assignment and rule services take: built by the API schemas and by the forms alike.

Types are checked here; the rules (bounds, the catalog, who may assign to whom) stay in the services,
which name the field at fault. Reminder plans stay the JSON that is stored: `domain.validate_reminder_plan`
is their one validator, shared with the tenant's default plan.
"""

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from duecourse.assignments.priorities import DEFAULT_PRIORITY, Priority
from duecourse.core.inputs import ServiceInput

TargetType = Literal["course", "path", "skill"]
Visibility = Literal["required", "optional", "hidden"]
DueFrom = Literal["assignment", "hire_date"]
TimingPolicy = Literal["keep", "extend", "recompute"]


class TargetRef(ServiceInput):
    type: TargetType
    id: int


class Audience(ServiceInput):
    """Whom a bulk call assigns to: any mix of people, groups, org units (by name) or everyone."""

    person_ids: list[int] = Field(default_factory=list)
    group_ids: list[int] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    everyone: bool = False


class BulkAudience(Audience):
    """A bulk call's assignees: an audience, and people named by email (unknown ones fail alone)."""

    emails: list[str] = Field(default_factory=list)


class RuleAudience(Audience):
    """A rule's audience; new starters are the people hired since the rule started naming them."""

    new_starters: bool = False


class AssignmentTerms(ServiceInput):
    """The timing and fields every new assignment carries, single or bulk."""

    due_date: dt.date | None = None
    due_in_days: int | None = None
    priority: Priority = Priority(DEFAULT_PRIORITY)
    note: str = ""
    reason: str = ""
    reminders: list[dict[str, Any]] | None = None
    recurrence_weeks: int | None = None
    validity_months: int | None = None
    # A completed or expired assignment re-opens as a new cycle; ignored on an open one.
    retake: bool = False


class AssignmentInput(AssignmentTerms):
    """One target for one person (`assignment_create`)."""

    person_id: int
    target: TargetRef


class BulkAssignInput(AssignmentTerms):
    """Targets for an audience (`bulk_assign`); a dry run previews without writing."""

    targets: list[TargetRef]
    assignees: BulkAudience
    dry_run: bool = False


class AssignmentChange(ServiceInput):
    """An assignment's edit (`assignment_update`): only the fields given change; a due date of None clears it."""

    due_date: dt.date | None = None
    priority: Priority | None = None
    note: str | None = None
    reminders: list[dict[str, Any]] | None = None
    reason: str | None = None


class ExemptionInput(ServiceInput):
    """An exemption (`exemption_grant`): why, and the last exempt day (None: until it is ended)."""

    reason: str
    until: dt.date | None = None


class RuleItemInput(ServiceInput):
    target: TargetRef
    visibility: Visibility = "required"
    validity_months: int | None = None


class RuleInput(ServiceInput):
    """A rule to create (every field it needs) or the fields of one to change (only those given change)."""

    name: str | None = None
    active: bool | None = None
    audience: RuleAudience | None = None
    items: list[RuleItemInput] | None = None
    due_in_days: int | None = None
    due_date: dt.date | None = None
    due_from: DueFrom | None = None
    recurrence_weeks: int | None = None
    priority: Priority | None = None
    note: str | None = None
    reminders: list[dict[str, Any]] | None = None
    certificate: bool | None = None
    recert_window_days: int | None = None
