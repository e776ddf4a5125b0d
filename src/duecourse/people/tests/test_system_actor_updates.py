"""person_update by the system actor (SCIM provisioning): audited under its label, its own tenant only, and
held to the same validation as an admin's edit."""

import pytest

from duecourse.core.actors import SystemActor
from duecourse.core.errors import PermissionDenied, ValidationFailed
from duecourse.core.models import AuditEvent
from duecourse.people import services
from duecourse.people.inputs import PersonInput

pytestmark = pytest.mark.django_db


def test_the_system_actor_updates_and_is_named_in_the_audit_log(tenant, learner):
    actor = SystemActor(tenant_id=tenant.pk, label="SCIM: Entra ID")
    services.person_update(actor=actor, person=learner, data=PersonInput(job_title="Nurse", active=False))
    learner.refresh_from_db()
    assert (learner.job_title, learner.active) == ("Nurse", False)
    event = AuditEvent.objects.get(action="person.update", object_id=learner.pk)
    assert (event.actor_id, event.actor_label) == (None, "SCIM: Entra ID")


def test_the_system_actor_of_another_tenant_changes_nothing(other_tenant, learner):
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=SystemActor(tenant_id=other_tenant.pk, label="SCIM: theirs"),
            person=learner,
            data=PersonInput(name="Hijacked"),
        )
    learner.refresh_from_db()
    assert learner.name == "Lena Learner"


def test_the_system_actor_gets_the_same_validation(tenant, learner, admin):
    actor = SystemActor(tenant_id=tenant.pk, label="SCIM: Entra ID")
    with pytest.raises(ValidationFailed) as failure:
        services.person_update(actor=actor, person=learner, data=PersonInput(email=admin.email, timezone="Mars/Base"))
    assert {e.field for e in failure.value.errors} >= {"timezone"}
    with pytest.raises(ValidationFailed) as failure:
        services.person_update(actor=actor, person=learner, data=PersonInput(email=admin.email))
    assert failure.value.errors[0].field == "email"
    learner.refresh_from_db()
    assert learner.email == "lena@acme.test"
