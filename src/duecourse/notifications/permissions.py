"""Who may see which notifications and emails."""

from duecourse.people.models import Person
from duecourse.people.roles import is_admin


def can_view_outbox(actor: Person) -> bool:
    """notifications.view_outbox: admins see every email of the tenant and its delivery."""
    return is_admin(actor)


def can_manage_email_templates(actor: Person) -> bool:
    """notifications.change_messagetemplate: admins reword the organisation's emails."""
    return is_admin(actor)
