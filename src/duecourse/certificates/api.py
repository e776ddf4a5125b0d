"""Certificate endpoints: thin wrappers over selectors and services."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from duecourse.certificates import permissions, selectors, services
from duecourse.certificates.presenters import CSV_COLUMNS, certificate_as_dict, certificate_csv_row
from duecourse.certificates.schemas import CertificateFilters, CertificateList, CertificateOut, RevokeIn
from duecourse.core import clock
from duecourse.core.api import ERROR_RESPONSES, actor_of, csv_response, was_paging_asked

router = Router(tags=["certificates"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The certificate as a PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/certificates",
    response={200: CertificateList, **ERROR_RESPONSES},
    summary="List certificates (admins, instructors and HR: the tenant's; managers: their reports'; yours)",
    description="Newest first. `?format=csv` answers the whole filtered list as CSV.",
)
def list_certificates(request: HttpRequest, filters: Query[CertificateFilters]):
    actor = actor_of(request)
    now = clock.now()
    rows = selectors.certificate_list(
        actor=actor, person_id=filters.person_id, rule_id=filters.rule_id, status=filters.status, now=now
    )
    if filters.format == "csv":
        if was_paging_asked(request):
            rows = rows[filters.offset : filters.offset + filters.limit]
        return csv_response(
            "certificates.csv", CSV_COLUMNS, (certificate_csv_row(c, now=now) for c in rows.iterator(chunk_size=2000))
        )
    errors = permissions.sees_pdf_errors(actor)
    page = rows[filters.offset : filters.offset + filters.limit]
    return {"count": rows.count(), "items": [certificate_as_dict(c, now=now, show_errors=errors) for c in page]}


@router.get(
    "/certificates/{int:certificate_id}",
    response={200: CertificateOut, **ERROR_RESPONSES},
    summary="Get a certificate",
)
def get_certificate(request: HttpRequest, certificate_id: int):
    actor = actor_of(request)
    cert = selectors.access_certificate(actor=actor, certificate_id=certificate_id)
    return certificate_as_dict(cert, now=clock.now(), show_errors=permissions.sees_pdf_errors(actor))


@router.get(
    "/certificates/{int:certificate_id}/pdf",
    response={**ERROR_RESPONSES},
    summary="Download the certificate as a PDF",
    description="409 when the PDF cannot be rendered (admins see why on the certificate's `pdf_error`).",
    openapi_extra=PDF_RESPONSE,
)
def certificate_pdf(request: HttpRequest, certificate_id: int):
    cert = selectors.access_certificate(actor=actor_of(request), certificate_id=certificate_id)
    filename, content = services.certificate_pdf(cert)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post(
    "/certificates/{int:certificate_id}/revoke",
    response={200: CertificateOut, **ERROR_RESPONSES},
    summary="Revoke a valid certificate with a reason (admins); 409 when it is no longer valid",
    description=(
        "The certificate becomes invalid (`invalid_reason: revoked`) and its holder is told why. They get a "
        "new certificate only after completing a required item again."
    ),
)
def revoke_certificate(request: HttpRequest, certificate_id: int, payload: RevokeIn):
    actor = actor_of(request)
    cert = selectors.access_certificate(actor=actor, certificate_id=certificate_id)
    services.certificate_revoke(actor=actor, certificate=cert, data=payload.to_input())
    cert = selectors.access_certificate(actor=actor, certificate_id=certificate_id)
    return certificate_as_dict(cert, now=clock.now(), show_errors=permissions.sees_pdf_errors(actor))
