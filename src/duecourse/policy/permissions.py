"""Who may see and change the organisation's policy (settings)."""

from duecourse.people.models import Person
from duecourse.people.roles import is_admin


def can_manage_settings(actor: Person) -> bool:
    """policy.change_settings: admins see and change the organisation's settings."""
    return is_admin(actor)
