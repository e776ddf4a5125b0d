"""Web forms for people. They only shape browser input: every rule is checked by the services."""

from typing import cast

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from duecourse.core.languages import DEFAULT_LANGUAGE, LANGUAGES, language_for_locale
from duecourse.people import roles
from duecourse.people.inputs import PersonInput
from duecourse.people.limits import MAX_IMPORT_FILE_BYTES, MAX_SEARCH_LENGTH, MAX_TOKEN_NAME_LENGTH

ACTIVE_CHOICES = [("true", _("Active")), ("false", _("Deactivated")), ("", _("Everyone"))]
ROLE_CHOICES = [("", _("Any role"))] + [(role, roles.ROLE_LABELS[role]) for role in roles.FILTER_ROLES]
PAGE_SIZE = 25
ANY_ORG_UNIT = {"department": _("Any department"), "site": _("Any site"), "region": _("Any region")}


class PersonFilterForm(forms.Form):
    """The directory's search and filters; parameter names match the API so the CSV export reuses them."""

    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, email, employee id or job title"), "autocomplete": "off"}
        ),
    )
    department = forms.ChoiceField(required=False, label=_("Department"))
    site = forms.ChoiceField(required=False, label=_("Site"))
    region = forms.ChoiceField(required=False, label=_("Region"))
    manager = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Manager"))
    active = forms.ChoiceField(required=False, choices=ACTIVE_CHOICES, label=pgettext_lazy("person", "Status"))
    role = forms.ChoiceField(required=False, choices=ROLE_CHOICES, label=_("Role"))

    def __init__(self, data, *, org_units: dict[str, list[str]], managers: list[tuple[int, str]]):
        data = data.copy()
        if "active" not in data:
            data["active"] = "true"
        super().__init__(data)
        for kind, names in org_units.items():
            cast(forms.ChoiceField, self.fields[kind]).choices = [("", ANY_ORG_UNIT[kind])] + [(n, n) for n in names]
        manager_choices = [("", _("Any manager"))] + [(str(pk), name) for pk, name in managers]
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


def _text(label, **attrs) -> forms.CharField:
    return forms.CharField(required=False, label=label, widget=forms.TextInput(attrs=attrs))


class PersonForm(forms.Form):
    """An admin's edit of a person; blank optional fields clear the value."""

    name = _text(_("Full name"), required=True, autocomplete="off")
    email = forms.CharField(
        required=False, label=_("Email"), widget=forms.EmailInput(attrs={"required": True, "autocomplete": "off"})
    )
    external_id = _text(_("Employee id"), autocomplete="off")
    job_title = _text(_("Job title"))
    department = _text(_("Department"), list="dl-department")
    site = _text(_("Site"), list="dl-site")
    region = _text(_("Region"), list="dl-region")
    manager_email = forms.CharField(
        required=False,
        label=_("Manager’s email"),
        help_text=_("Leave empty for nobody."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    hire_date = forms.CharField(required=False, label=_("Hire date"), widget=forms.DateInput(attrs={"type": "date"}))
    timezone = _text(_("Time zone"), list="dl-timezone", placeholder="Europe/London")
    locale = _text(_("Locale"), placeholder="en-GB")
    roles = forms.MultipleChoiceField(
        required=False,
        choices=[(role, roles.ROLE_LABELS[role]) for role in roles.STORED_ROLES],
        widget=forms.CheckboxSelectMultiple,
        label=_("Roles"),
        help_text=_("Manager comes from having direct reports; everyone is a learner."),
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
        required=False,
        initial=True,
        label=pgettext_lazy("person", "Active"),
        help_text=_("Untick to add someone who has not started yet."),
    )
    send_invitation = forms.BooleanField(
        required=False,
        label=_("Send an invitation"),
        help_text=_("An email with a link to set a password, valid 7 days (not for someone added inactive)."),
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
        label=_("CSV file"),
        help_text=_("UTF-8, the first line names the columns; see “Columns” below."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    deactivate_missing = forms.BooleanField(
        required=False,
        label=_("Deactivate people missing from the file"),
        help_text=_("Everyone active who is not in the file is deactivated (never you). Their history is kept."),
    )
    invite_created = forms.BooleanField(
        required=False,
        label=_("Invite the people this import creates"),
        help_text=_("Each new active person gets an email with a link to set a password, valid 7 days."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_FILE_BYTES:
            raise forms.ValidationError(
                gettext("is larger than %(size)d MB; split it") % {"size": MAX_IMPORT_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class ImportConfirmForm(forms.Form):
    """The hash of the file whose dry run was shown; the import runs only on exactly that file."""

    sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)


class TokenForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=MAX_TOKEN_NAME_LENGTH,
        label=_("Token name"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. LMS integration")}),
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
