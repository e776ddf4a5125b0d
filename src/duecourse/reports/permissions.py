from duecourse.people.models import Person


def can_view_tenant_reports(actor: Person) -> bool:
    """reports.view_compliance: admin, instructor, hr."""
    return actor.is_admin or actor.is_instructor or actor.is_hr


def can_view_team(actor: Person, manager_id: int) -> bool:
    """reports.view_team: a manager (someone with active reports) their own team; admin, instructor, hr anyone's."""
    if can_view_tenant_reports(actor):
        return True
    return manager_id == actor.pk and actor.reports.filter(active=True).exists()
