from django import forms

from duecourse.core.models import MAX_TENANT_NAME_LENGTH
from duecourse.people.limits import MAX_EMAIL_LENGTH


class LoginForm(forms.Form):
    email = forms.EmailField(
        max_length=MAX_EMAIL_LENGTH,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email", "placeholder": "you@company.com"}),
    )
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    organisation = forms.CharField(
        required=False,
        max_length=MAX_TENANT_NAME_LENGTH,
        label="Organisation (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        help_text="Only needed when your email is registered in several organisations.",
    )
