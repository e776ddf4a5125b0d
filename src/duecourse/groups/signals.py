from django.dispatch import Signal

# Sent inside the transaction after members joined or left groups.
# kwargs: tenant_id, group_ids (the groups whose membership changed), person_ids (or None: unknown/many).
group_membership_changed = Signal()
