"""The password pages and the sign-in unlock × every role × own and other tenant.

Forgot password and reset links are for everyone (a bad link is 400 for all); Change password is for
anyone signed in; unlocking another person's sign-in is for people admins of the same tenant (403 for
those who may see the person, 404 for those who may not, or in another tenant); anonymous is sent to
sign in.
"""

import pytest

from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
LOGIN = 302

# fmt: off
MATRIX = [
    # method  path                           target        adm  ins  hr   mgr  lrn  anon
    ("get",   "/password/forgot/",           None,         200, 200, 200, 200, 200, 200),
    ("get",   "/password/reset/{id}/x-y/",   "report",     400, 400, 400, 400, 400, 400),
    ("get",   "/password/change/",           None,         200, 200, 200, 200, 200, LOGIN),
    ("post",  "/people/{id}/unlock/",        "report",     302, 403, 403, 403, 404, LOGIN),
    ("post",  "/people/{id}/unlock/",        "foreign",    404, 404, 404, 404, 404, LOGIN),
]
# fmt: on


def _cases():
    for method, path, target, *statuses in MATRIX:
        for role, status in zip(ROLES, statuses, strict=True):
            label = f"{method.upper()} {path} [{target or '-'}] as {role} -> {status}"
            yield pytest.param(method, path, target, role, status, id=label)


@pytest.fixture
def world(tenant, other_tenant, make_person):
    manager = make_person(tenant)
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": manager,
        "learner": make_person(tenant),
    }
    targets = {"report": make_person(tenant, manager=manager), "foreign": make_person(other_tenant)}
    return people, targets


@pytest.mark.parametrize(("method", "path", "target", "role", "expected"), list(_cases()))
def test_password_page_permission_matrix(client, world, method, path, target, role, expected):
    people, targets = world
    url = path.replace("{id}", str(targets[target].pk)) if target else path
    if role != "anonymous":
        client = signed_in(people[role])

    response = getattr(client, method)(url)

    assert response.status_code == expected
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith("/login/")
    elif expected == 302:  # the unlock went through: back to the person's page
        assert response["Location"] == f"/people/{targets[target].pk}/"
