"""What the person services take: built by the API schemas and by the edit form alike.

The fields carry the types the API accepts; `people.validation` then applies the rules (required, limits,
known zones and roles, blank means default) that a CSV import applies to raw text, so both paths agree.
"""

import datetime as dt

from duecourse.core.inputs import ServiceInput


class PersonInput(ServiceInput):
    """A person's fields; on create email and name are required, on update only the fields given change.

    A manager is named by `manager_id` or by `manager_email` (which the service turns into the id).
    """

    email: str | None = None
    name: str | None = None
    external_id: str | None = None
    manager_id: int | None = None
    manager_email: str | None = None
    department: str | None = None
    site: str | None = None
    region: str | None = None
    job_title: str | None = None
    # Text too, as the edit form posts it: the service's date rule then names a bad one beside the
    # form's other errors, in one round.
    hire_date: dt.date | str | None = None
    timezone: str | None = None
    locale: str | None = None
    active: bool | None = None
    roles: list[str] | None = None


class SsoConnectionInput(ServiceInput):
    """A tenant's single sign-on settings as the "Sign-in" settings page posts them. A client secret
    left out (or empty) keeps the stored one: the page never shows it back."""

    enabled: bool = False
    issuer: str = ""
    client_id: str = ""
    client_secret: str | None = None
    allowed_domains: list[str] | str = []
    sso_only: bool = False
    create_people_on_first_login: bool = False
    claim_name: str = "name"
    claim_department: str = ""
    claim_manager_email: str = ""
