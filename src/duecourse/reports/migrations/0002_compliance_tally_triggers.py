"""Install the compliance tally's triggers and build it from the assignments (PostgreSQL; nothing on SQLite).

`tally.install` installs the code's current SQL: when the status rule changes, a new migration calls it
again (`test_tally.py` fails until one does)."""

from django.db import migrations


def install(apps, schema_editor):
    from duecourse.reports import tally

    tally.install()


def uninstall(apps, schema_editor):
    from duecourse.reports import tally

    tally.uninstall()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("assignments", "0014_due_at_index_with_id"),
        ("people", "0005_sso_connection_oidc_identity"),
        ("catalog", "__first__"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
