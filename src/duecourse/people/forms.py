"""Web forms for people. They only shape browser input: every rule is checked by the services."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from duecourse.core.languages import DEFAULT_LANGUAGE, LANGUAGES, language_for_locale
from duecourse.people import roles
from duecourse.people.inputs import PersonInput
from duecourse.people.limits import MAX_IMPORT_FILE_BYTES, MAX_SEARCH_LENGTH, MAX_TOKEN_NAME_LENGTH

ACTIVE_CHOICES = [("true", "Active"), ("false", "Deactivated"), ("", "Everyone")]
ROLE_CHOICES = [("", "Any role")] + [(role, roles.ROLE_LABELS[role]) for role in roles.FILTER_ROLES]
PAGE_SIZE = 25


class PersonFilterForm(forms.Form):
    """The directory's search and filters; parameter names match the API so the CSV export reuses them."""

    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, email, employee id or job title", "autocomplete": "off"}
        ),
    )
    department = forms.ChoiceField(required=False)
    site = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)
    manager = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    active = forms.ChoiceField(required=False, choices=ACTIVE_CHOICES, label="Status")
    role = forms.ChoiceField(required=False, choices=ROLE_CHOICES)

    def __init__(self, data, *, org_units: dict[str, list[str]], managers: list[tuple[int, str]]):
        data = data.copy()
        if "active" not in data:
            data["active"] = "true"
        super().__init__(data)
        for kind, names in org_units.items():
            cast(forms.ChoiceField, self.fields[kind]).choices = [("", f"Any {kind}")] + [(n, n) for n in names]
        manager_choices = [("", "Any manager")] + [(str(pk), name) for pk, name in managers]
        cast(forms.ChoiceField, self.fields["manager"]).choices = manager_choices

    def filters(self) -> dict:
        """The valid filters as `person_list` keywords; an invalid one is ignored, not an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active = data.get("active")
        return {
            "q": (data.get("q") or "").strip() or None,
            "department": data.get("department") or None,
            "site": data.get("site") or None,
            "region": data.get("region") or None,
            "manager_id": data.get("manager"),
            "active": None if not active else active == "true",
            "role": data.get("role") or None,
        }

    def api_params(self) -> dict:
        """The same filters as query parameters of GET /api/v1/people."""
        params = {k: v for k, v in self.filters().items() if v is not None}
        if "manager_id" in params:
            params["manager"] = params.pop("manager_id")
        if "active" in params:
            params["active"] = "true" if params["active"] else "false"
        return params


def _text(label: str, **attrs) -> forms.CharField:
    return forms.CharField(required=False, label=label, widget=forms.TextInput(attrs=attrs))


class PersonForm(forms.Form):
    """An admin's edit of a person; blank optional fields clear the value."""

    name = _text("Full name", required=True, autocomplete="off")
    email = forms.CharField(
        required=False, label="Email", widget=forms.EmailInput(attrs={"required": True, "autocomplete": "off"})
    )
    external_id = _text("Employee id", autocomplete="off")
    job_title = _text("Job title")
    department = _text("Department", list="dl-department")
    site = _text("Site", list="dl-site")
    region = _text("Region", list="dl-region")
    manager_email = forms.CharField(
        required=False,
        label="Manager’s email",
        help_text="Leave empty for nobody.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    hire_date = forms.CharField(required=False, label="Hire date", widget=forms.DateInput(attrs={"type": "date"}))
    timezone = _text("Time zone", list="dl-timezone", placeholder="Europe/London")
    locale = _text("Locale", placeholder="en-GB")
    roles = forms.MultipleChoiceField(
        required=False,
        choices=[(role, roles.ROLE_LABELS[role]) for role in roles.STORED_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Manager comes from having direct reports; everyone is a learner.",
    )

    # The service names the manager by id when it checks for cycles; the form shows it by email.
    SERVICE_FIELD_MAP = {"manager_id": "manager_email"}

    @classmethod
    def initial_for(cls, person) -> dict:
        return {
            "name": person.name,
            "email": person.email,
            "external_id": person.external_id or "",
            "job_title": person.job_title,
            "department": person.department.name if person.department_id else "",
            "site": person.site.name if person.site_id else "",
            "region": person.region.name if person.region_id else "",
            "manager_email": person.manager.email if person.manager_id else "",
            "hire_date": person.hire_date.isoformat() if person.hire_date else "",
            "timezone": person.timezone,
            "locale": person.locale,
            "roles": roles.stored_roles(person),
        }

    NOT_INPUT: tuple[str, ...] = ()  # form fields that are choices of the page, not the person's data

    def to_input(self) -> PersonInput:
        """The input for `person_update`: every field, blanks as None, the manager by email (or none)."""
        data = {
            key: (value.strip() or None) if isinstance(value, str) else value
            for key, value in self.cleaned_data.items()
            if key not in self.NOT_INPUT
        }
        manager_email = data.pop("manager_email")
        if manager_email:
            data["manager_email"] = manager_email
        else:
            data["manager_id"] = None
        return PersonInput.model_validate(data)


class PersonCreateForm(PersonForm):
    """An admin's new person: the edit's fields plus whether they start active (the API's `active`)."""

    active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Untick to add someone who has not started yet."
    )
    send_invitation = forms.BooleanField(
        required=False,
        label="Send an invitation",
        help_text="An email with a link to set a password, valid 7 days (not for someone added inactive).",
    )
    NOT_INPUT = ("send_invitation",)

    def to_input(self) -> PersonInput:
        """The input for `person_create`; without a manager the person simply has none."""
        data = super().to_input().given()
        if data.get("manager_id", 0) is None:
            del data["manager_id"]
        return PersonInput.model_validate(data)


class ImportUploadForm(forms.Form):
    """The CSV to dry-run; the columns are the API import's (`people.imports.parse_people_csv` reads it)."""

    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, the first line names the columns; see “Columns” below.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    deactivate_missing = forms.BooleanField(
        required=False,
        label="Deactivate people missing from the file",
        help_text="Everyone active who is not in the file is deactivated (never you). Their history is kept.",
    )
    invite_created = forms.BooleanField(
        required=False,
        label="Invite the people this import creates",
        help_text="Each new active person gets an email with a link to set a password, valid 7 days.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_FILE_BYTES:
            raise forms.ValidationError(f"is larger than {MAX_IMPORT_FILE_BYTES // (1024 * 1024)} MB; split it")
        return upload


class ImportConfirmForm(forms.Form):
    """The hash of the file whose dry run was shown; the import runs only on exactly that file."""

    sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)


class TokenForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=MAX_TOKEN_NAME_LENGTH,
        label="Token name",
        widget=forms.TextInput(attrs={"placeholder": "e.g. LMS integration"}),
    )


class ProfileLanguageForm(forms.Form):
    """A person's own language and time zone, on their profile page; the service checks both."""

    locale = forms.ChoiceField(
        label=_("Language"),
        choices=LANGUAGES,
        error_messages={"invalid_choice": _("Language: choose one of the languages listed.")},
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("Type to search, e.g. Europe/Rome. Due dates and reminders follow it."),
        widget=forms.TextInput(attrs={"list": "dl-profile-timezone", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Time zone: this field is required.")},
    )

    @classmethod
    def initial_for(cls, person) -> dict:
        return {"locale": language_for_locale(person.locale) or DEFAULT_LANGUAGE, "timezone": person.timezone}

    def to_input(self, person) -> PersonInput:
        """Only what changes: a locale such as `de-CH` stays when its language (Deutsch) is kept."""
        data = self.cleaned_data
        changes: dict = {"timezone": data["timezone"].strip()}
        if data["locale"] != language_for_locale(person.locale):
            changes["locale"] = data["locale"]
        return PersonInput(**changes)
