from django import forms
from django.utils.translation import gettext_lazy as _

from duecourse.people.invitations import invitation_accept
from duecourse.people.models import Person


class AcceptInvitationForm(forms.Form):
    """Two passwords; the service applies the configured validators and names the field that failed."""

    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=_("At least 10 characters; not a common password, nor close to your name or email."),
    )
    password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def accept(self, token: str) -> Person:
        return invitation_accept(
            token=token,
            password=self.cleaned_data["password"],
            password_again=self.cleaned_data["password_again"],
        )


class InviteSelectionForm(forms.Form):
    person_ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, data):
        super().__init__(data)
        raw = data.getlist("person_ids") if hasattr(data, "getlist") else []
        choices = [(v, v) for v in raw if str(v).isdigit() and len(str(v)) < 19]
        self.fields["person_ids"].choices = choices  # type: ignore[attr-defined]
        self.fields["person_ids"].error_messages["required"] = _("Select the people to invite.")
