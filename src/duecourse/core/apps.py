from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "duecourse.core"
    label = "core"
    verbose_name = "duecourse core"
