from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.assignments.domain import Recipient
from duecourse.assignments.forecast import MAX_LEARNING_MINUTES_PER_DAY, MIN_LEARNING_MINUTES_PER_DAY
from duecourse.assignments.limits import MAX_RECERT_WINDOW_DAYS, MAX_REMINDER_RULES
from duecourse.assignments.schemas import ReminderRule
from duecourse.policy.escalation import MAX_ESCALATION_DAYS, MAX_ESCALATION_TIERS
from duecourse.policy.inputs import TenantPolicyInput
from duecourse.policy.services import MAX_OVERLOAD_MINUTES

PolicyKey = Literal[
    "overload_minutes_30d",
    "default_reminder_plan",
    "escalation",
    "recert_window_days",
    "learning_minutes_per_day",
    "timezone",
    "managers_assign_down_the_line",
]


class EscalationTier(Schema):
    model_config = ConfigDict(extra="forbid")

    after_days: int = Field(..., ge=0, le=MAX_ESCALATION_DAYS, description="Days overdue at which this tier acts.")
    to: Recipient | None = Field(None, description="Who is told; null for a tier that only flags.")
    flag: bool = Field(False, description="Set the compliance flag on the assignment.")


class TenantSettingsOut(Schema):
    overload_minutes_30d: int
    default_reminder_plan: list[ReminderRule]
    escalation: list[EscalationTier]
    recert_window_days: int = Field(
        ..., description="Days before a completion expires that its assignment re-opens (rules may set their own)."
    )
    learning_minutes_per_day: int = Field(
        ..., description="Minutes a day a person is expected to learn: the forecast weighs estimates against it."
    )
    timezone: str = Field(
        ..., description="The organisation's IANA time zone: whose calendar day the daily compliance snapshot is for."
    )
    managers_assign_down_the_line: bool = Field(
        ..., description="Managers may assign to, remind and extend for indirect reports too (default false)."
    )
    defaults: list[PolicyKey] = Field(..., description="The settings not set by the tenant, so at their default.")


class TenantSettingsPatch(Schema):
    """Only the keys sent change; null puts a setting back to its default."""

    model_config = ConfigDict(extra="forbid")

    overload_minutes_30d: int | None = Field(None, ge=1, le=MAX_OVERLOAD_MINUTES)
    default_reminder_plan: list[ReminderRule] | None = Field(None, max_length=MAX_REMINDER_RULES)
    escalation: list[EscalationTier] | None = Field(None, max_length=MAX_ESCALATION_TIERS)
    recert_window_days: int | None = Field(None, ge=0, le=MAX_RECERT_WINDOW_DAYS)
    learning_minutes_per_day: int | None = Field(None, ge=MIN_LEARNING_MINUTES_PER_DAY, le=MAX_LEARNING_MINUTES_PER_DAY)
    timezone: str | None = Field(
        None, min_length=1, max_length=64, description="An IANA time zone, e.g. Europe/London."
    )
    managers_assign_down_the_line: bool | None = Field(
        None, description="true: managers act for their whole sub-tree; false or null: direct reports only."
    )

    def to_input(self) -> TenantPolicyInput:
        return TenantPolicyInput.model_validate(self.model_dump(exclude_unset=True, mode="json"))
