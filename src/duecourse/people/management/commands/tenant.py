from django.core.management.base import CommandError

from duecourse.core.management.base import DuecourseCommand
from duecourse.people.identities import sso_only_switch_off
from duecourse.people.services import tenant_create
from duecourse.people.sign_in import tenant_named

COMMAND_LINE_LABEL = "Command line"


class Command(DuecourseCommand):
    help = (
        "Manage tenants. `tenant create NAME --admin-email E [--admin-name N]` prints the new tenant's id; "
        "`tenant sso-only NAME --off` lets the tenant's passwords back in (break glass, docs/identity.md)."
    )
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
        sso_only = sub.add_parser(
            "sso-only",
            help="Switch a tenant's SSO only off (when its provider is broken and nobody can sign in).",
            description=(
                "Break glass: switch the tenant's 'SSO only' off, so its people may sign in with passwords "
                "again (audited as 'Command line'). Switching it on is done on the Sign-in settings page."
            ),
        )
        sso_only.add_argument("name", help="The organisation's name.")
        sso_only.add_argument("--off", action="store_true", required=True, help="Switch SSO only off.")

    def handle(self, *args, **options):
        if options["action"] == "sso-only":
            self._sso_only_off(options["name"])
            return
        tenant, admin = tenant_create(
            name=options["name"], admin_email=options["admin_email"], admin_name=options["admin_name"]
        )
        self.stderr.write(f"Created tenant {tenant.name!r} with admin {admin.email}")
        self.stdout.write(str(tenant.pk))

    def _sso_only_off(self, name: str) -> None:
        tenant = tenant_named(name)
        if tenant is None:
            raise CommandError(f"No tenant named {name!r}")
        if sso_only_switch_off(tenant_id=tenant.pk, label=COMMAND_LINE_LABEL):
            self.stdout.write(f"SSO only is off for {tenant.name}: its people may sign in with passwords again.")
        else:
            self.stdout.write(f"SSO only was not on for {tenant.name}; nothing changed.")
