"""Who may do what with people. The API, the web UI and the CLI all ask here."""

from django.db.models import Q
from django.utils.translation import gettext as _

from duecourse.people.models import Person
from duecourse.people.roles import is_admin, sees_whole_tenant

SELF_EDITABLE_FIELDS = frozenset({"timezone", "locale"})


def visible_people_filter(actor: Person) -> Q:
    """people.view_person as a filter: the whole tenant for staff, else oneself and direct reports."""
    scope = Q(tenant_id=actor.tenant_id)
    if sees_whole_tenant(actor):
        return scope
    return scope & (Q(pk=actor.pk) | Q(manager_id=actor.pk))


def can_view_person(actor: Person, person: Person) -> bool:
    if person.tenant_id != actor.tenant_id:
        return False
    return sees_whole_tenant(actor) or person.pk == actor.pk or person.manager_id == actor.pk


def can_manage_people(actor: Person) -> bool:
    """people.change_person: create, edit, deactivate, import, set roles."""
    return is_admin(actor)


def can_change_person_fields(actor: Person, person: Person, fields: set[str]) -> bool:
    if can_manage_people(actor):
        return True
    return person.pk == actor.pk and fields <= SELF_EDITABLE_FIELDS


def can_manage_tokens(actor: Person, person: Person) -> bool:
    """people.create_token: admins for anyone in the tenant, everyone for themselves."""
    return is_admin(actor) or person.pk == actor.pk


def can_view_audit_log(actor: Person) -> bool:
    return is_admin(actor)


def self_lockout_errors(actor: Person, person_id: object, clean: dict) -> list[tuple[str, str]]:
    """An admin cannot take away their own admin role or deactivate themself (in an edit or an
    import): another admin must. So an organisation always keeps the admin who is acting."""
    if person_id != actor.pk or not is_admin(actor):
        return []
    errors = []
    if "roles" in clean and "admin" not in clean["roles"]:
        errors.append(("roles", _("you cannot remove your own admin role; ask another admin")))
    if clean.get("active") is False:
        errors.append(("active", _("you cannot deactivate yourself; ask another admin")))
    return errors


def can_invite_people(actor: Person) -> bool:
    """people.invite: whoever manages people sends invitations."""
    return can_manage_people(actor)


def can_manage_sign_in(actor: Person) -> bool:
    """people.change_sign_in: admins set how the organisation signs in (single sign-on)."""
    return is_admin(actor)
