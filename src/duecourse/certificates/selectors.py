"""Reads of certificates that depend on who asks, and the SQL forms of the status rule (`domain.is_valid`)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils.translation import pgettext_lazy

from duecourse.certificates import permissions
from duecourse.certificates.domain import CertificateStatus
from duecourse.certificates.models import Certificate, CertificateBacklog, TenantLogo
from duecourse.core import clock
from duecourse.core.errors import not_found
from duecourse.people.models import Person


# --- the status rule in SQL (held to `domain.is_valid` by tests/test_domain.py) -------------------------
def valid_filter(now: dt.datetime, prefix: str = "") -> Q:
    """`domain.is_valid` as a WHERE clause: not invalidated, and `valid_until` none or ahead."""
    return Q(**{f"{prefix}invalidated_at__isnull": True}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": now})
    )


def invalid_filter(now: dt.datetime, prefix: str = "") -> Q:
    """The negation of `valid_filter` (NULL-safe)."""
    return Q(**{f"{prefix}invalidated_at__isnull": False}) | Q(**{f"{prefix}valid_until__lte": now})


def status_expression(now: dt.datetime) -> Case:
    return Case(
        When(valid_filter(now), then=Value(str(CertificateStatus.VALID))),
        default=Value(str(CertificateStatus.INVALID)),
        output_field=CharField(),
    )


def status_filter(status: str, now: dt.datetime) -> Q:
    return valid_filter(now) if status == CertificateStatus.VALID else invalid_filter(now)


# --- lists and single certificates --------------------------------------------------------------------
def certificate_list(
    *,
    actor: Person,
    person_id: int | None = None,
    rule_id: int | None = None,
    status: str | None = None,
    q: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Certificate]:
    """The certificates `actor` may see, newest first, filtered."""
    now = now or clock.now()
    items = Certificate.objects.filter(permissions.visible_certificates_filter(actor))
    if person_id is not None:
        items = items.filter(person_id=person_id)
    if rule_id is not None:
        items = items.filter(rule_id=rule_id)
    if status:
        items = items.filter(status_filter(status, now))
    if q:
        items = items.filter(Q(person__name__icontains=q) | Q(person__email__icontains=q) | Q(number__iexact=q))
    return items.select_related("person").order_by("-issued_at", "-id")


def access_certificate(*, actor: Person, certificate_id: int) -> Certificate:
    """One certificate the actor may see; anything else (another tenant's, a peer's) is not found."""
    found = (
        Certificate.objects.filter(permissions.visible_certificates_filter(actor), pk=certificate_id)
        .select_related("person", "rule")
        .first()
    )
    if found is None:
        raise not_found(pgettext_lazy("not found", "Certificate"))
    return found


def by_code(code: str) -> Certificate | None:
    """The certificate a verification code names (any tenant: the code is the secret), or None."""
    return Certificate.objects.filter(code=code).select_related("person", "tenant").first()


def certificates_of_person(*, actor: Person, person: Person) -> list[Certificate]:
    """A person's certificates as `actor` may see them (all of them for learning staff and HR, a
    manager's reports', one's own), newest first."""
    return list(certificate_list(actor=actor, person_id=person.pk))


@dataclass(frozen=True)
class RuleCertificates:
    valid: int
    invalid: int
    queued_at: dt.datetime | None  # the worker is issuing a backlog since then (None: nothing queued)
    issued_since_queued: int


def rule_summary(*, tenant_id: int, rule_id: int, now: dt.datetime | None = None) -> RuleCertificates:
    """Counts for a configuration's page (callers check who may see them)."""
    now = now or clock.now()
    of_rule = Certificate.objects.filter(tenant_id=tenant_id, rule_id=rule_id)
    valid = of_rule.filter(valid_filter(now)).count()
    total = of_rule.count()
    backlog = CertificateBacklog.objects.filter(tenant_id=tenant_id, rule_id=rule_id).first()
    issued = of_rule.filter(issued_at__gte=backlog.queued_at).count() if backlog else 0
    return RuleCertificates(
        valid=valid,
        invalid=total - valid,
        queued_at=backlog.queued_at if backlog else None,
        issued_since_queued=issued,
    )


def tenant_logo(tenant_id: int) -> TenantLogo | None:
    return TenantLogo.objects.filter(tenant_id=tenant_id).first()
