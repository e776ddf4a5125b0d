"""Fragments the certificates app contributes to other apps' pages (My learning, a person's page, a
training configuration's page, the organisation's settings), so those apps never import certificates."""

from django import template

from duecourse.certificates import issuing, permissions, selectors
from duecourse.certificates.forms import LogoForm
from duecourse.certificates.presenters import certificate_row
from duecourse.core import clock

register = template.Library()


def _rows(actor, person_id: int) -> list[dict]:
    now = clock.now()
    return [certificate_row(c, now=now) for c in selectors.certificate_list(actor=actor, person_id=person_id)]


@register.inclusion_tag("certificates/_my_certificates.html")
def my_certificates(actor):
    """The "Certificates" section of My learning: the actor's own, newest first, with downloads."""
    return {"rows": _rows(actor, actor.pk)}


@register.inclusion_tag("certificates/_person_certificates.html")
def person_certificates(actor, person):
    """The "Certificates" card of a person's page, for whoever may see that person's certificates."""
    visible = permissions.sees_tenant_certificates(actor) or person.pk == actor.pk or person.manager_id == actor.pk
    if not visible:
        return {"visible": False}
    return {
        "visible": True,
        "person": person,
        "rows": _rows(actor, person.pk),
        "list_link": permissions.can_open_certificates_page(actor),
    }


@register.inclusion_tag("certificates/_rule_certificates.html")
def rule_certificates(actor, rule):
    """A training configuration's certificates (for its page): whether it issues them, how many are valid
    and no longer valid, the worker's progress on a backlog, and a link to the list of them."""
    if not permissions.sees_tenant_certificates(actor):
        return {"visible": False}
    summary = selectors.rule_summary(tenant_id=rule.tenant_id, rule_id=rule.pk)
    pending = issuing.pending_count(rule) if summary.queued_at is not None else 0
    return {
        "visible": True,
        "rule": rule,
        "summary": summary,
        "pending": pending,
        "issuing_total": summary.issued_since_queued + pending,
    }


@register.inclusion_tag("certificates/_logo_settings.html")
def certificate_logo_settings(actor):
    """The certificate logo card of the organisation's settings page (admins)."""
    if not permissions.can_manage_logo(actor):
        return {"visible": False}
    return {"visible": True, "actor": actor, "logo": selectors.tenant_logo(actor.tenant_id), "logo_form": LogoForm()}
