from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "duecourse.sso"
    label = "sso"
    verbose_name = "single sign-on"
