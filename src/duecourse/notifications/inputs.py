"""What `preferences_update` takes: built by the preferences API schema and by the settings form alike."""

from duecourse.core.inputs import ServiceInput


class PreferencesInput(ServiceInput):
    """The email switches to change; only those given change."""

    email_assigned: bool | None = None
    email_reminders: bool | None = None
    email_changes: bool | None = None
    email_certificates: bool | None = None
    manager_daily_digest: bool | None = None
    weekly_digest: bool | None = None
