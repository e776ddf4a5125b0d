from django.dispatch import receiver

from duecourse.assignments.signals import assignments_changed, reminder_template_names
from duecourse.notifications import account_emails, events, invitations, rendering
from duecourse.people.signals import invitations_sent, password_reset_requested


@receiver(assignments_changed, dispatch_uid="notifications.assignments_changed")
def on_assignments_changed(sender, tenant_id, operation_id, assignment_ids, event, count=None, **kwargs):
    events.assignments_changed(
        tenant_id=tenant_id, operation_id=operation_id, assignment_ids=assignment_ids, event=event, count=count
    )


@receiver(reminder_template_names, dispatch_uid="notifications.reminder_template_names")
def known_template_names(sender, tenant_id, **kwargs):
    return rendering.template_names(tenant_id)


@receiver(invitations_sent, dispatch_uid="notifications.invitations_sent")
def on_invitations_sent(sender, tenant_id, invitation_ids, **kwargs):
    invitations.queue_invitation_emails(tenant_id=tenant_id, invitation_ids=invitation_ids)


@receiver(password_reset_requested, dispatch_uid="notifications.password_reset_requested")
def on_password_reset_requested(sender, person, link, dedup_key, **kwargs):
    account_emails.password_reset_email(person=person, link=link, dedup_key=dedup_key)
