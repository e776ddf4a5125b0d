from django import forms
from django.utils.translation import gettext_lazy as _

from duecourse.core.models import MAX_TENANT_NAME_LENGTH
from duecourse.people.inputs import SsoConnectionInput
from duecourse.people.limits import (
    MAX_CLAIM_NAME_LENGTH,
    MAX_CLIENT_ID_LENGTH,
    MAX_CLIENT_SECRET_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_ISSUER_LENGTH,
)


class SsoStartForm(forms.Form):
    """GET /login/sso/: whose organisation to sign in with (any field may be empty on a single-tenant install)."""

    email = forms.CharField(required=False, max_length=MAX_EMAIL_LENGTH)
    tenant = forms.CharField(required=False, max_length=MAX_TENANT_NAME_LENGTH)
    next = forms.CharField(required=False, max_length=2000)
    via = forms.CharField(required=False, max_length=10)  # "form": the login page's form (see views.start)


class SignInSettingsForm(forms.Form):
    """The "Sign-in" settings page. The service checks every rule; the form only carries the values."""

    enabled = forms.BooleanField(required=False, label=_("Sign in with your organisation (single sign-on)"))
    issuer = forms.CharField(
        required=False,
        max_length=MAX_ISSUER_LENGTH,
        label=_("Issuer URL"),
        help_text=_("As your provider shows it, e.g. https://login.microsoftonline.com/<tenant id>/v2.0"),
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://login.example.com/realms/acme"}),
    )
    client_id = forms.CharField(required=False, max_length=MAX_CLIENT_ID_LENGTH, label=_("Client ID"))
    client_secret = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_CLIENT_SECRET_LENGTH,
        label=_("Client secret"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    allowed_domains = forms.CharField(
        required=False,
        label=_("Allowed email domains"),
        help_text=_(
            "Separated by commas or spaces, e.g. acme.com, acme.co.uk. Empty: any address your provider confirms."
        ),
        widget=forms.TextInput(attrs={"placeholder": "acme.com"}),
    )
    sso_only = forms.BooleanField(required=False, label=_("SSO only: no duecourse passwords for your people"))
    create_people_on_first_login = forms.BooleanField(
        required=False, label=_("Add people who are not in duecourse yet when they first sign in")
    )
    claim_name = forms.CharField(required=False, max_length=MAX_CLAIM_NAME_LENGTH, label=_("Name claim"))
    claim_department = forms.CharField(required=False, max_length=MAX_CLAIM_NAME_LENGTH, label=_("Department claim"))
    claim_manager_email = forms.CharField(
        required=False, max_length=MAX_CLAIM_NAME_LENGTH, label=_("Manager email claim")
    )

    def to_input(self) -> SsoConnectionInput:
        data = self.cleaned_data
        return SsoConnectionInput(
            enabled=data["enabled"],
            issuer=data["issuer"],
            client_id=data["client_id"],
            client_secret=data["client_secret"] or None,
            allowed_domains=data["allowed_domains"],
            sso_only=data["sso_only"],
            create_people_on_first_login=data["create_people_on_first_login"],
            claim_name=data["claim_name"],
            claim_department=data["claim_department"],
            claim_manager_email=data["claim_manager_email"],
        )
