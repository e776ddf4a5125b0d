"""The group, department, site and region pages × every role × own and other tenant.

Rules (groups/permissions.py `can_view_groups`): admin, instructor and hr see the audiences of their
tenant; a manager or learner gets 403 on a list and 404 on one audience's page (what they may not
see does not exist for them), as on the groups pages; another tenant's audience is 404 for everyone;
anonymous is sent to sign in. Each htmx fragment (search, paging, the people filter) answers the same.
"""

from dataclasses import dataclass

import pytest

from duecourse.groups.models import Group
from duecourse.people.models import OrgUnit, Person
from duecourse.testing.factories import org_unit
from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = 302

# fmt: off
MATRIX = [
    # path                                target           htmx   adm  ins  hr   mgr  lrn  anon
    ("/groups/",                          None,            False, 200, 200, 200, 403, 403, LOGIN),
    ("/groups/{id}/",                     "group",         False, 200, 200, 200, 404, 404, LOGIN),
    ("/groups/{id}/",                     "foreign-group", False, 404, 404, 404, 404, 404, LOGIN),
    ("/groups/departments/",              None,            False, 200, 200, 200, 403, 403, LOGIN),
    ("/groups/sites/",                    None,            False, 200, 200, 200, 403, 403, LOGIN),
    ("/groups/regions/?q=em&page=2",      None,            True,  200, 200, 200, 403, 403, LOGIN),
    ("/groups/departments/{id}/",         "department",    False, 200, 200, 200, 404, 404, LOGIN),
    ("/groups/sites/{id}/",               "site",          False, 200, 200, 200, 404, 404, LOGIN),
    ("/groups/regions/{id}/",             "region",        False, 200, 200, 200, 404, 404, LOGIN),
    ("/groups/sites/{id}/?active=false",  "site",          True,  200, 200, 200, 404, 404, LOGIN),
    ("/groups/sites/{id}/",               "foreign-site",  False, 404, 404, 404, 404, 404, LOGIN),
    ("/groups/sites/{id}/?q=a",           "foreign-site",  True,  404, 404, 404, 404, 404, LOGIN),
    ("/groups/regions/{id}/",             "foreign-region", False, 404, 404, 404, 404, 404, LOGIN),
    ("/groups/departments/{id}/",         "site",          False, 404, 404, 404, 404, 404, LOGIN),
    ("/groups/teams/",                    None,            False, 404, 404, 404, 404, 404, 404),
    ("/invitation/1-not-a-real-token/",   None,            False, 404, 404, 404, 404, 404, 404),
]
# fmt: on


def _cases():
    for path, target, htmx, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            label = f"GET {path} [{target or '-'}]{' htmx' if htmx else ''} as {role} -> {status}"
            yield pytest.param(path, target, htmx, role, status, id=label)


@dataclass
class World:
    people: dict[str, Person]
    targets: dict[str, Group | OrgUnit]


@pytest.fixture
def world(tenant, other_tenant, make_person) -> World:
    units = {kind: org_unit(tenant, kind, f"Own {kind}") for kind in ("department", "site", "region")}
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant, **units),
    }
    make_person(tenant, manager=people["manager"], **units)  # the manager's report is in every unit
    targets = {
        "group": Group.objects.create(tenant=tenant, name="Drivers", kind="static"),
        "foreign-group": Group.objects.create(tenant=other_tenant, name="Drivers", kind="static"),
        "foreign-site": org_unit(other_tenant, "site", "Own site"),
        "foreign-region": org_unit(other_tenant, "region", "Own region"),
        **units,
    }
    make_person(other_tenant, site=targets["foreign-site"], region=targets["foreign-region"])
    return World(people, targets)


@pytest.mark.parametrize(("path", "target", "htmx", "role", "expected"), list(_cases()))
def test_page_permission_matrix(client, world, path, target, htmx, role, expected):
    url = path.replace("{id}", str(world.targets[target].pk)) if target else path
    if role != "anonymous":
        client = signed_in(world.people[role])

    response = client.get(url, **(HTMX if htmx else {}))

    assert response.status_code == expected
    if expected == LOGIN:
        assert response["Location"].startswith("/login/")
    if expected == 200 and target in ("department", "site", "region"):
        assert "Own " + target in response.content.decode()
