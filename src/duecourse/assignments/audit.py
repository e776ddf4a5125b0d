"""Reading the audit log of assignments: an assignment's history includes the operation that created it."""

from django.db.models import Q, QuerySet

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent


def audit_events(
    *, tenant_id: int, object_type: str | None = None, object_id: int | None = None, action: str | None = None
) -> QuerySet:
    """The tenant's audit events, newest first, optionally about one object or of one action.

    Big operations write one creation event about the operation, not one per assignment; asking for
    one assignment's events therefore also answers its creating operation's event.
    """
    events = AuditEvent.objects.filter(tenant_id=tenant_id)
    if object_type == "assignment" and object_id:
        operation_id = (
            Assignment.objects.filter(tenant_id=tenant_id, pk=object_id).values_list("operation_id", flat=True).first()
        )
        about = Q(object_type="assignment", object_id=object_id)
        if operation_id:
            about |= Q(object_type="assignment_operation", object_id=operation_id)
        events = events.filter(about)
    else:
        if object_type:
            events = events.filter(object_type=object_type)
        if object_id:
            events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    return events.order_by("-at", "-id")
