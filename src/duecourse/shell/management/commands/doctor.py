"""`duecourse doctor`: check the invariants the database does not enforce (`shell.doctor`)."""

from django.core.management.base import CommandError

from duecourse.core.management.base import DuecourseCommand
from duecourse.shell import doctor


class Command(DuecourseCommand):
    help = (
        "Check the invariants the database does not enforce (references without foreign keys, tenants, one open "
        "assignment per person and target, sources of open assignments, late reminders): one line per check, "
        "'ok' or how many rows are wrong with a few of their ids. Only reads; exits 1 when anything is wrong."
    )
    requires_system_checks = []

    def handle(self, *args, **options):
        findings = doctor.run_checks()
        for finding in findings:
            self.stdout.write(finding.line())
        wrong = [finding.name for finding in findings if not finding.ok]
        if wrong:
            raise CommandError(f"{len(wrong)} of {len(findings)} checks found problems: {', '.join(wrong)}")
        self.stdout.write(f"All {len(findings)} checks passed.")
