from duecourse.core.management.base import DuecourseCommand
from duecourse.people.services import person_find_by_email, person_set_password


class Command(DuecourseCommand):
    help = "Set a person's web login password (any person can log in with their email and password)."
    requires_system_checks = []  # like createsuperuser: an operator command that needs no URL/model checks

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The person's email (their web login).")
        parser.add_argument("--tenant", default=None, help="Tenant name, when the email exists in several.")
        parser.add_argument("--password", required=True, help="The new password (at least 4 characters).")

    def handle(self, *args, **options):
        person = person_find_by_email(email=options["email"], tenant_name=options["tenant"])
        person_set_password(person=person, password=options["password"])
        self.stderr.write(f"Password set for {person.email} in {person.tenant.name}")
