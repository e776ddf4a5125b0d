from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "duecourse.certificates"
    label = "certificates"
    verbose_name = "certificates"

    def ready(self) -> None:
        from duecourse.certificates import handlers  # noqa: F401
        from duecourse.certificates.attachments import register_attachments

        register_attachments()
