from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "duecourse.scheduler"
    label = "scheduler"
    verbose_name = "scheduler"
