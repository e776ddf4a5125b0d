from django.db import models


class SchedulerState(models.Model):
    """When periodic jobs last ran (e.g. the hourly full reconcile), shared by all workers; a job's row is
    also its lock, so one worker runs it at a time."""

    key = models.CharField(max_length=60, primary_key=True)
    last_run_at = models.DateTimeField()

    class Meta:
        db_table = "scheduler_state"

    def __str__(self) -> str:
        return self.key
