from django import forms


class LoginForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email", "placeholder": "you@company.com"}),
    )
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    organisation = forms.CharField(
        required=False,
        max_length=200,
        label="Organisation (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        help_text="Only needed when your email is registered in several organisations.",
    )
