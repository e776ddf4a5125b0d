"""Who may open the Mandatory tasks workspace and act in it."""

from duecourse.assignments import permissions as assignment_permissions
from duecourse.people.models import Person
from duecourse.people.roles import sees_whole_tenant


def can_view_workspace(actor: Person) -> bool:
    """Admins, instructors and HR (HR reads only); managers have their team page instead."""
    return sees_whole_tenant(actor)


def can_act_in_workspace(actor: Person) -> bool:
    """Extend, withdraw and remind from the list: learning staff (admins and instructors), not HR."""
    return assignment_permissions.assigns_tenant_wide(actor)
