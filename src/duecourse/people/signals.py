"""Events other apps react to. Handlers are one line that calls a service."""

from django.dispatch import Signal

# Sent inside the transaction after people were created, changed, imported or deactivated.
# kwargs: tenant_id, person_ids (a collection, or None meaning "possibly everyone").
people_changed = Signal()

# Sent inside the transaction after invitations were sent (`invitations.invitations_send`); notifications
# (above people) writes one invitation email per invitation into the outbox. kwargs: tenant_id,
# invitation_ids.
invitations_sent = Signal()

# Sent inside a transaction when someone asked for a password reset of an existing account: the
# notifications app writes the email. kwargs: person, link (the reset URL), dedup_key (one per request).
password_reset_requested = Signal()
