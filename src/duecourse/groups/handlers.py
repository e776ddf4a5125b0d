from django.dispatch import receiver

from duecourse.groups import services
from duecourse.people.signals import people_changed


@receiver(people_changed, dispatch_uid="groups.refresh_dynamic_for_people")
def refresh_dynamic_groups(sender, tenant_id, person_ids, **kwargs):
    services.dynamic_groups_refresh(tenant_id=tenant_id, person_ids=person_ids)
