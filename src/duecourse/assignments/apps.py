from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "duecourse.assignments"
    label = "assignments"
    verbose_name = "assignments"

    def ready(self) -> None:
        from duecourse.assignments import handlers  # noqa: F401
