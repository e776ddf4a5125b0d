"""SCIM tokens: shown once, stored hashed, admin only, revocable; a revoked or foreign secret opens nothing."""

import pytest

from duecourse.core.audit import AuditEvent
from duecourse.core.errors import PermissionDenied, ValidationFailed
from duecourse.scim.models import ScimToken
from duecourse.scim.tokens import scim_actor, scim_token_authenticate, scim_token_create, scim_token_revoke


def test_a_token_is_shown_once_stored_hashed_and_authenticates_until_revoked(tenant, admin):
    token, raw = scim_token_create(actor=admin, name="Entra ID")
    stored = ScimToken.objects.get(pk=token.pk)
    assert raw.split("_", 2)[2] not in stored.secret_hash
    assert scim_token_authenticate(raw) == token
    assert scim_actor(token).label == "SCIM: Entra ID" and scim_actor(token).tenant_id == tenant.pk
    assert scim_token_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert scim_token_authenticate("dc_" + raw.split("_", 1)[1]) is None

    assert scim_token_revoke(actor=admin, token=token) is True
    assert scim_token_authenticate(raw) is None
    assert scim_token_revoke(actor=admin, token=token) is False
    assert list(
        AuditEvent.objects.filter(object_type="scim_token").values_list("action", flat=True).order_by("id")
    ) == [
        "scim_token.create",
        "scim_token.revoke",
    ]


def test_only_an_admin_of_the_tenant_manages_tokens(tenant, admin, learner, make_person, other_tenant):
    with pytest.raises(PermissionDenied):
        scim_token_create(actor=learner, name="sneaky")
    token, _ = scim_token_create(actor=admin)
    stranger = make_person(other_tenant, roles=("admin",))
    with pytest.raises(PermissionDenied):
        scim_token_revoke(actor=stranger, token=token)
    with pytest.raises(ValidationFailed) as failure:
        scim_token_create(actor=admin, name="x" * 101)
    assert failure.value.errors[0].field == "name"
    assert ScimToken.objects.count() == 1
