from django.core.management.base import BaseCommand, CommandError

from duecourse.core.errors import DomainError


class DuecourseCommand(BaseCommand):
    """A management command whose domain errors print as one clear line and exit non-zero."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
