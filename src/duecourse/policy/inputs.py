"""What `tenant_policy_update` takes: built by the settings API schema and by the settings page alike."""

from typing import Any

from duecourse.core.inputs import ServiceInput


class TenantPolicyInput(ServiceInput):
    """The settings to change: only those given change, and None puts one back to its default.

    The reminder plan and the escalation tiers stay the JSON stored in `tenant.settings`; each has one
    validator that names the rule or tier at fault, for the API and the page alike.
    """

    overload_minutes_30d: int | None = None
    default_reminder_plan: list[dict[str, Any]] | None = None
    escalation: list[dict[str, Any]] | None = None
    recert_window_days: int | None = None
    learning_minutes_per_day: int | None = None
    timezone: str | None = None
    managers_assign_down_the_line: bool | None = None
