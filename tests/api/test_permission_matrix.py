"""Every me / people / groups / import / token / SCIM token endpoint × every role × own and other tenant.

Rules (people/permissions.py, groups/permissions.py): everyone reads themself at /me; admin,
instructor and hr see every person of their tenant;
a manager sees themself and their direct reports; a learner only themself. Only admins create or
change people (anyone may change their own timezone and locale), import, manage groups, and manage
other people's tokens and the tenant's SCIM tokens (403 for everyone else, whichever token). Groups are
readable by admin, instructor and hr. Whatever is not visible is 404 (never 403), and so is everything in
another tenant; 403 means "you may see it, not do this".
"""

from dataclasses import dataclass

import pytest

from duecourse.core.actors import SystemActor
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group
from duecourse.people.models import Person
from duecourse.people.services import api_token_create
from duecourse.scim.models import ScimToken
from duecourse.scim.tokens import scim_token_create

pytestmark = pytest.mark.usefixtures("api_without_static_files")

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")

NEW_PERSON = {"email": "new.person@acme.test", "name": "New Person"}
IMPORT = {"rows": [{"email": "imported@acme.test", "name": "Imported"}]}
NEW_GROUP = {"name": "New group", "kind": "static"}
TZ = {"timezone": "Asia/Tokyo"}
TITLE = {"job_title": "Chief"}
TOKEN = {"name": "ci"}
RENAME = {"name": "Renamed"}
SCIM_TOKEN = {"name": "Entra ID"}

# Targets: self = the caller; report = the manager's direct report; peer = someone else in the
# tenant; foreign = a person in another tenant; group / foreign-group likewise.
# fmt: off
MATRIX = [
    # method    path                           target           body        adm  ins  hr   mgr  lrn  anon
    ("GET",     "/me",                         None,            None,       200, 200, 200, 200, 200, 401),
    ("GET",     "/people",                     None,            None,       200, 200, 200, 200, 200, 401),
    ("GET",     "/people?format=csv",          None,            None,       200, 200, 200, 200, 200, 401),
    ("POST",    "/people",                     None,            NEW_PERSON, 201, 403, 403, 403, 403, 401),
    ("GET",     "/people/{id}",                "self",          None,       200, 200, 200, 200, 200, 401),
    ("GET",     "/people/{id}",                "report",        None,       200, 200, 200, 200, 404, 401),
    ("GET",     "/people/{id}",                "peer",          None,       200, 200, 200, 404, 404, 401),
    ("GET",     "/people/{id}",                "foreign",       None,       404, 404, 404, 404, 404, 401),
    ("PATCH",   "/people/{id}",                "self",          TZ,         200, 200, 200, 200, 200, 401),
    ("PATCH",   "/people/{id}",                "self",          TITLE,      200, 403, 403, 403, 403, 401),
    ("PATCH",   "/people/{id}",                "report",        TITLE,      200, 403, 403, 403, 404, 401),
    ("PATCH",   "/people/{id}",                "report",        TZ,         200, 403, 403, 403, 404, 401),
    ("PATCH",   "/people/{id}",                "peer",          TITLE,      200, 403, 403, 404, 404, 401),
    ("PATCH",   "/people/{id}",                "foreign",       TITLE,      404, 404, 404, 404, 404, 401),
    ("POST",    "/people/import",              None,            IMPORT,     200, 403, 403, 403, 403, 401),
    ("POST",    "/people/import?dry_run=true", None,            IMPORT,     200, 403, 403, 403, 403, 401),
    ("GET",     "/people/{id}/tokens",         "self",          None,       200, 200, 200, 200, 200, 401),
    ("GET",     "/people/{id}/tokens",         "report",        None,       200, 403, 403, 403, 404, 401),
    ("GET",     "/people/{id}/tokens",         "peer",          None,       200, 403, 403, 404, 404, 401),
    ("GET",     "/people/{id}/tokens",         "foreign",       None,       404, 404, 404, 404, 404, 401),
    ("POST",    "/people/{id}/tokens",         "self",          TOKEN,      201, 201, 201, 201, 201, 401),
    ("POST",    "/people/{id}/tokens",         "peer",          TOKEN,      201, 403, 403, 404, 404, 401),
    ("POST",    "/people/{id}/tokens",         "foreign",       TOKEN,      404, 404, 404, 404, 404, 401),
    ("DELETE",  "/people/{id}/tokens/{token}", "self",          None,       204, 204, 204, 204, 204, 401),
    ("DELETE",  "/people/{id}/tokens/{token}", "report",        None,       204, 403, 403, 403, 404, 401),
    ("DELETE",  "/people/{id}/tokens/{token}", "peer",          None,       204, 403, 403, 404, 404, 401),
    ("DELETE",  "/people/{id}/tokens/{token}", "foreign",       None,       404, 404, 404, 404, 404, 401),
    ("POST",    "/people/{id}/invite",         "self",          None,       202, 403, 403, 403, 403, 401),
    ("POST",    "/people/{id}/invite",         "report",        None,       202, 403, 403, 403, 404, 401),
    ("POST",    "/people/{id}/invite",         "peer",          None,       202, 403, 403, 404, 404, 401),
    ("POST",    "/people/{id}/invite",         "foreign",       None,       404, 404, 404, 404, 404, 401),
    ("GET",     "/groups",                     None,            None,       200, 200, 200, 403, 403, 401),
    ("GET",     "/groups?format=csv",          None,            None,       200, 200, 200, 403, 403, 401),
    ("POST",    "/groups",                     None,            NEW_GROUP,  201, 403, 403, 403, 403, 401),
    ("GET",     "/groups/{id}",                "group",         None,       200, 200, 200, 404, 404, 401),
    ("GET",     "/groups/{id}",                "foreign-group", None,       404, 404, 404, 404, 404, 401),
    ("PATCH",   "/groups/{id}",                "group",         RENAME,     200, 403, 403, 404, 404, 401),
    ("PATCH",   "/groups/{id}",                "foreign-group", RENAME,     404, 404, 404, 404, 404, 401),
    ("DELETE",  "/groups/{id}",                "group",         None,       204, 403, 403, 404, 404, 401),
    ("DELETE",  "/groups/{id}",                "foreign-group", None,       404, 404, 404, 404, 404, 401),
    ("GET",     "/groups/{id}/members",        "group",         None,       200, 200, 200, 404, 404, 401),
    ("GET",     "/groups/{id}/members",        "foreign-group", None,       404, 404, 404, 404, 404, 401),
    ("GET",     "/scim-tokens",                None,            None,       200, 403, 403, 403, 403, 401),
    ("GET",     "/scim-tokens?format=csv",     None,            None,       200, 403, 403, 403, 403, 401),
    ("POST",    "/scim-tokens",                None,            SCIM_TOKEN, 201, 403, 403, 403, 403, 401),
    ("DELETE",  "/scim-tokens/{id}",           "scim-token",    None,       204, 403, 403, 403, 403, 401),
    ("DELETE",  "/scim-tokens/{id}",           "foreign-scim-token", None,  404, 403, 403, 403, 403, 401),
]
# fmt: on


def _cases():
    for method, path, target, body, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            label = f"{method} {path} [{target or '-'}] as {role} -> {status}"
            yield pytest.param(method, path, target, body, role, status, id=label)


@dataclass
class World:
    people: dict[str, Person]
    group: Group
    foreign: Person
    foreign_group: Group
    scim_token: ScimToken
    foreign_scim_token: ScimToken


@pytest.fixture
def world(tenant, other_tenant, make_person) -> World:
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant),
        "peer": make_person(tenant),
    }
    people["report"] = make_person(tenant, manager=people["manager"])
    group = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
    foreign = make_person(other_tenant, roles=("admin",))
    foreign_group = Group.objects.create(tenant=other_tenant, name="Drivers", kind="static")
    scim_token, _ = scim_token_create(actor=people["admin"], name="Entra ID")
    foreign_scim_token, _ = scim_token_create(actor=foreign, name="Entra ID")
    return World(people, group, foreign, foreign_group, scim_token, foreign_scim_token)


def _target(world: World, target: str | None, role: str) -> Person | Group | ScimToken | None:
    return {
        None: None,
        "self": world.people.get(role),
        "report": world.people["report"],
        "peer": world.people["peer"],
        "foreign": world.foreign,
        "group": world.group,
        "foreign-group": world.foreign_group,
        "scim-token": world.scim_token,
        "foreign-scim-token": world.foreign_scim_token,
    }[target]


@pytest.mark.parametrize(("method", "path", "target", "body", "role", "expected"), list(_cases()))
def test_permission_matrix(api_as, world, method, path, target, body, role, expected):
    # Anonymous has no self: any id answers 401.
    obj = world.people["learner"] if (target, role) == ("self", "anonymous") else _target(world, target, role)
    url = path.replace("{id}", str(obj.pk)) if obj is not None else path
    if "{token}" in url:
        token, _ = api_token_create(actor=SystemActor(tenant_id=obj.tenant_id), person=obj, name="victim")
        url = url.replace("{token}", str(token.pk))
    client = api_as(None if role == "anonymous" else world.people[role])
    audit_before = AuditEvent.objects.count()

    call = getattr(client, method.lower())
    response = call(url[1:], body) if body is not None else call(url[1:])

    assert response.status_code == expected, response.content
    if expected >= 400:
        body_json = response.json()
        assert set(body_json) == {"detail", "errors"}
        assert AuditEvent.objects.count() == audit_before  # a refused call changes nothing
    if expected == 200 and path.endswith("format=csv"):
        assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("role", "roles"),
    [
        ("admin", ["admin", "learner"]),
        ("instructor", ["instructor", "learner"]),
        ("hr", ["hr", "learner"]),
        ("manager", ["manager", "learner"]),
        ("learner", ["learner"]),
    ],
)
def test_me_is_the_caller_with_their_roles(api_as, world, role, roles):
    me = world.people[role]

    body = api_as(me).get("me").json()

    assert body == api_as(me).get(f"people/{me.pk}").json()
    assert (body["id"], body["email"], body["roles"]) == (me.pk, me.email, roles)


@pytest.mark.parametrize("role", ["admin", "instructor", "hr", "manager", "learner"])
def test_lists_never_show_another_tenant(api_as, world, role):
    client = api_as(world.people[role])

    people = client.get("people", {"limit": 500}).json()["items"]

    assert world.foreign.pk not in {p["id"] for p in people}
    assert {p["id"] for p in people} <= {p.pk for p in world.people.values()}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("admin", {"admin", "instructor", "hr", "manager", "learner", "peer", "report"}),
        ("hr", {"admin", "instructor", "hr", "manager", "learner", "peer", "report"}),
        ("manager", {"manager", "report"}),
        ("learner", {"learner"}),
    ],
)
def test_each_role_lists_exactly_whom_it_may_see(api_as, world, role, visible):
    client = api_as(world.people[role])

    ids = {p["id"] for p in client.get("people", {"limit": 500}).json()["items"]}

    assert ids == {world.people[name].pk for name in visible}


def test_an_admin_of_another_tenant_sees_nothing_here(api_as, world):
    client = api_as(world.foreign)

    assert client.get(f"people/{world.people['peer'].pk}").status_code == 404
    assert client.get(f"groups/{world.group.pk}").status_code == 404
    assert client.patch(f"people/{world.people['peer'].pk}", {"name": "X"}).status_code == 404
    assert [p["id"] for p in client.get("people").json()["items"]] == [world.foreign.pk]
