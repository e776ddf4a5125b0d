from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "duecourse.workspace"
    label = "workspace"
    verbose_name = "L&D workspace (mandatory tasks)"
