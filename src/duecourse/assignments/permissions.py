"""Who may assign, see, change and withdraw assignments, and manage assignment rules."""

from django.db.models import Q
from django.db.models.expressions import RawSQL

from duecourse.core.models import Tenant
from duecourse.people.models import Person
from duecourse.people.roles import has_reports, is_admin, is_learning_staff, sees_whole_tenant

# The tenant setting (policy) that lets a manager act for their whole sub-tree, not only direct reports.
DOWN_THE_LINE = "managers_assign_down_the_line"


def down_the_line_in(settings: dict) -> bool:
    """The setting as stored in `tenant.settings` (default off; anything but `true` is off)."""
    return settings.get(DOWN_THE_LINE) is True


def acts_down_the_line(actor: Person) -> bool:
    """`down_the_line_in` for the actor's tenant, read once per actor object (one query)."""
    if not hasattr(actor, "_down_the_line"):
        stored = Tenant.objects.filter(pk=actor.tenant_id).values_list("settings", flat=True).first() or {}
        actor._down_the_line = down_the_line_in(stored)  # type: ignore[attr-defined]
    return actor._down_the_line  # type: ignore[attr-defined]


def below(actor: Person) -> RawSQL:
    """The ids of everyone below the actor at any depth (`selectors.SUBTREE_SQL`, the one definition)."""
    from duecourse.assignments.selectors import SUBTREE_SQL  # selectors imports this module

    return RawSQL(SUBTREE_SQL, [actor.tenant_id, actor.pk, actor.tenant_id])  # noqa: S611 constant SQL


def managed_filter(actor: Person, person_field: str = "person") -> Q:
    """The people a manager acts for (assign, remind, extend) as a filter over `person_field`: their direct
    reports, and with the tenant's `managers_assign_down_the_line` everyone below them at any depth."""
    if acts_down_the_line(actor):
        return Q(**{f"{person_field}_id__in": below(actor)})
    return Q(**{f"{person_field}__manager_id": actor.pk})


def manages(actor: Person, person: Person) -> bool:
    """`managed_filter` for one person: the one place that decides whom a manager acts for."""
    if person.tenant_id != actor.tenant_id or person.pk == actor.pk:
        return False
    if person.manager_id == actor.pk:
        return True
    if not acts_down_the_line(actor):
        return False
    ids = getattr(actor, "_below_ids", None)
    if ids is None:
        ids = actor._below_ids = set(  # type: ignore[attr-defined]
            Person.objects.filter(pk__in=below(actor)).values_list("pk", flat=True)
        )
    return person.pk in ids


def assigns_tenant_wide(actor: Person) -> bool:
    """Learning staff assign to anyone in the tenant and change any assignment; managers only their reports'."""
    return is_learning_staff(actor)


def can_assign_to(actor: Person, person: Person) -> bool:
    """assignments.add_assignment: admin/instructor → anyone in the tenant; manager → those they manage
    (`manages`: direct reports, or the whole sub-tree with the tenant's setting)."""
    if person.tenant_id != actor.tenant_id:
        return False
    return assigns_tenant_wide(actor) or manages(actor, person)


def can_assign_at_all(actor: Person) -> bool:
    return assigns_tenant_wide(actor) or has_reports(actor)


def visible_assignments_filter(actor: Person) -> Q:
    """assignments.view_assignment as a filter."""
    scope = Q(tenant_id=actor.tenant_id)
    if sees_whole_tenant(actor):
        return scope
    return scope & (Q(person_id=actor.pk) | managed_filter(actor))


def can_change_assignment(actor: Person, assignment, *, own_source: bool) -> bool:
    """assignments.change_assignment: admin/instructor; a manager for a report's item they assigned."""
    if assigns_tenant_wide(actor):
        return True
    return manages(actor, assignment.person) and own_source


def can_remind(actor: Person, assignment) -> bool:
    """Send a reminder by hand: admins, instructors, and the person's manager (not HR, not the learner)."""
    if assigns_tenant_wide(actor):
        return True
    return manages(actor, assignment.person)


def remindable_by_filter(actor: Person) -> Q:
    """`can_remind` as a filter over assignments (for actions on many)."""
    if assigns_tenant_wide(actor):
        return Q(tenant_id=actor.tenant_id)
    return Q(tenant_id=actor.tenant_id) & managed_filter(actor)


def can_exempt(actor: Person) -> bool:
    """Grant or end an exemption from an assignment: admins and instructors."""
    return assigns_tenant_wide(actor)


def can_manage_rules(actor: Person) -> bool:
    """assignments.change_rule"""
    return assigns_tenant_wide(actor)


def can_view_rules(actor: Person) -> bool:
    return sees_whole_tenant(actor)


def can_record_progress(actor: Person) -> bool:
    """assignments.add_completion: the LMS integration (a token of an admin or instructor)."""
    return assigns_tenant_wide(actor)


def can_view_audit(actor: Person) -> bool:
    return is_admin(actor)
