"""Certificates follow the facts in the transaction that changed them (signals of the apps below)."""

from django.dispatch import receiver

from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.assignments.signals import assignments_changed, completions_changed, rule_reconciled
from duecourse.certificates import issuing

# Assignment events that can change whether a completion is held: a withdrawal, a new cycle or a retake.
CHANGING_EVENTS = ("withdrawn", "recurrence")


@receiver(completions_changed, dispatch_uid="certificates.completions_changed")
def on_completions_changed(sender, tenant_id, person_ids, **kwargs):
    issuing.certificates_refresh(tenant_id=tenant_id, person_ids=person_ids)


@receiver(rule_reconciled, dispatch_uid="certificates.rule_reconciled")
def on_rule_reconciled(sender, tenant_id, rule_id, person_ids, **kwargs):
    rule = AssignmentRule.objects.filter(tenant_id=tenant_id, pk=rule_id).first()
    if rule is None or not issuing.concerns_certificates(rule):
        return
    issuing.certificates_refresh(tenant_id=tenant_id, rules=[rule], person_ids=person_ids)


@receiver(assignments_changed, dispatch_uid="certificates.assignments_changed")
def on_assignments_changed(sender, tenant_id, operation_id, assignment_ids, event, **kwargs):
    if event not in CHANGING_EVENTS or not assignment_ids:
        return
    ids = list(assignment_ids)
    person_ids: set[int] = set()
    for start in range(0, len(ids), issuing.CHUNK):
        person_ids.update(
            Assignment.objects.filter(tenant_id=tenant_id, pk__in=ids[start : start + issuing.CHUNK]).values_list(
                "person_id", flat=True
            )
        )
    issuing.certificates_refresh(tenant_id=tenant_id, person_ids=person_ids)
