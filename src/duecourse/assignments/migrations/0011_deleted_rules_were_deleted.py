"""Rules deleted before `deleted_at` existed were only made inactive; `active` False now means paused.

A rule whose history has a `rule.delete` event and that is still inactive was deleted: it gets that
event's time as `deleted_at`. Rules made inactive by a PATCH stay inactive, which now reads as paused
(their assignments were withdrawn back then; resuming re-applies them, as re-activating did).
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def mark_deleted(apps, schema_editor):
    AssignmentRule = apps.get_model("assignments", "AssignmentRule")
    AuditEvent = apps.get_model("core", "AuditEvent")
    last_delete = AuditEvent.objects.filter(
        tenant_id=OuterRef("tenant_id"), object_type="rule", object_id=OuterRef("pk"), action="rule.delete"
    ).order_by("-at", "-id")
    deleted = AssignmentRule.objects.filter(active=False, deleted_at__isnull=True).annotate(
        deleted=Subquery(last_delete.values("at")[:1])
    )
    for rule in deleted.exclude(deleted=None).only("pk"):
        AssignmentRule.objects.filter(pk=rule.pk).update(deleted_at=rule.deleted)


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0010_recert_expiry_passed"),
        ("core", "0003_audit_event_actor_label"),
    ]

    operations = [migrations.RunPython(mark_deleted, migrations.RunPython.noop)]
