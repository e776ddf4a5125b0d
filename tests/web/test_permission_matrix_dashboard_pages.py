"""The compliance dashboard, its CSVs, the manager chooser and the held/failed emails page × every role ×
own and other tenant.

Rules: the dashboard and its CSVs follow `reports.permissions.can_view_tenant_reports` (admin, instructor,
hr; managers and learners 403, as on the compliance API); the manager chooser too (a manager has their own
Team page); the outbox page `notifications.permissions.can_view_outbox` (admins). Anonymous is sent to sign
in. The pages take no ids: "other tenant" is what they show, never a row of another tenant's.
"""

from dataclasses import dataclass

import pytest

from duecourse.assignments.models import Assignment
from duecourse.core import clock
from duecourse.notifications.models import OutboxMessage
from duecourse.people.models import OrgUnit, Person
from duecourse.testing.factories import assign, make_course, org_unit
from duecourse.testing.scheduling import frozen_at, utc
from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
LOGIN = 302
frozen = frozen_at(utc("2026-06-15T09:00"))

# fmt: off
MATRIX = [
    # path                                                        adm  ins  hr   mgr  lrn  anon
    ("/reports/compliance/",                                      200, 200, 200, 403, 403, LOGIN),
    ("/reports/compliance/?by=course",                            200, 200, 200, 403, 403, LOGIN),
    ("/reports/compliance/?by=planet",                            422, 422, 422, 403, 403, LOGIN),
    ("/reports/compliance/compliance.csv?by=department",          200, 200, 200, 403, 403, LOGIN),
    ("/reports/compliance/compliance.csv?by=planet",              422, 422, 422, 403, 403, LOGIN),
    ("/reports/compliance/overdue-by-department.csv",             200, 200, 200, 403, 403, LOGIN),
    ("/reports/compliance/escalation-ladder.csv",                 200, 200, 200, 403, 403, LOGIN),
    ("/team/managers/",                                           200, 200, 200, 403, 403, LOGIN),
    ("/team/managers/?q=Own",                                     200, 200, 200, 403, 403, LOGIN),
    ("/settings/outbox/",                                         200, 403, 403, 403, 403, LOGIN),
    ("/settings/outbox/?state=failed",                            200, 403, 403, 403, 403, LOGIN),
]
# fmt: on
OWN = {"department": "Own Department", "manager": "Own Manager", "email": "own@acme.test"}
FOREIGN = {"department": "Foreign Department", "manager": "Foreign Manager", "email": "foreign@globex.test"}


def _cases():
    for path, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(path, role, status, id=f"GET {path} as {role} -> {status}")


@dataclass
class World:
    people: dict[str, Person]


def _populate(tenant, admin, names: dict) -> None:
    """An overdue, flagged item in a named department, under a named manager, and a failed email."""
    unit = org_unit(tenant, OrgUnit.DEPARTMENT, names["department"])
    manager = Person.objects.create(tenant=tenant, name=names["manager"], email=f"m.{names['email']}")
    person = Person.objects.create(
        tenant=tenant, name="Somebody", email=names["email"], department=unit, manager=manager
    )
    item = assign(admin, person, make_course(tenant), due_date="2026-05-01")
    Assignment.objects.filter(pk=item.pk).update(compliance_flag=True)
    now = clock.now()
    OutboxMessage.objects.create(
        tenant=tenant, to_email=names["email"], subject="Hello", body_text="…", dedup_key="x", state="failed",
        created_at=now, next_attempt_at=now,
    )  # fmt: skip


@pytest.fixture
def world(tenant, other_tenant, make_person) -> World:
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant),
    }
    make_person(tenant, manager=people["manager"])
    _populate(tenant, people["admin"], OWN)
    _populate(other_tenant, make_person(other_tenant, roles=("admin",)), FOREIGN)
    return World(people)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role", "expected"), list(_cases()))
def test_page_permission_matrix(client, world, path, role, expected):
    if role != "anonymous":
        client = signed_in(world.people[role])

    response = client.get(path)

    assert response.status_code == expected
    if expected == LOGIN:
        assert response["Location"].startswith("/login/")
    if expected != 200:
        return
    content = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    shown = {
        "/reports/compliance/": "department",
        "/reports/compliance/compliance.csv?by=department": "department",
        "/reports/compliance/overdue-by-department.csv": "department",
        "/team/managers/": "manager",
        "/team/managers/?q=Own": "manager",
        "/settings/outbox/": "email",
        "/settings/outbox/?state=failed": "email",
    }.get(path)
    if shown:
        assert OWN[shown] in content
        assert FOREIGN[shown] not in content
    assert "Foreign" not in content and "globex" not in content
