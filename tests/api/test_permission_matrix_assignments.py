"""Who may call which catalog, assignment, rule, progress, xAPI, report, audit, notification and
settings endpoint; and a check that every endpoint of the OpenAPI document is in a matrix.

Each row is an endpoint; each column the status a role gets. The roles act inside their own tenant
("Acme"). The last columns repeat the call with the ids of another tenant's objects, for admin,
instructor, hr, manager and learner in that order (one value: the same for all; `-`: no id to swap).

Roles: admin; instructor; hr; manager = the person who manages `learner` and assigned `assignment`;
learner = that report (no roles), who holds `assignment`; anon = no token. `outsider_assignment`
belongs to someone who is neither the manager's report nor the learner.

Every call runs in a savepoint that is rolled back, so the cells do not depend on each other.
"""

import json
import uuid
from types import SimpleNamespace

import pytest

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.certificates.models import Certificate
from duecourse.testing.factories import assign, make_course, make_equivalence, make_path, make_skill
from duecourse.testing.matrix import ROLES, parse_matrix, rolled_back

CATALOG = """
GET    courses                          200 200 200 200 200 401 | -
POST   courses                          201 201 403 403 403 401 | -
GET    courses/{course}                 200 200 200 200 200 401 | 404
PATCH  courses/{course}                 200 200 403 403 403 401 | 404
GET    paths                            200 200 200 200 200 401 | -
POST   paths                            201 201 403 403 403 401 | 422 422 403 403 403
GET    paths/{path}                     200 200 200 200 200 401 | 404
PATCH  paths/{path}                     200 200 403 403 403 401 | 404
GET    skills                           200 200 200 200 200 401 | -
POST   skills                           201 201 403 403 403 401 | 422 422 403 403 403
GET    skills/{skill}                   200 200 200 200 200 401 | 404
PATCH  skills/{skill}                   200 200 403 403 403 401 | 404
GET    equivalences                     200 200 200 200 200 401 | -
POST   equivalences                     201 201 403 403 403 401 | 422 422 403 403 403
DELETE equivalences/{equivalence}       204 204 403 403 403 401 | 404
"""

ASSIGNMENTS = """
GET    assignments                      200 200 200 200 200 401 | -
GET    me/assignments                   200 200 200 200 200 401 | -
GET    me/calendar                      200 200 200 200 200 401 | -
POST   me/calendar                      200 200 200 200 200 401 | -
POST   assignments                      201 201 403 201 403 401 | 404
POST   assignments/bulk                 200 200 403 200 403 401 | 404
GET    assignments/{assignment}         200 200 200 200 200 401 | 404
PATCH  assignments/{assignment}         200 200 403 200 403 401 | 404
DELETE assignments/{assignment}         200 200 403 200 403 401 | 404
GET    assignments/{outsider_assignment} 200 200 200 404 404 401 | 404
PATCH  assignments/{outsider_assignment} 200 200 403 404 404 401 | 404
DELETE assignments/{outsider_assignment} 200 200 403 404 404 401 | 404
POST   assignments/{assignment}/exemption 409 409 403 403 403 401 | 404
DELETE assignments/{assignment}/exemption 200 200 403 403 403 401 | 404
POST   assignments/{rule_assignment}/exemption 200 200 403 404 404 401 | 404
DELETE assignments/{rule_assignment}/exemption 200 200 403 404 404 401 | 404
POST   assignments/{assignment}/remind  202 202 403 202 403 401 | 404
POST   assignments/{outsider_assignment}/remind 202 202 403 404 404 401 | 404
POST   assignments/actions              200 200 403 200 403 401 | 200 200 403 200 403
"""

RULES = """
GET    rules                            200 200 200 403 403 401 | -
POST   rules                            201 201 403 403 403 401 | 422 422 403 403 403
POST   rules/preview                    200 200 403 403 403 401 | 422 422 403 403 403
GET    rules/{rule}                     200 200 200 403 403 401 | 404
PATCH  rules/{rule}                     200 200 403 403 403 401 | 404
POST   rules/{rule}/preview             200 200 403 403 403 401 | 404
DELETE rules/{rule}                     200 200 403 403 403 401 | 404
"""

PROGRESS_AND_XAPI = """
POST   progress                         200 200 403 403 403 401 | 404 404 403 403 403
POST   xapi/statements                  200 200 403 403 403 401 | 400 400 403 403 403
PUT    xapi/statements                  204 204 403 403 403 401 | 400 400 403 403 403
GET    xapi/about                       200 200 200 200 200 200 | -
"""

REPORTS_AND_AUDIT = """
GET    reports/team-status              200 200 200 200 403 401 | -
GET    reports/team-status?manager_id={manager} 200 200 200 200 403 401 | 404
GET    reports/compliance               200 200 200 403 403 401 | -
GET    reports/compliance?by=group      200 200 200 403 403 401 | -
GET    reports/compliance?by=rule       200 200 200 403 403 401 | -
GET    reports/compliance/trend?by=site&weeks=4 200 200 200 403 403 401 | -
GET    reports/exports/overdue-by-department 200 200 200 403 403 401 | -
GET    reports/exports/completed-before-start 200 200 200 403 403 401 | -
GET    reports/exports/audit-sample?percent=10 200 200 200 403 403 401 | -
GET    audit                            200 403 403 403 403 401 | -
"""

NOTIFICATIONS_AND_SETTINGS = """
GET    me/notifications                 200 200 200 200 200 401 | -
POST   me/notifications/read            200 200 200 200 200 401 | -
GET    me/notification-preferences      200 200 200 200 200 401 | -
PATCH  me/notification-preferences      200 200 200 200 200 401 | -
GET    outbox                           200 403 403 403 403 401 | -
GET    settings                         200 403 403 403 403 401 | -
PATCH  settings                         200 403 403 403 403 401 | -
"""
# `certificate` is the learner's (the manager's report), `outsider_certificate` the outsider's.
CERTIFICATES = """
GET    certificates                     200 200 200 200 200 401 | -
GET    certificates?format=csv          200 200 200 200 200 401 | -
GET    certificates/{certificate}       200 200 200 200 200 401 | 404
GET    certificates/{outsider_certificate} 200 200 200 404 404 401 | 404
GET    certificates/{certificate}/pdf   200 200 200 200 200 401 | 404
GET    certificates/{outsider_certificate}/pdf 200 200 200 404 404 401 | 404
POST   certificates/{certificate}/revoke 200 403 403 403 403 401 | 404
POST   certificates/{outsider_certificate}/revoke 200 403 403 404 404 401 | 404
"""
TABLES = [CATALOG, ASSIGNMENTS, RULES, PROGRESS_AND_XAPI, REPORTS_AND_AUDIT, NOTIFICATIONS_AND_SETTINGS, CERTIFICATES]


def build_tenant(tenant, make_person):
    admin = make_person(tenant, roles=("admin",), name="Admin")
    instructor = make_person(tenant, roles=("instructor",), name="Instructor")
    hr = make_person(tenant, roles=("hr",), name="HR")
    manager = make_person(tenant, name="Manager")
    learner = make_person(tenant, name="Learner", manager=manager, email=f"learner@{tenant.pk}.test")
    outsider = make_person(tenant, name="Outsider")
    course = make_course(tenant, code=f"C-{tenant.pk}", launch_url=f"https://lms.example.com/{tenant.pk}")
    course2 = make_course(tenant)
    path = make_path(tenant, [(course, True)])
    skill = make_skill(tenant, [course])
    equivalence = make_equivalence(tenant, course2, course)
    assignment = assign(manager, learner, course)
    outsider_assignment = assign(admin, outsider, course)
    rule, _ = rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {
                "name": "Matrix rule",
                "audience": {"person_ids": [outsider.pk]},
                "items": [{"target": {"type": "skill", "id": skill.pk}}],
            }
        ),
    )
    rule_assignment = Assignment.objects.get(person=outsider, target_type="skill", target_id=skill.pk)
    certified = make_course(tenant)
    certificate_rule, _ = rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {
                "name": "Matrix certificate",
                "audience": {"person_ids": [learner.pk, outsider.pk]},
                "items": [{"target": {"type": "course", "id": certified.pk}}],
                "certificate": True,
            }
        ),
    )
    for person in (learner, outsider):
        progress_record(actor=admin, person_id=person.pk, course_id=certified.pk, progress=100)
    certificate = Certificate.objects.get(person=learner)
    outsider_certificate = Certificate.objects.get(person=outsider)
    return SimpleNamespace(**{k: v for k, v in locals().items() if k not in ("tenant", "make_person")})


def bodies(w) -> dict[str, object]:
    """Request bodies, built from one tenant's objects (`w`): the own or the other tenant's."""
    course_target = {"type": "course", "id": w.course2.pk}
    rule = {"name": "New rule", "audience": {"person_ids": [w.learner.pk]}, "items": [{"target": course_target}]}
    statement = {
        "actor": {"mbox": f"mailto:{w.learner.email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": w.course.launch_url},
    }
    return {
        "POST courses": {"code": "NEW", "title": "New"},
        "PATCH courses": {"title": "Renamed"},
        "POST paths": {"title": "New path", "items": [{"course_id": w.course.pk}]},
        "PATCH paths": {"title": "Renamed"},
        "POST skills": {"name": "New skill", "course_ids": [w.course.pk]},
        "PATCH skills": {"name": "Renamed"},
        "POST equivalences": {"course_id": w.course.pk, "satisfies_id": w.course2.pk},
        "POST assignments": {"person_id": w.learner.pk, "target": course_target},
        "POST assignments/bulk": {"targets": [course_target], "assignees": {"person_ids": [w.learner.pk]}},
        "PATCH assignments": {"priority": "high"},
        "POST assignments/exemption": {"reason": "On long-term leave"},
        "POST assignments/actions": {"action": "remind", "ids": [w.assignment.pk, w.outsider_assignment.pk]},
        "POST rules": rule,
        "POST rules/preview": rule,
        "PATCH rules": {"note": "Changed"},
        "POST rules/preview-existing": {"note": "Changed"},
        "POST progress": {"person_id": w.learner.pk, "course_id": w.course.pk, "progress": 50},
        "POST xapi/statements": statement,
        "PUT xapi/statements": statement,
        "POST me/notifications/read": {},
        "PATCH me/notification-preferences": {"email_reminders": False},
        "PATCH settings": {"overload_minutes_30d": 300},
        "POST certificates/revoke": {"reason": "Completed by someone else"},
    }


def body_key(method: str, path: str) -> str:
    if path.startswith("rules/{rule}/preview"):
        return "POST rules/preview-existing"
    if path.endswith("/exemption"):
        return f"{method} assignments/exemption"
    if path.endswith("/remind"):
        return f"{method} assignments/remind"
    if path.endswith("/revoke"):
        return f"{method} certificates/revoke"
    return f"{method} {path.split('/{')[0].split('?')[0]}"


def fill(path: str, w) -> str:
    names = (
        "outsider_certificate",
        "certificate",
        "outsider_assignment",
        "rule_assignment",
        "assignment",
        "course",
        "path",
        "skill",
        "equivalence",
        "rule",
        "manager",
    )
    for name in names:
        path = path.replace("{" + name + "}", str(getattr(w, name).pk))
    return path


def call(client, method: str, path: str, body):
    """One request inside a savepoint that is always rolled back."""
    if method == "PUT" and path == "xapi/statements":
        path = f"xapi/statements?statementId={uuid.uuid4()}"
    status = None
    with rolled_back():
        if method == "GET":
            response = client.get(path)
        elif method == "DELETE":
            response = client.delete(path)
        elif path.startswith("xapi/"):
            response = getattr(client, method.lower())(path, json.dumps(body))
        else:
            response = getattr(client, method.lower())(path, body)
        status = response.status_code
    return status


@pytest.fixture
def world(tenant, other_tenant, make_person, api_as):
    own, other = build_tenant(tenant, make_person), build_tenant(other_tenant, make_person)
    clients = {role: api_as(getattr(own, role)) for role in ROLES[:5]}
    clients["anon"] = api_as(None)
    return own, other, clients


@pytest.mark.parametrize(
    "table",
    TABLES,
    ids=[
        "catalog",
        "assignments",
        "rules",
        "progress-and-xapi",
        "reports-and-audit",
        "notifications-and-settings",
        "certificates",
    ],
)
def test_permission_matrix(world, table):
    own, other, clients = world
    own_bodies, other_bodies = bodies(own), bodies(other)
    wrong = []
    for method, path, expected, other_expected in parse_matrix(table):
        key = body_key(method, path)
        for role, status in expected.items():
            got = call(clients[role], method, fill(path, own), own_bodies.get(key))
            if got != status:
                wrong.append(f"{method} {path} as {role}: expected {status}, got {got}")
        for role, status in other_expected.items():
            got = call(clients[role], method, fill(path, other), other_bodies.get(key))
            if got != status:
                wrong.append(f"{method} {path} (other tenant's ids) as {role}: expected {status}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_lists_never_show_another_tenants_rows(world):
    own, other, clients = world
    foreign = {other.assignment.pk, other.outsider_assignment.pk}
    for role in ROLES[:5]:
        items = clients[role].get("assignments", {"limit": 500}).json()["items"]
        assert not foreign & {i["id"] for i in items}, role
    admin = clients["admin"]
    assert {c["id"] for c in admin.get("courses").json()["items"]} == {own.course.pk, own.course2.pk, own.certified.pk}
    assert sorted(r["id"] for r in admin.get("rules").json()["items"]) == [own.rule.pk, own.certificate_rule.pk]
    foreign_certificates = {other.certificate.pk, other.outsider_certificate.pk}
    for role in ROLES[:5]:
        assert not foreign_certificates & {c["id"] for c in clients[role].get("certificates").json()["items"]}, role
    from duecourse.core.models import AuditEvent

    audit = admin.get("audit", {"limit": 500}).json()
    assert audit["count"] == AuditEvent.objects.filter(tenant_id=own.admin.tenant_id).count()


def test_every_endpoint_is_in_a_permission_matrix():
    """A new endpoint without rows here (or in test_permission_matrix.py) fails this test."""
    import re

    from test_permission_matrix import MATRIX as PEOPLE_AND_GROUPS

    from duecourse.config.api import api

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path.split("?")[0].strip("/"))

    covered = {(row[0], shape(row[1])) for row in PEOPLE_AND_GROUPS}
    covered |= {(method, shape(path)) for table in TABLES for method, path, *_ in parse_matrix(table)}
    documented = {
        (method.upper(), shape(path.removeprefix("/api/v1/")))
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
    }
    assert sorted(documented - covered) == []
