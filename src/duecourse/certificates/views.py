"""Certificate pages: the tenant's list (with CSV), revoke, PDF download, the logo, and the public
verification page. Decisions live in selectors, permissions and services."""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from duecourse.assignments.models import AssignmentRule
from duecourse.certificates import permissions, selectors, services, throttle
from duecourse.certificates.domain import CODE_PATTERN, REASON_WORDS, invalid_reason_of, invalid_since, is_valid
from duecourse.certificates.forms import PAGE_SIZE, CertificateFilterForm, LogoForm, RevokeForm
from duecourse.certificates.issuing import issuing_rules
from duecourse.certificates.presenters import CSV_COLUMNS, certificate_csv_row, certificate_row
from duecourse.core import clock
from duecourse.core.api import csv_response
from duecourse.core.clients import client_address, throttle_key
from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, is_htmx, person_view


def _rules_for_filter(actor) -> list[tuple[int, str]]:
    """The configurations the filter offers: those whose certificates the actor sees, and (for those who
    see the tenant's) every configuration that issues them."""
    visible = selectors.certificate_list(actor=actor).values("rule_id")
    rules = AssignmentRule.objects.filter(tenant_id=actor.tenant_id, pk__in=visible)
    if permissions.sees_tenant_certificates(actor):
        rules = rules | issuing_rules(actor.tenant_id)
    return list(rules.order_by("name", "pk").values_list("pk", "name").distinct())


@person_view
def certificate_list_view(request):
    actor = request.actor
    if not permissions.can_open_certificates_page(actor):
        raise forbidden(pgettext_lazy("forbidden action", "see other people's certificates"))
    form = CertificateFilterForm(request.GET, rules=_rules_for_filter(actor))
    filters = form.filters()
    now = clock.now()
    rows = selectors.certificate_list(actor=actor, now=now, **filters)
    query = {k: v for k, v in request.GET.items() if k not in ("page", "format")}
    if request.GET.get("format") == "csv":
        return csv_response(
            "certificates.csv", CSV_COLUMNS, (certificate_csv_row(c, now=now) for c in rows.iterator(chunk_size=2000))
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [certificate_row(c, now=now) for c in page.object_list],
        "query": urlencode(query),
        "csv_url": reverse("certificates:list") + "?" + urlencode({**query, "format": "csv"}),
        "has_filters": any(filters.values()),
        "can_revoke": permissions.can_revoke(actor),
        "sees_errors": permissions.sees_pdf_errors(actor),
        "sees_tenant": permissions.sees_tenant_certificates(actor),
    }
    if is_htmx(request):
        return render(request, "certificates/_certificate_results.html", {**context, "is_partial": True})
    return render(request, "certificates/certificate_list.html", context)


@person_view
def certificate_revoke_view(request, certificate_id: int):
    actor = request.actor
    cert = selectors.access_certificate(actor=actor, certificate_id=certificate_id)
    if not permissions.can_revoke(actor):
        raise forbidden(services.REVOKE_ACTION)
    now = clock.now()
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(actor=actor, certificate=cert, data=form.to_input())
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        else:
            messages.success(
                request,
                _("Revoked certificate %(number)s of %(name)s.") % {"number": cert.number, "name": cert.person.name},
            )
            return HttpResponseRedirect(reverse("certificates:list"))
    valid = is_valid(invalidated_at=cert.invalidated_at, valid_until=cert.valid_until, now=now)
    context = {"form": form, "cert": cert, "valid": valid}
    return render(request, "certificates/certificate_revoke.html", context, status=422 if form.errors else 200)


@person_view
def certificate_pdf_view(request, certificate_id: int):
    actor = request.actor
    cert = selectors.access_certificate(actor=actor, certificate_id=certificate_id)
    try:
        filename, content = services.certificate_pdf(cert)
    except services.PdfUnavailable as exc:
        context = {"cert": cert, "error": exc.detail if permissions.sees_pdf_errors(actor) else ""}
        return render(request, "certificates/pdf_unavailable.html", context, status=409)
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


# --- the logo on the settings page ----------------------------------------------------------------------
@person_view
def logo_image_view(request):
    logo = selectors.tenant_logo(request.actor.tenant_id)
    if logo is None:
        return HttpResponse(status=404)
    response = HttpResponse(bytes(logo.image), content_type=logo.content_type)
    response["Cache-Control"] = "private, max-age=60"
    return response


def _back_to_settings() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("policy:settings") + "#certificate-logo")


@require_POST
@person_view
def logo_upload_view(request):
    """The settings page's logo card posts here; a bad file comes back beside the field (422)."""
    actor = request.actor
    if not permissions.can_manage_logo(actor):
        raise forbidden(services.LOGO_ACTION)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.tenant_logo_set(actor=actor, data=form.to_input())
        except ValidationFailed as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, _("Saved the certificate logo; certificates show it from now on."))
            return _back_to_settings()
    context = {"logo": selectors.tenant_logo(actor.tenant_id), "logo_form": form}
    return render(request, "certificates/logo_settings.html", context, status=422)


@require_POST
@person_view
def logo_remove_view(request):
    actor = request.actor
    if not permissions.can_manage_logo(actor):
        raise forbidden(services.LOGO_ACTION)
    if services.tenant_logo_remove(actor=actor):
        messages.success(request, _("Removed the certificate logo."))
    return _back_to_settings()


# --- the public verification page -----------------------------------------------------------------------
def verify_view(request, code: str):
    """Whether a certificate is valid, for whom and for what; nothing else. No sign-in; rate-limited."""
    if throttle.over_the_limit(throttle_key(client_address(request)), now=clock.now()):
        response = render(request, "certificates/verify.html", {"state": "limited"}, status=429)
        response["Retry-After"] = "60"
        return response
    cert = selectors.by_code(code) if re.fullmatch(CODE_PATTERN, code) else None
    if cert is None:
        return render(request, "certificates/verify.html", {"state": "unknown"}, status=404)
    now = clock.now()
    invalidated_at, valid_until = cert.invalidated_at, cert.valid_until
    reason = invalid_reason_of(
        invalidated_at=invalidated_at, invalid_reason=cert.invalid_reason, valid_until=valid_until, now=now
    )
    context = {
        "state": "valid" if is_valid(invalidated_at=invalidated_at, valid_until=valid_until, now=now) else "invalid",
        # Only what the page shows (for whom, for what, valid until), so that nothing else can leak.
        "holder": cert.person.name,
        "title": cert.title,
        "valid_until": valid_until,
        "issuer": cert.tenant.name,
        "items": [(item.get("target") or {}).get("title", "") for item in cert.items],
        "since": invalid_since(invalidated_at=invalidated_at, valid_until=valid_until, now=now),
        "reason": REASON_WORDS.get(reason or "", ""),
    }
    response = render(request, "certificates/verify.html", context)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
