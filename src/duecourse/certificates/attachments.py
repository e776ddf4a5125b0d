"""The certificate PDF as an email attachment: resolved by notifications' registry when the email is
delivered (notifications never imports this app). A PDF that fails to render holds the email and is
recorded on the certificate for admins to see."""

from duecourse.certificates import services
from duecourse.certificates.models import Certificate
from duecourse.notifications.attachments import Attachment, AttachmentFailed, register_attachment_kind


def certificate_attachment(tenant_id: int, certificate_id: int) -> Attachment:
    certificate = (
        Certificate.objects.filter(tenant_id=tenant_id, pk=certificate_id).select_related("person", "tenant").first()
    )
    if certificate is None:
        raise AttachmentFailed(f"certificate {certificate_id} does not exist")
    try:
        filename, content = services.certificate_pdf(certificate)
    except services.PdfUnavailable as exc:
        raise AttachmentFailed(str(exc)) from exc
    return Attachment(filename=filename, content=content, mimetype="application/pdf")


def register_attachments() -> None:
    register_attachment_kind("certificate", certificate_attachment)
