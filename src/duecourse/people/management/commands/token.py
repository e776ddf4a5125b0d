from duecourse.core.actors import SystemActor
from duecourse.core.management.base import DuecourseCommand
from duecourse.people.services import api_token_create, person_find_by_email


class Command(DuecourseCommand):
    help = "API tokens. `token create --email E [--tenant NAME]` prints a new token on stdout, and nothing else."
    requires_system_checks = []  # like createsuperuser: an operator command that needs no URL/model checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser(
            "create",
            help="Create a token for a person; prints it once.",
            description="Create an API token for a person; prints it on stdout, and nothing else (shown only once).",
        )
        create.add_argument("--email", required=True, help="The person the token acts as.")
        create.add_argument("--tenant", default=None, help="Tenant name, when the email exists in several.")
        create.add_argument("--name", default="cli", help="A label for the token.")

    def handle(self, *args, **options):
        person = person_find_by_email(email=options["email"], tenant_name=options["tenant"])
        _, plain = api_token_create(
            actor=SystemActor(tenant_id=person.tenant_id, label="Command line"), person=person, name=options["name"]
        )
        self.stdout.write(plain)
