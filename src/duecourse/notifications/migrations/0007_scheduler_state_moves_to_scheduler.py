# `SchedulerState` now belongs to the scheduler app (its migration 0001 takes the model over); the table
# `scheduler_state` and its rows stay where they are (state only).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_notification_person_unchecked"),
        ("scheduler", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SchedulerState")],
            database_operations=[],
        ),
    ]
