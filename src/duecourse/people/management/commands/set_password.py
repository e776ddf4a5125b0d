import getpass
import sys

from django.core.management.base import CommandError

from duecourse.core.management.base import DuecourseCommand
from duecourse.people.services import person_find_by_email, person_set_password


class Command(DuecourseCommand):
    help = (
        "Set a person's web login password (any person can log in with their email and password). Without "
        "--password it is read from standard input (one line), or asked twice without echo at a terminal."
    )
    requires_system_checks = []  # like createsuperuser: an operator command that needs no URL/model checks

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The person's email (their web login).")
        parser.add_argument("--tenant", default=None, help="Tenant name, when the email exists in several.")
        parser.add_argument(
            "--password",
            default=None,
            help="The new password. Visible to anyone who can list processes: prefer standard input or the prompt.",
        )

    def handle(self, *args, **options):
        person = person_find_by_email(email=options["email"], tenant_name=options["tenant"])
        password = options["password"]
        if password is None:
            password = self._read_password()
        person_set_password(person=person, password=password)
        self.stderr.write(f"Password set for {person.email} in {person.tenant.name}")

    def _read_password(self) -> str:
        stdin = sys.stdin
        if stdin is None or not stdin.isatty():
            line = stdin.readline() if stdin is not None else ""
            password = line.rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input (one line), and no --password.")
            return password
        password = getpass.getpass("New password: ")
        if password != getpass.getpass("New password again: "):
            raise CommandError("The two passwords differ; nothing changed.")
        return password
