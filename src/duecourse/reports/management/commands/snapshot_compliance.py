import datetime as dt

from django.core.management.base import CommandError

from duecourse.core import clock
from duecourse.core.management.base import DuecourseCommand
from duecourse.core.models import Tenant
from duecourse.reports.snapshots import compliance_snapshot_write, tenant_today


class Command(DuecourseCommand):
    help = (
        "Write the daily compliance snapshot now (the worker writes one per tenant each day). Records the figures "
        "as they are now under --day (default: the tenant's today); a day already written is kept unless --replace."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default=None, help="Tenant name (default: every tenant).")
        parser.add_argument("--day", default=None, help="YYYY-MM-DD to file the figures under (default: today).")
        parser.add_argument("--replace", action="store_true", help="Rewrite a day that is already written.")

    def handle(self, *args, **options):
        day = None
        if options["day"]:
            try:
                day = dt.date.fromisoformat(options["day"])
            except ValueError:
                raise CommandError(f"--day: {options['day']!r} is not a date (YYYY-MM-DD)") from None
        tenants = Tenant.objects.order_by("pk")
        if options["tenant"] is not None:
            tenants = tenants.filter(name=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"--tenant: no tenant named {options['tenant']!r}")
        now = clock.now()
        for tenant in tenants.only("pk", "name", "settings"):
            tenant_day = day or tenant_today(tenant.settings, now)
            rows = compliance_snapshot_write(tenant.pk, tenant_day, now, replace=options["replace"])
            outcome = f"{rows} rows" if rows else "already written (--replace rewrites it)"
            self.stdout.write(f"{tenant.name}: {tenant_day.isoformat()}: {outcome}")
