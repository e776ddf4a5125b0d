from django.apps import AppConfig


class CompatConfig(AppConfig):
    name = "duecourse.compat"
    label = "compat"
    verbose_name = "Frappe LMS compatibility"
