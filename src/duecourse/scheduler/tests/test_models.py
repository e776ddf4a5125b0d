"""`SchedulerState` moved from notifications to the scheduler without touching its table or rows."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from duecourse.scheduler.models import SchedulerState

BEFORE_THE_MOVE = [("notifications", "0006_notification_person_unchecked"), ("scheduler", None)]


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_the_rows_of_scheduler_state():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduler_state (key, last_run_at) VALUES (%s, %s)",
            ["rules_reconcile", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(SchedulerState.objects.values_list("key", "last_run_at")) == [
        ("rules_reconcile", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    ]
