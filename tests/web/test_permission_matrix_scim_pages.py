"""The Provisioning (SCIM) settings page × every role × own and other tenant.

Rule (scim/permissions.py `can_manage_scim_tokens`): only admins see the page, create tokens and revoke them;
everyone else gets 403 (the page as a whole is not theirs, whatever the id); another tenant's token is 404
for an admin; anonymous visitors are sent to sign in. A refused request changes nothing.
"""

import pytest

from duecourse.core.models import AuditEvent
from duecourse.scim.models import ScimToken
from duecourse.scim.tokens import scim_token_create
from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
LOGIN = 302

# fmt: off
MATRIX = [
    # method  path                                              target     adm  ins  hr   mgr  lrn  anon
    ("GET",   "/settings/provisioning/",                        None,      200, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/provisioning/tokens/",                 None,      200, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/provisioning/tokens/{id}/revoke/",     "own",     302, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/provisioning/tokens/{id}/revoke/",     "foreign", 404, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/provisioning/tokens/{id}/revoke/",     "own",     405, 405, 405, 405, 405, 405),
    ("GET",   "/settings/",                                     None,      200, 403, 403, 403, 403, LOGIN),
]
# fmt: on


def _cases():
    for method, path, target, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(method, path, target, role, status, id=f"{method} {path} [{target or '-'}] as {role}")


@pytest.fixture
def world(tenant, other_tenant, make_person):
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant),
    }
    make_person(tenant, manager=people["manager"])
    own, _ = scim_token_create(actor=people["admin"], name="Entra ID")
    foreign, _ = scim_token_create(actor=make_person(other_tenant, roles=("admin",)), name="Entra ID")
    return people, {"own": own, "foreign": foreign}


@pytest.mark.parametrize(("method", "path", "target", "role", "expected"), list(_cases()))
def test_provisioning_page_permission_matrix(client, world, method, path, target, role, expected):
    people, tokens = world
    url = path.replace("{id}", str(tokens[target].pk)) if target else path
    if role != "anonymous":
        client = signed_in(people[role])
    audit_before = AuditEvent.objects.count()
    tokens_before = list(ScimToken.objects.order_by("pk").values_list("pk", "revoked_at"))

    response = getattr(client, method.lower())(url, {"name": "Okta"} if method == "POST" else {})

    assert response.status_code == expected
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith("/login/")
    if expected >= 400 or role == "anonymous":
        assert AuditEvent.objects.count() == audit_before
        assert list(ScimToken.objects.order_by("pk").values_list("pk", "revoked_at")) == tokens_before
    if expected == 200 and path == "/settings/":
        assert 'href="/settings/provisioning/"' in response.content.decode()
