from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "duecourse.scim"
    label = "scim"
    verbose_name = "SCIM provisioning"
