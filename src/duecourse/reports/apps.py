from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "duecourse.reports"
    label = "reports"
    verbose_name = "reports"
