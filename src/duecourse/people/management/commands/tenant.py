from duecourse.core.management.base import DuecourseCommand
from duecourse.people.services import tenant_create


class Command(DuecourseCommand):
    help = "Manage tenants. `tenant create NAME --admin-email E [--admin-name N]` prints the new tenant's id."
    requires_system_checks = []  # like createsuperuser: an operator command that needs no URL/model checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser(
            "create",
            help="Create a tenant and its first admin; prints the tenant id.",
            description="Create a tenant and its first admin; prints the new tenant's id on stdout.",
        )
        create.add_argument("name", help="The organisation's name (unique).")
        create.add_argument("--admin-email", required=True, help="Email of the first administrator.")
        create.add_argument("--admin-name", default="", help="Name of the first administrator.")

    def handle(self, *args, **options):
        tenant, admin = tenant_create(
            name=options["name"], admin_email=options["admin_email"], admin_name=options["admin_name"]
        )
        self.stderr.write(f"Created tenant {tenant.name!r} with admin {admin.email}")
        self.stdout.write(str(tenant.pk))
