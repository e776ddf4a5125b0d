"""The certificate services people call: revoke, the PDF, the logo printed on certificates.

Issuing and invalidating follow the facts by themselves (`issuing.certificates_refresh`, run by
events and the worker); an admin's only write on a certificate is to revoke it.
"""

import io

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from duecourse.certificates import notices, permissions
from duecourse.certificates.domain import InvalidReason, is_valid
from duecourse.certificates.files import RenderFailed, pdf_filename
from duecourse.certificates.inputs import LogoInput, RevokeInput
from duecourse.certificates.limits import LOGO_FORMATS, MAX_LOGO_BYTES, MAX_LOGO_PIXELS, MAX_REVOKE_REASON_LENGTH
from duecourse.certificates.models import Certificate, TenantLogo
from duecourse.core import clock
from duecourse.core.audit import audit_record
from duecourse.core.errors import Conflict, ValidationFailed, forbidden
from duecourse.people.models import Person

# What `forbidden` says was refused (the pages say the same).
REVOKE_ACTION = pgettext_lazy("forbidden action", "revoke certificates")
LOGO_ACTION = pgettext_lazy("forbidden action", "change the certificate logo")


class PdfUnavailable(Conflict):
    """The PDF could not be rendered (409): the reason is kept on the certificate for admins."""


def certificate_pdf(certificate: Certificate) -> tuple[str, bytes]:
    """(file name, PDF bytes). A failure is recorded on the certificate (`pdf_error`) and raised as
    PdfUnavailable; a success clears an earlier error."""
    from duecourse.certificates.pdf import render_certificate  # the PDF stack loads where a PDF is made

    logo = TenantLogo.objects.filter(tenant_id=certificate.tenant_id).first()
    try:
        content = render_certificate(certificate, logo=logo, now=clock.now())
    except RenderFailed as exc:
        error = str(exc)[:2000]
        Certificate.objects.filter(pk=certificate.pk).update(pdf_error=error)
        raise PdfUnavailable(
            detail=_("The certificate's PDF could not be rendered: %(error)s") % {"error": error}
        ) from exc
    if certificate.pdf_error:
        Certificate.objects.filter(pk=certificate.pk).update(pdf_error="")
    return pdf_filename(certificate), content


def certificate_revoke(*, actor: Person, certificate: Certificate, data: RevokeInput) -> Certificate:
    """An admin revokes a valid certificate with a reason (409 when it is no longer valid). The holder
    is told; they get a new one only after completing a required item again."""
    if not permissions.can_revoke(actor):
        raise forbidden(REVOKE_ACTION)
    reason = data.reason.strip()
    if not reason or len(reason) > MAX_REVOKE_REASON_LENGTH or "\x00" in reason:
        raise ValidationFailed.on(
            "reason",
            _("is required: say why (at most %(limit)s characters)") % {"limit": MAX_REVOKE_REASON_LENGTH},
        )
    now = clock.now()
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk, tenant_id=actor.tenant_id)
        if not is_valid(invalidated_at=certificate.invalidated_at, valid_until=certificate.valid_until, now=now):
            raise Conflict.on("status", _("the certificate is no longer valid; only a valid one can be revoked"))
        certificate.invalidated_at = now
        certificate.invalid_reason = InvalidReason.REVOKED
        certificate.revoke_reason = reason
        certificate.revoked_by = actor
        certificate.save(update_fields=["invalidated_at", "invalid_reason", "revoke_reason", "revoked_by"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="certificate.revoke",
            object_type="certificate",
            object_id=certificate.pk,
            before={"number": certificate.number, "status": "valid"},
            after={"status": "invalid", "invalid_reason": InvalidReason.REVOKED.value},
            reason=reason,
        )
        notices.announce_invalidated([certificate.pk], now=now)
    return certificate


def _clean_logo(data: LogoInput) -> tuple[bytes, int, int]:
    """The upload checked and re-encoded as PNG (no metadata, nothing but pixels reaches a PDF)."""
    from PIL import Image, UnidentifiedImageError  # loaded only by an upload (see `files`)

    if not data.content:
        raise ValidationFailed.on("logo", _("choose an image file (PNG or JPEG)"))
    if len(data.content) > MAX_LOGO_BYTES:
        raise ValidationFailed.on("logo", _("is larger than %(limit)s KB") % {"limit": MAX_LOGO_BYTES // 1024})
    try:
        with Image.open(io.BytesIO(data.content)) as probe:
            kind = probe.format
            probe.verify()
        with Image.open(io.BytesIO(data.content)) as image:
            width, height = image.size
            if kind not in LOGO_FORMATS:
                raise ValidationFailed.on("logo", _("must be a PNG or JPEG image"))
            if not (1 <= width <= MAX_LOGO_PIXELS and 1 <= height <= MAX_LOGO_PIXELS):
                raise ValidationFailed.on(
                    "logo", _("must be at most %(limit)s × %(limit)s pixels") % {"limit": MAX_LOGO_PIXELS}
                )
            image.load()
            converted = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
            buffer = io.BytesIO()
            converted.save(buffer, format="PNG", optimize=True)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed.on("logo", _("is not an image that can be read (PNG or JPEG)")) from exc
    return buffer.getvalue(), width, height


def tenant_logo_set(*, actor: Person, data: LogoInput) -> TenantLogo:
    """Set the logo printed on the tenant's certificates (admins). Audited. Certificate emails held
    because their PDF failed are tried again."""
    if not permissions.can_manage_logo(actor):
        raise forbidden(LOGO_ACTION)
    content, width, height = _clean_logo(data)
    with transaction.atomic():
        logo, created = TenantLogo.objects.update_or_create(
            tenant_id=actor.tenant_id,
            defaults={
                "image": content,
                "content_type": "image/png",
                "width": width,
                "height": height,
                "uploaded_at": clock.now(),
                "uploaded_by": actor,
            },
        )
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="settings.certificate_logo",
            object_type="tenant",
            object_id=actor.tenant_id,
            before=None if created else {"logo": "replaced"},
            after={"logo": f"{width}×{height} PNG, {len(content)} bytes", "filename": data.filename[:200]},
        )
        notices.release_held_emails(actor.tenant_id, now=clock.now())
    return logo


def tenant_logo_remove(*, actor: Person) -> bool:
    """Remove the logo (admins); False when there was none. Audited."""
    if not permissions.can_manage_logo(actor):
        raise forbidden(LOGO_ACTION)
    with transaction.atomic():
        deleted, _ = TenantLogo.objects.filter(tenant_id=actor.tenant_id).delete()
        if deleted:
            audit_record(
                tenant_id=actor.tenant_id,
                actor_id=actor.pk,
                action="settings.certificate_logo",
                object_type="tenant",
                object_id=actor.tenant_id,
                before={"logo": "set"},
                after={"logo": None},
            )
            notices.release_held_emails(actor.tenant_id, now=clock.now())
    return bool(deleted)
