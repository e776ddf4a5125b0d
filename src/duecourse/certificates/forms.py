"""The certificates page's filters, the revoke form and the logo upload: browser input shaped for the services."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from duecourse.certificates.domain import CertificateStatus
from duecourse.certificates.inputs import LogoInput, RevokeInput
from duecourse.certificates.limits import MAX_LOGO_BYTES, MAX_REVOKE_REASON_LENGTH, MAX_SEARCH_LENGTH

PAGE_SIZE = 50
STATUS_CHOICES = [("", _("Any status")), *CertificateStatus.choices]


class CertificateFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, email or number"), "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label=_("Status"))
    rule = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Training configuration"))
    person = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)

    def __init__(self, data, *, rules: list[tuple[int, str]]):
        super().__init__(data)
        choices = [("", _("Any configuration"))] + [(str(pk), name) for pk, name in rules]
        cast(forms.ChoiceField, self.fields["rule"]).choices = choices

    def filters(self) -> dict:
        """The valid filters as `selectors.certificate_list` keywords; an invalid one is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": (data.get("q") or "").strip() or None,
            "status": data.get("status") or None,
            "rule_id": data.get("rule"),
            "person_id": data.get("person"),
        }


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REVOKE_REASON_LENGTH,
        label=_("Reason"),
        help_text=_("Recorded in the audit log and told to the holder."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def to_input(self) -> RevokeInput:
        return RevokeInput(reason=self.cleaned_data["reason"])


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo image"),
        help_text=_("PNG or JPEG, at most 1 MB and 4000 × 4000 pixels."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )

    def to_input(self) -> LogoInput:
        upload = self.cleaned_data["logo"]
        # Never more than one byte over the limit into memory: the service refuses what is too big.
        return LogoInput(content=upload.read(MAX_LOGO_BYTES + 1), filename=upload.name or "")
