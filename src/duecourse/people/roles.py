"""Roles: which ones exist, which a person holds, and the role tests every permission rule builds on.

Admin, instructor and hr are stored flags on the person; manager is derived (having at least one
active direct report) and everyone is a learner. Each app's permissions.py asks here, so a role
means the same thing in the API, the web UI, the navigation and the CLI.
"""

from django.db.models import Exists, OuterRef, QuerySet

STORED_ROLES = ("admin", "instructor", "hr")
DERIVED_ROLES = ("manager", "learner")
ROLE_NAMES = STORED_ROLES + DERIVED_ROLES
# The directory filters by role; everyone is a learner, so that one would select everybody.
FILTER_ROLES = STORED_ROLES + ("manager",)
ROLE_LABELS = {"admin": "Admin", "instructor": "Instructor", "hr": "HR", "manager": "Manager", "learner": "Learner"}


def holds(person, role: str) -> bool:
    """Whether `person` holds the stored role `role` (its flag is `is_<role>`)."""
    return bool(getattr(person, f"is_{role}"))


def stored_roles(person) -> list[str]:
    return [role for role in STORED_ROLES if holds(person, role)]


def has_reports_condition() -> Exists:
    """ "Has reports" as a condition on people: at least one ACTIVE direct report. The one definition."""
    from duecourse.people.models import Person

    return Exists(Person.objects.filter(manager_id=OuterRef("pk"), active=True))


def with_has_reports(people: QuerySet) -> QuerySet:
    """The people with `has_reports` annotated, so `has_reports` and `role_names` need no query per person."""
    return people.annotate(has_reports=has_reports_condition())


def has_reports(person) -> bool:
    """Whether `person` manages anyone: at least one active direct report (annotated or asked)."""
    annotated = getattr(person, "has_reports", None)
    if annotated is not None:
        return bool(annotated)
    if person.pk is None:
        return False
    return person.reports.filter(active=True).exists()


def role_names(person) -> list[str]:
    """The stored roles plus the derived ones (manager by having reports, learner for everyone)."""
    names = stored_roles(person)
    if has_reports(person):
        names.append("manager")
    names.append("learner")
    return names


def is_admin(actor) -> bool:
    return actor.is_admin


def is_hr(actor) -> bool:
    return actor.is_hr


def is_learning_staff(actor) -> bool:
    """Learning and development, that is admins and instructors: they run the catalog and assign tenant-wide."""
    return actor.is_admin or actor.is_instructor


def sees_whole_tenant(actor) -> bool:
    """Admins, instructors and hr see every person, assignment and report of their tenant."""
    return actor.is_admin or actor.is_instructor or actor.is_hr
