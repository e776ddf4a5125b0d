"""Who may do what with the catalog."""

from duecourse.people.models import Person
from duecourse.people.roles import is_learning_staff


def can_view_catalog(actor: Person) -> bool:
    """catalog.view_course: everyone in the tenant (learners follow links to what they are assigned)."""
    return True


def can_manage_catalog(actor: Person) -> bool:
    """catalog.change_course: admins and instructors (L&D)."""
    return is_learning_staff(actor)
