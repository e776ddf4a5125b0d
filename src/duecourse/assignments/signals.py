from django.dispatch import Signal

# Sent inside the transaction after assignments were created, changed or withdrawn; notifications
# (notifications/handlers.py) turn it into inbox entries and reminder plans. kwargs: tenant_id,
# operation_id (set for creations), assignment_ids (or None with an operation), event ("assigned",
# "due_date_changed", "updated", "rescheduled", "recurrence", "withdrawn"), and optionally count (how many
# assignments an operation created).
assignments_changed = Signal()
