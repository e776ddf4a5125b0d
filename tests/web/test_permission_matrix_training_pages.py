"""Who may open which training configuration page (the web face of assignment rules): every page × every
role, with the own tenant's objects and with another tenant's.

Rules (assignments/permissions.py): admin, instructor and hr see configurations (`can_view_rules`); admins and
instructors change them (`can_manage_rules`); managers and learners get 403 (404 on a group's or org unit's
Training tab, as on its own page); another tenant's configuration or group is 404 for those who may look;
anonymous visitors are sent to the login page (302). A refused request
changes nothing.

Each row: method, path, then the status for admin, instructor, hr, manager, learner, anonymous; after the bar
the statuses with the other tenant's ids for admin, instructor, hr, manager and learner (one value: the same for
all; `-`: no id to swap). Every request runs in a savepoint that is rolled back.
"""

import pytest
from django.test import Client

from duecourse.assignments import living_rules
from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.models import AssignmentRule
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.testing.factories import make_course, org_unit, target
from duecourse.testing.matrix import parse_matrix, rolled_back
from duecourse.testing.web import signed_in

PAGES = """
GET  training/                               200 200 200 403 403 302 | -
GET  training/?audience=group&status=paused  200 200 200 403 403 302 | -
GET  training/new/                           200 200 403 403 403 302 | -
GET  training/new/?kind=group&id={group}     200 200 403 403 403 302 | 404 404 403 403 403
POST training/new/                           302 302 403 403 403 302 | 422 422 403 403 403
POST training/items/                         200 200 403 403 403 302 | -
GET  training/for/group/{group}/             200 200 200 404 404 302 | 404
GET  training/for/department/{department}/   200 200 200 404 404 302 | 404
GET  training/for/planet/{group}/            404 404 404 404 404 302 | 404
GET  training/{rule}/                        200 200 200 403 403 302 | 404
GET  training/{rule}/edit/                   200 200 403 403 403 302 | 404
POST training/{rule}/edit/                   302 302 403 403 403 302 | 404
POST training/{rule}/pause/                  302 302 403 403 403 302 | 404
POST training/{rule}/resume/                 302 302 403 403 403 302 | 404
GET  training/{rule}/delete/                 200 200 403 403 403 302 | 404
POST training/{rule}/delete/                 302 302 403 403 403 302 | 404
"""


def build(tenant, make_person) -> dict:
    admin = make_person(tenant, roles=("admin",), email=f"admin@{tenant.pk}.test")
    manager = make_person(tenant, email=f"manager@{tenant.pk}.test")
    people = {
        "admin": admin,
        "instructor": make_person(tenant, roles=("instructor",), email=f"instructor@{tenant.pk}.test"),
        "hr": make_person(tenant, roles=("hr",), email=f"hr@{tenant.pk}.test"),
        "manager": manager,
        "learner": make_person(tenant, manager=manager, email=f"learner@{tenant.pk}.test"),
    }
    department = org_unit(tenant, "department", "Drivers")
    people["learner"].department = department
    people["learner"].save(update_fields=["department"])
    group = Group.objects.create(tenant=tenant, name="Crew", kind="static")
    GroupMember.objects.create(tenant=tenant, group=group, person=people["learner"])
    course = make_course(tenant, title="Fire safety")
    rule, _ = living_rules.rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {"name": "Crew safety", "audience": {"group_ids": [group.pk]}, "items": [{"target": target(course)}]}
        ),
    )
    return {"people": people, "group": group, "department": department, "course": course, "rule": rule}


def body(method: str, path: str, w: dict) -> dict:
    if method == "GET":
        return {}
    form = {
        "name": "Crew first aid",
        "group_ids": str(w["group"].pk),
        "item_target": f"course:{w['course'].pk}",
        "item_visibility": "required",
        "item_validity": "12",
        "due_mode": "none",
        "priority": "medium",
        "reminder_mode": "default",
        "go": "save",
    }
    if path.startswith("training/items/"):
        return {"op": "add", "add_target": f"course:{w['course'].pk}"}
    if path.endswith(("/pause/", "/resume/", "/delete/")):
        return {"reason": "Checked by the matrix"}
    return form


def fill(path: str, w: dict) -> str:
    for name in ("group", "department", "rule"):
        path = path.replace("{" + name + "}", str(w[name].pk))
    return "/" + path


def call(client: Client, method: str, path: str, data: dict) -> int | str | None:
    """The status of one request inside a savepoint that is always rolled back (a refused one must change nothing)."""
    status: int | str | None = None
    with rolled_back():
        events = AuditEvent.objects.count()
        response = client.get(path) if method == "GET" else client.post(path, data)
        status = response.status_code
        refused = status >= 400 or "/login/" in response.get("Location", "")
        if refused and AuditEvent.objects.count() != events:
            status = f"{status}, yet something changed"
    return status


@pytest.fixture
def worlds(tenant, other_tenant, make_person):
    own, other = build(tenant, make_person), build(other_tenant, make_person)
    clients = {role: signed_in(person) for role, person in own["people"].items()}
    clients["anon"] = Client()
    return own, other, clients


@pytest.mark.django_db
def test_training_pages_permission_matrix(worlds):
    own, other, clients = worlds
    wrong = []
    for method, path, expected, other_expected in parse_matrix(PAGES):
        for role, status in expected.items():
            got = call(clients[role], method, fill(path, own), body(method, path, own))
            if got != status:
                wrong.append(f"{method} {path} as {role}: expected {status}, got {got}")
        for role, status in other_expected.items():
            got = call(clients[role], method, fill(path, other), body(method, path, other))
            if got != status:
                wrong.append(f"{method} {path} (other tenant's ids) as {role}: expected {status}, got {got}")
    assert not wrong, "\n".join(wrong)
    assert AssignmentRule.objects.filter(tenant=own["rule"].tenant).count() == 1  # every call was rolled back
