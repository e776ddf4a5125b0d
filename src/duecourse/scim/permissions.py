"""Who may manage the tenant's SCIM connection: its tokens are the identity provider's keys to the directory."""

from duecourse.people.models import Person
from duecourse.people.roles import is_admin


def can_manage_scim_tokens(actor: Person) -> bool:
    return is_admin(actor)
