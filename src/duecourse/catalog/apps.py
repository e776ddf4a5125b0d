from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "duecourse.catalog"
    label = "catalog"
    verbose_name = "catalog"
