from django.dispatch import receiver
from django.urls import reverse

from duecourse.assignments import exemptions, fanout, living_rules, permissions, progress
from duecourse.catalog.signals import course_estimate_changed
from duecourse.groups.signals import (
    AudienceTab,
    audience_tabs,
    group_delete_blockers,
    group_deleted,
    group_membership_changed,
)
from duecourse.people.signals import people_changed


@receiver(course_estimate_changed, dispatch_uid="assignments.estimates_for_course")
def refresh_estimates_for_course(sender, tenant_id, course_id, **kwargs):
    progress.estimates_refresh(tenant_id=tenant_id, course_id=course_id)


@receiver(people_changed, dispatch_uid="assignments.due_instants_for_people")
def refresh_due_instants_for_people(sender, tenant_id, person_ids, **kwargs):
    fanout.refresh_due_instants(tenant_id=tenant_id, person_ids=person_ids)


@receiver(people_changed, dispatch_uid="assignments.exemption_ends_for_people")
def refresh_exemption_ends_for_people(sender, tenant_id, person_ids, **kwargs):
    exemptions.refresh_exemption_ends(tenant_id=tenant_id, person_ids=person_ids)


@receiver(people_changed, dispatch_uid="assignments.rules_for_people")
def reconcile_rules_for_people(sender, tenant_id, person_ids, **kwargs):
    living_rules.rules_reconcile_for_people(tenant_id=tenant_id, person_ids=person_ids)


@receiver(group_membership_changed, dispatch_uid="assignments.rules_for_groups")
def reconcile_rules_for_groups(sender, tenant_id, group_ids, person_ids, **kwargs):
    living_rules.rules_reconcile_for_groups(tenant_id=tenant_id, group_ids=group_ids, person_ids=person_ids)


@receiver(group_delete_blockers, dispatch_uid="assignments.rules_using_group")
def rules_block_group_delete(sender, tenant_id, group_id, **kwargs):
    return living_rules.rules_using_group(tenant_id=tenant_id, group_id=group_id)


@receiver(group_deleted, dispatch_uid="assignments.rules_forget_group")
def deleted_rules_forget_group(sender, tenant_id, group_id, name, actor, **kwargs):
    living_rules.rules_forget_group(tenant_id=tenant_id, group_id=group_id, name=name, actor=actor)


@receiver(audience_tabs, dispatch_uid="assignments.training_tab")
def training_tab(sender, actor, kind, object_id, **kwargs):
    """The Training tab of a group, department, site or region page, for those who may see its configurations."""
    if not permissions.can_view_rules(actor):
        return []
    return [AudienceTab("training", "Training", reverse("assignments:training-for", args=[kind, object_id]))]
