"""The notification-settings form (email on or off per category) and the email-template form."""

from django import forms

from duecourse.notifications.email_templates import Draft
from duecourse.notifications.inputs import PreferencesInput
from duecourse.notifications.template_kinds import FIELD_LABELS, MAX_SUBJECT_LENGTH

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


class EmailTemplateForm(forms.Form):
    """One kind's email in one language; the service compiles and renders it before it is saved."""

    subject = forms.CharField(label=FIELD_LABELS["subject"], max_length=MAX_SUBJECT_LENGTH)
    body_text = forms.CharField(
        label=FIELD_LABELS["body_text"],
        widget=forms.Textarea(attrs={"rows": 14, "class": "code"}),
        strip=False,
        help_text="Every email has it; mail programs that show no HTML show this.",
    )
    body_html = forms.CharField(
        label=FIELD_LABELS["body_html"],
        widget=forms.Textarea(attrs={"rows": 14, "class": "code"}),
        required=False,
        strip=False,
        help_text="Optional. Values are escaped for HTML.",
    )
    sample = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(subject=data["subject"], body_text=data["body_text"], body_html=data.get("body_html") or "")
