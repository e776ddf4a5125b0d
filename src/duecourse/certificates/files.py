"""A certificate's file and link: its PDF's name, its public verification URL, and the error a render
raises. Light on purpose: the PDF stack itself (`pdf`) is imported only where a PDF is rendered."""

from django.conf import settings

from duecourse.certificates.models import Certificate
from duecourse.core.languages import language_for_locale


class RenderFailed(Exception):
    """The PDF could not be rendered; the message says why (shown to admins, kept on the certificate)."""


def verification_url(code: str) -> str:
    """The public page that says whether the certificate is valid: BASE_URL + /verify/<code>."""
    return f"{settings.BASE_URL.rstrip('/')}/verify/{code}"


def pdf_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


def holder_language(locale: str | None) -> str:
    """The language a certificate speaks to its holder (its PDF, the notes about it): their locale's
    (`core.languages.language_for_locale`), else the site's default."""
    return language_for_locale(locale) or settings.LANGUAGE_CODE
