"""A certificate's file and link: its PDF's name, its public verification URL, and the error a render
raises. Light on purpose: the PDF stack itself (`pdf`) is imported only where a PDF is rendered."""

from django.conf import settings

from duecourse.certificates.models import Certificate


class RenderFailed(Exception):
    """The PDF could not be rendered; the message says why (shown to admins, kept on the certificate)."""


def verification_url(code: str) -> str:
    """The public page that says whether the certificate is valid: BASE_URL + /verify/<code>."""
    return f"{settings.BASE_URL.rstrip('/')}/verify/{code}"


def pdf_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"
