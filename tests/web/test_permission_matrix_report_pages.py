"""The exports page and its CSV downloads × every role × own and other tenant.

Rules (reports/permissions.py `can_run_exports`, the same as compliance): admin, instructor and hr run
the exports organisation-wide; a manager (even for their own reports) and a learner get 403; anonymous
is sent to sign in. The pages take no ids: "other tenant" is what the files hold, never a row of
another tenant's (each role's file is checked for the other tenant's overdue person and completion).
"""

from dataclasses import dataclass

import pytest

from duecourse.assignments.progress import progress_record
from duecourse.people.models import Person
from duecourse.testing.factories import assign, make_course
from duecourse.testing.scheduling import frozen_at, utc
from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
LOGIN = 302
frozen = frozen_at(utc("2026-06-15T09:00"))

# fmt: off
MATRIX = [
    # path                                                        adm  ins  hr   mgr  lrn  anon
    ("/reports/exports/",                                         200, 200, 200, 403, 403, LOGIN),
    ("/reports/exports/overdue-by-department.csv",                200, 200, 200, 403, 403, LOGIN),
    ("/reports/exports/completed-before-start.csv",               200, 200, 200, 403, 403, LOGIN),
    ("/reports/exports/audit-sample.csv?percent=100&seed=4",      200, 200, 200, 403, 403, LOGIN),
    ("/reports/exports/audit-sample.csv?percent=0",               422, 422, 422, 403, 403, LOGIN),
    ("/reports/exports/audit-sample.csv?percent=10&from=x",       422, 422, 422, 403, 403, LOGIN),
]
# fmt: on


def _cases():
    for path, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(path, role, status, id=f"GET {path} as {role} -> {status}")


@dataclass
class World:
    people: dict[str, Person]


@pytest.fixture
def world(tenant, other_tenant, make_person) -> World:
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant),
    }
    report = make_person(tenant, name="Own Report", manager=people["manager"], hire_date=utc("2026-01-01").date())
    course = make_course(tenant)
    assign(people["admin"], report, course, due_date="2026-06-01")
    progress_record(actor=people["admin"], person_id=report.pk, course_id=course.pk, completed_at=utc("2025-12-01"))
    assign(people["admin"], report, make_course(tenant), due_date="2026-06-01")
    foreign_admin = make_person(other_tenant, roles=("admin",))
    foreigner = make_person(other_tenant, name="Foreign Person", hire_date=utc("2026-01-01").date())
    foreign_course = make_course(other_tenant)
    assign(foreign_admin, foreigner, make_course(other_tenant), due_date="2026-06-01")
    progress_record(
        actor=foreign_admin, person_id=foreigner.pk, course_id=foreign_course.pk, completed_at=utc("2025-12-01")
    )
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
    if expected == 200 and ".csv" in path:
        content = b"".join(response.streaming_content).decode()
        assert "Own Report" in content
        assert "Foreign Person" not in content
