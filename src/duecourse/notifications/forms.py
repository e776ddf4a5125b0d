"""The notification-settings form (email on or off per category) and the email-template form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from duecourse.notifications.email_templates import Draft
from duecourse.notifications.inputs import PreferencesInput
from duecourse.notifications.template_kinds import FIELD_LABELS, MAX_SUBJECT_LENGTH

CATEGORY_TEXT = {
    "assigned": (_("New training"), _("When training is assigned to you, or is due again.")),
    "reminders": (_("Reminders"), _("Before a due date, when something is overdue or about to expire.")),
    "changes": (_("Changes"), _("When a due date changes or training is withdrawn.")),
    "certificates": (_("Certificates"), _("When a certificate is issued or is no longer valid.")),
}
# The switches the page draws apart from "Email me about" (each in its own fieldset).
DIGEST_FIELDS = ("weekly_digest", "manager_daily_digest")


class PreferencesForm(forms.Form):
    email_assigned = forms.BooleanField(required=False, label=CATEGORY_TEXT["assigned"][0])
    email_reminders = forms.BooleanField(required=False, label=CATEGORY_TEXT["reminders"][0])
    email_changes = forms.BooleanField(required=False, label=CATEGORY_TEXT["changes"][0])
    email_certificates = forms.BooleanField(required=False, label=CATEGORY_TEXT["certificates"][0])
    weekly_digest = forms.BooleanField(
        required=False,
        label=_("A weekly digest of what is due"),
        help_text=_(
            "Every Monday morning, one email listing your open training that is overdue or due in the next "
            "two weeks. None when nothing is."
        ),
    )
    manager_daily_digest = forms.BooleanField(
        required=False,
        label=_("Team updates as one daily digest"),
        help_text=_("Reminders and overdue notices about your direct reports arrive once a day instead of one by one."),
    )

    def __init__(self, *args, is_manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for key, (_label, help_text) in CATEGORY_TEXT.items():
            self.fields[f"email_{key}"].help_text = help_text
        if not is_manager:
            del self.fields["manager_daily_digest"]

    @classmethod
    def initial_for(cls, pref) -> dict:
        return {name: getattr(pref, name) for name in cls.base_fields}

    def to_input(self) -> PreferencesInput:
        return PreferencesInput.model_validate(self.cleaned_data)

    def category_fields(self) -> list:
        """The per-category switches ("Email me about"), without the digests."""
        return [field for field in self if field.name not in DIGEST_FIELDS]


class EmailTemplateForm(forms.Form):
    """One kind's email in one language; the service compiles and renders it before it is saved."""

    subject = forms.CharField(label=FIELD_LABELS["subject"], max_length=MAX_SUBJECT_LENGTH)
    body_text = forms.CharField(
        label=FIELD_LABELS["body_text"],
        widget=forms.Textarea(attrs={"rows": 14, "class": "code"}),
        strip=False,
        help_text=_("Every email has it; mail programs that show no HTML show this."),
    )
    body_html = forms.CharField(
        label=FIELD_LABELS["body_html"],
        widget=forms.Textarea(attrs={"rows": 14, "class": "code"}),
        required=False,
        strip=False,
        help_text=_("Optional. Values are escaped for HTML."),
    )
    sample = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(subject=data["subject"], body_text=data["body_text"], body_html=data.get("body_html") or "")
