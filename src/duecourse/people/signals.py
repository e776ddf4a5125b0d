"""Events other apps react to. Handlers are one line that calls a service."""

from django.dispatch import Signal

# Sent inside the transaction after people were created, changed, imported or deactivated.
# kwargs: tenant_id, person_ids (a collection, or None meaning "possibly everyone").
people_changed = Signal()
