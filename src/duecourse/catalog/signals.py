"""Events other apps react to. Handlers are one line that calls a service."""

from django.dispatch import Signal

# Sent inside the transaction after a course's estimated minutes changed (`services.course_update`):
# assignments refresh the estimates their forecast reads. kwargs: tenant_id, course_id.
course_estimate_changed = Signal()
