from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The site shell: base template, navigation, home, login, audit page, demo data and `serve`."""

    name = "duecourse.shell"
    label = "shell"
    verbose_name = "duecourse site shell"
