"""Roles: which ones exist, which a person holds, and the role tests every permission rule builds on.

Admin, instructor and hr are stored flags on the person; manager is derived (having at least one
active direct report) and everyone is a learner. Each app's permissions.py asks here, so a role
means the same thing in the API, the web UI, the navigation and the CLI.
"""

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from duecourse.people.models import Person

STORED_ROLES = ("admin", "instructor", "hr")
DERIVED_ROLES = ("manager", "learner")
ROLE_NAMES = STORED_ROLES + DERIVED_ROLES
# The directory filters by role; everyone is a learner, so that one would select everybody.
FILTER_ROLES = STORED_ROLES + ("manager",)
ROLE_LABELS = {
    "admin": _("Admin"),
    "instructor": _("Instructor"),
    "hr": _("HR"),
    "manager": _("Manager"),
    "learner": _("Learner"),
}


def stored_roles(person: "Person") -> list[str]:
    """The stored roles `person` holds; each is a flag named `is_<role>`."""
    return [role for role in STORED_ROLES if getattr(person, f"is_{role}")]


def _active_reports_of(manager_id: int | OuterRef) -> QuerySet:
    """The one definition of "has reports": a person has reports when this is not empty."""
    from duecourse.people.models import Person

    return Person.objects.filter(manager_id=manager_id, active=True)


def has_reports_condition() -> Exists:
    """The same rule as a condition on a queryset of people (filter or annotate with it)."""
    return Exists(_active_reports_of(OuterRef("pk")))


def with_has_reports(people: QuerySet) -> QuerySet:
    """The people with `has_reports` annotated, so `has_reports` and `role_names` need no query per person."""
    return people.annotate(has_reports=has_reports_condition())


def has_reports(person: "Person") -> bool:
    """Whether `person` manages anyone: at least one active direct report (annotated or asked)."""
    annotated = getattr(person, "has_reports", None)
    if annotated is not None:
        return bool(annotated)
    if person.pk is None:
        return False
    return _active_reports_of(person.pk).exists()


def role_names(person: "Person") -> list[str]:
    """The stored roles plus the derived ones (manager by having reports, learner for everyone)."""
    names = stored_roles(person)
    if has_reports(person):
        names.append("manager")
    names.append("learner")
    return names


def is_admin(actor: "Person") -> bool:
    return actor.is_admin


def is_learning_staff(actor: "Person") -> bool:
    """Learning and development, that is admins and instructors: they run the catalog and assign tenant-wide."""
    return actor.is_admin or actor.is_instructor


def sees_whole_tenant(actor: "Person") -> bool:
    """Admins, instructors and hr see every person, assignment and report of their tenant."""
    return actor.is_admin or actor.is_instructor or actor.is_hr


def holders_condition(role: str) -> Q:
    """Active people who hold the stored `role`, as a condition on a queryset of people (e.g. the HR
    contacts that an "hr" reminder or escalation goes to, or the admins who run an import)."""
    if role not in STORED_ROLES:
        raise ValueError(f"{role!r} is not a stored role")
    return Q(**{f"is_{role}": True}, active=True)
