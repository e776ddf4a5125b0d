from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "duecourse.groups"
    label = "groups"
    verbose_name = "groups"

    def ready(self) -> None:
        from duecourse.groups import handlers  # noqa: F401
