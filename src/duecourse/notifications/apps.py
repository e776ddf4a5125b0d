from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "duecourse.notifications"
    label = "notifications"
    verbose_name = "notifications"

    def ready(self) -> None:
        from duecourse.notifications import handlers  # noqa: F401
