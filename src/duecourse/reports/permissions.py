"""Who may see which reports."""

from duecourse.assignments.permissions import below
from duecourse.people.models import Person
from duecourse.people.roles import has_reports, sees_whole_tenant


def can_view_tenant_reports(actor: Person) -> bool:
    """reports.view_compliance: admin, instructor, hr."""
    return sees_whole_tenant(actor)


def can_view_team(actor: Person, manager_id: int) -> bool:
    """reports.view_team: a manager (someone with active reports) their own team and the team of anyone in
    their sub-tree (reports at any depth, `assignments.permissions.below`); admin, instructor, hr anyone's."""
    if can_view_tenant_reports(actor):
        return True
    if manager_id == actor.pk:
        return has_reports(actor)
    return Person.objects.filter(tenant_id=actor.tenant_id, pk=manager_id, pk__in=below(actor)).exists()


def can_run_exports(actor: Person) -> bool:
    """reports.run_exports (overdue by department, completed before start, audit sample): whoever sees the
    compliance reports, that is admin, instructor and hr, organisation-wide. A manager's view of their
    people is the team page; managers and learners get 403 here, as on compliance."""
    return can_view_tenant_reports(actor)
