"""Who may do what with groups."""

from duecourse.people.models import Person
from duecourse.people.roles import is_admin, sees_whole_tenant


def can_view_groups(actor: Person) -> bool:
    """groups.view_group: staff who assign or report. The same rule opens the department, site and region
    pages (the audiences beside groups, with their people)."""
    return sees_whole_tenant(actor)


def can_manage_groups(actor: Person) -> bool:
    """groups.change_group: create, edit, delete."""
    return is_admin(actor)
