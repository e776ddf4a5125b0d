from duecourse.people.models import Person


def can_view_tenant_reports(actor: Person) -> bool:
    """reports.view_compliance: admin, instructor, hr."""
    return actor.is_admin or actor.is_instructor or actor.is_hr


def can_view_team(actor: Person, manager_id: int) -> bool:
    """reports.view_team: a manager their own reports; admin, instructor, hr anyone's."""
    return can_view_tenant_reports(actor) or manager_id == actor.pk
