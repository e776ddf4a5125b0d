"""The notification-settings form: email on or off per category."""

from django import forms

from duecourse.notifications.inputs import PreferencesInput

CATEGORY_TEXT = {
    "assigned": ("New training", "When training is assigned to you, or is due again."),
    "reminders": ("Reminders", "Before a due date, when something is overdue or about to expire."),
    "changes": ("Changes", "When a due date changes or training is withdrawn."),
    "certificates": ("Certificates", "When a certificate is issued or is no longer valid."),
}


class PreferencesForm(forms.Form):
    email_assigned = forms.BooleanField(required=False, label=CATEGORY_TEXT["assigned"][0])
    email_reminders = forms.BooleanField(required=False, label=CATEGORY_TEXT["reminders"][0])
    email_changes = forms.BooleanField(required=False, label=CATEGORY_TEXT["changes"][0])
    email_certificates = forms.BooleanField(required=False, label=CATEGORY_TEXT["certificates"][0])
    manager_daily_digest = forms.BooleanField(
        required=False,
        label="Team updates as one daily digest",
        help_text="Reminders and overdue notices about your direct reports arrive once a day instead of one by one.",
    )

    def __init__(self, *args, is_manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for key, (_, help_text) in CATEGORY_TEXT.items():
            self.fields[f"email_{key}"].help_text = help_text
        if not is_manager:
            del self.fields["manager_daily_digest"]

    @classmethod
    def initial_for(cls, pref) -> dict:
        return {name: getattr(pref, name) for name in cls.base_fields}

    def to_input(self) -> PreferencesInput:
        return PreferencesInput.model_validate(self.cleaned_data)
