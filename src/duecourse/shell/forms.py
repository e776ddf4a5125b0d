from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duecourse.core.models import MAX_TENANT_NAME_LENGTH
from duecourse.people.limits import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _organisation_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=MAX_TENANT_NAME_LENGTH,
        label=gettext_lazy("Organisation (optional)"),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        help_text=gettext_lazy("Only needed when your email is registered in several organisations."),
    )


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=MAX_EMAIL_LENGTH,
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "placeholder": gettext_lazy("you@company.com")}
        ),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    organisation = _organisation_field()


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=MAX_EMAIL_LENGTH,
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "placeholder": gettext_lazy("you@company.com")}
        ),
    )
    organisation = _organisation_field()


def _new_password_field(label: "StrOrPromise") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class NewPasswordForm(forms.Form):
    """A new password, typed twice; the policy is checked against the person by the service."""

    new_password = _new_password_field(gettext_lazy("New password"))
    new_password_again = _new_password_field(gettext_lazy("New password again"))

    def clean(self):
        data = super().clean() or {}
        first, again = data.get("new_password"), data.get("new_password_again")
        if first and again and first != again:
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class ChangePasswordForm(NewPasswordForm):
    current_password = forms.CharField(
        label=gettext_lazy("Current password"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["current_password", "new_password", "new_password_again"]
