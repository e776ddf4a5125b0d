"""Who may see, download and revoke certificates, and change the logo printed on them."""

from django.db.models import Q

from duecourse.people.models import Person
from duecourse.people.roles import has_reports, is_admin, sees_whole_tenant


def sees_tenant_certificates(actor: Person) -> bool:
    """Admins, instructors and HR see every certificate of their tenant."""
    return sees_whole_tenant(actor)


def visible_certificates_filter(actor: Person) -> Q:
    """certificates.view_certificate as a filter: the tenant's for admin, instructor and HR; a manager's
    own and their direct reports' (as for assignments); a learner's own."""
    scope = Q(tenant_id=actor.tenant_id)
    if sees_tenant_certificates(actor):
        return scope
    return scope & (Q(person_id=actor.pk) | Q(person__manager_id=actor.pk))


def can_open_certificates_page(actor: Person) -> bool:
    """The tenant's Certificates page: those who see others' certificates (managers: their reports')."""
    return sees_tenant_certificates(actor) or has_reports(actor)


def can_revoke(actor: Person) -> bool:
    return is_admin(actor)


def sees_pdf_errors(actor: Person) -> bool:
    """Why a certificate's PDF could not be rendered is for admins (they can fix the logo)."""
    return is_admin(actor)


def can_manage_logo(actor: Person) -> bool:
    return is_admin(actor)
