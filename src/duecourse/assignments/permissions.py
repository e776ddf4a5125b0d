"""Who may assign, see, change and withdraw assignments, and manage assignment rules."""

from django.db.models import Q

from duecourse.people.models import Person
from duecourse.people.roles import has_reports, is_admin, is_learning_staff, sees_whole_tenant


def assigns_tenant_wide(actor: Person) -> bool:
    """Learning staff assign to anyone in the tenant and change any assignment; managers only their reports'."""
    return is_learning_staff(actor)


def can_assign_to(actor: Person, person: Person) -> bool:
    """assignments.add_assignment: admin/instructor → anyone in the tenant; manager → direct reports only."""
    if person.tenant_id != actor.tenant_id:
        return False
    return assigns_tenant_wide(actor) or person.manager_id == actor.pk


def can_assign_at_all(actor: Person) -> bool:
    return assigns_tenant_wide(actor) or has_reports(actor)


def visible_assignments_filter(actor: Person) -> Q:
    """assignments.view_assignment as a filter."""
    scope = Q(tenant_id=actor.tenant_id)
    if sees_whole_tenant(actor):
        return scope
    return scope & (Q(person_id=actor.pk) | Q(person__manager_id=actor.pk))


def can_change_assignment(actor: Person, assignment, *, own_source: bool) -> bool:
    """assignments.change_assignment: admin/instructor; a manager for a report's item they assigned."""
    if assigns_tenant_wide(actor):
        return True
    return assignment.person.manager_id == actor.pk and own_source


def can_remind(actor: Person, assignment) -> bool:
    """Send a reminder by hand: admins, instructors, and the person's manager (not HR, not the learner)."""
    if assigns_tenant_wide(actor):
        return True
    return assignment.person.manager_id == actor.pk


def remindable_by_filter(actor: Person) -> Q:
    """`can_remind` as a filter over assignments (for actions on many)."""
    if assigns_tenant_wide(actor):
        return Q(tenant_id=actor.tenant_id)
    return Q(tenant_id=actor.tenant_id, person__manager_id=actor.pk)


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
