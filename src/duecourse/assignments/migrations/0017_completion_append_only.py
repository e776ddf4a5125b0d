"""The database refuses to change or delete a completion (append-only: docs/data-model.md, invariant 3),
with the same triggers as the audit log (`core` migration 0004, which says what each backend gets)."""

from importlib import import_module

from django.db import migrations

AppendOnly = import_module("duecourse.core.migrations.0004_audit_event_append_only").AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0016_calendar_feed"),
        ("core", "0004_audit_event_append_only"),
    ]

    operations = [AppendOnly("completion")]
