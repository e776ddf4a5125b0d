# Recertification: each expiry is handled once (`expiry_passed`), read through a partial index.

from django.db import migrations, models
from django.db.models.functions import Now


def expiries_already_past_are_handled(apps, schema_editor):
    """Expiries before this release were told (or skipped) by the old two-day sweep: never again."""
    Assignment = apps.get_model("assignments", "Assignment")
    Assignment.objects.filter(expires_at__lte=Now()).update(expiry_passed=models.F("expires_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0009_rule_recert_window_deleted_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="expiry_passed",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(expiries_already_past_are_handled, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(
                    ("expires_at__isnull", False),
                    ("withdrawn_at__isnull", True),
                    models.Q(
                        ("expiry_passed__isnull", True),
                        models.Q(("expiry_passed", models.F("expires_at")), _negated=True),
                        _connector="OR",
                    ),
                ),
                fields=["expires_at"],
                name="assignment_expiry_pending_idx",
            ),
        ),
    ]
