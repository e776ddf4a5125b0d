"""People as the API and CSV exports show them."""

from duecourse.people.models import Person

PERSON_CSV_COLUMNS = [
    "id",
    "email",
    "name",
    "external_id",
    "manager_id",
    "department",
    "site",
    "region",
    "job_title",
    "hire_date",
    "timezone",
    "locale",
    "active",
    "roles",
    "invitation",
]


def person_as_dict(person: Person) -> dict:
    return {
        "id": person.pk,
        "email": person.email,
        "name": person.name,
        "external_id": person.external_id,
        "manager_id": person.manager_id,
        "department": person.department.name if person.department_id else None,
        "site": person.site.name if person.site_id else None,
        "region": person.region.name if person.region_id else None,
        "job_title": person.job_title,
        "hire_date": person.hire_date,
        "timezone": person.timezone,
        "locale": person.locale,
        "active": person.active,
        "roles": person.role_names,
        # Annotated by `selectors.with_invitation_state` on every queryset the API shows.
        "invitation": person.invitation_state,  # type: ignore[attr-defined]
    }
