from django.dispatch import Signal

# Sent inside the transaction after assignments were created, changed or withdrawn; notifications
# (notifications/handlers.py) turn it into inbox entries and reminder plans. kwargs: tenant_id,
# operation_id (set for creations), assignment_ids (or None with an operation), event ("assigned",
# "due_date_changed", "updated", "rescheduled", "recurrence", "recertification" (re-opened before the
# completion expires), "expired" (a completion's validity ran out), "withdrawn"), and optionally count (how
# many assignments an operation created).
assignments_changed = Signal()

# Asked when a reminder plan is saved (assignments, rules, the organisation's default plan): which
# message template names exist for a tenant. notifications (above assignments) answers it from its
# one home, `notifications.rendering.template_names`. kwargs: tenant_id; each receiver returns a
# collection of names.
reminder_template_names = Signal()

# Sent inside the transaction after a rule was applied: saved, deleted, or reconciled for some people
# (membership and directory events) or its whole audience (a save, the periodic safety net); the
# rule's sources on their assignments now match it. Certificates (above assignments) follow it.
# kwargs: tenant_id, rule_id, person_ids (None: the whole audience).
rule_reconciled = Signal()

# Sent inside the transaction after assignments' completion facts (completed_at, expires_at, progress)
# were recomputed from completions and progress. kwargs: tenant_id, person_ids.
completions_changed = Signal()
