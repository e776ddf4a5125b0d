from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "duecourse.people"
    label = "people"
    verbose_name = "people and organisation"
