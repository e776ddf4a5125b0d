# The table `scheduler_state` was created by notifications' first migration; this takes the model over
# without touching the table or its rows (state only).

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("notifications", "0006_notification_person_unchecked"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SchedulerState",
                    fields=[
                        ("key", models.CharField(max_length=60, primary_key=True, serialize=False)),
                        ("last_run_at", models.DateTimeField()),
                    ],
                    options={"db_table": "scheduler_state"},
                ),
            ],
            database_operations=[],
        ),
    ]
