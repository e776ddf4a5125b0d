"""What the certificate services take: built by the API schemas and the web forms alike."""

from duecourse.core.inputs import ServiceInput


class RevokeInput(ServiceInput):
    reason: str


class LogoInput(ServiceInput):
    """An uploaded image (the bytes as sent; the service checks and re-encodes them)."""

    content: bytes
    filename: str = ""
