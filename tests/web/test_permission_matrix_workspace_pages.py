"""Who may open the Mandatory tasks workspace and act in it: every page × every role, with the own tenant's
objects and with another tenant's.

Rules (workspace/permissions.py): admin, instructor and hr see the list, its CSV and keep saved views
(`can_view_workspace`); admins and instructors act on it (`can_act_in_workspace`); managers and learners get
403 (they have their team page and My learning); a saved view is its owner's alone (anyone else's, in any
tenant, is 404); another tenant's assignments ticked in an action are "not found" rows, never touched;
anonymous visitors are sent to the login page (302). A refused request changes nothing.

Each row: method, path, then the status for admin, instructor, hr, manager, learner, anonymous; after the bar
the statuses with the other tenant's ids (one value: the same for all; `-`: no id to swap).
"""

import pytest
from django.test import Client

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course, org_unit
from duecourse.testing.matrix import parse_matrix, rolled_back
from duecourse.testing.web import signed_in
from duecourse.workspace.models import SavedView

PAGES = """
GET  tasks/                                        200 200 200 403 403 302 | -
GET  tasks/?status=overdue&department=Drivers      200 200 200 403 403 302 | -
GET  tasks/?q=lea&page=2&sort=person               200 200 200 403 403 302 | -
GET  tasks/export.csv?status=any                   200 200 200 403 403 302 | -
POST tasks/actions/                                302 302 403 403 403 302 | 302 302 403 403 403
POST tasks/views/                                  302 302 302 403 403 302 | -
POST tasks/views/{own_view}/delete/                302 302 302 403 403 302 | -
POST tasks/views/{admin_view}/delete/              302 404 404 403 403 302 | 404 404 404 403 403
"""
HTMX = {"HTTP_HX_REQUEST": "true"}


def build(tenant, make_person) -> dict:
    admin = make_person(tenant, roles=("admin",), email=f"admin@{tenant.pk}.test")
    manager = make_person(tenant, email=f"manager@{tenant.pk}.test")
    people = {
        "admin": admin,
        "instructor": make_person(tenant, roles=("instructor",), email=f"instructor@{tenant.pk}.test"),
        "hr": make_person(tenant, roles=("hr",), email=f"hr@{tenant.pk}.test"),
        "manager": manager,
        "learner": make_person(
            tenant,
            manager=manager,
            email=f"learner@{tenant.pk}.test",
            department=org_unit(tenant, "department", "Drivers"),
        ),
    }
    course = make_course(tenant, title="Fire safety")
    item = assign(admin, people["learner"], course, due_date="2020-01-01")
    views = {
        role: SavedView.objects.create(
            tenant=tenant, person=p, name="Overdue", query="status=overdue", created_at=item.assigned_at
        )
        for role, p in people.items()
    }
    return {"people": people, "assignment": item, "views": views}


def body(method: str, path: str, w: dict) -> dict:
    if path.startswith("tasks/actions/"):
        return {"action": "remind", "ids": [w["assignment"].pk], "query": "status=overdue"}
    if path.startswith("tasks/views/") and not path.endswith("/delete/"):
        return {"name": "Mine", "query": "status=overdue"}
    return {}


def fill(path: str, w: dict, role: str) -> str:
    own = w["views"].get(role)
    path = path.replace("{own_view}", str(own.pk if own else 0))
    return "/" + path.replace("{admin_view}", str(w["views"]["admin"].pk))


def call(client: Client, method: str, path: str, data: dict, **extra) -> int | str | None:
    """The status of one request inside a savepoint that is always rolled back (a refused one must change nothing)."""
    status: int | str | None = None
    with rolled_back():
        before = (AuditEvent.objects.count(), SavedView.objects.count(), Notification.objects.count())
        response = client.get(path, **extra) if method == "GET" else client.post(path, data, **extra)
        status = response.status_code
        refused = status >= 400 or "/login/" in response.get("Location", "")
        after = (AuditEvent.objects.count(), SavedView.objects.count(), Notification.objects.count())
        if refused and after != before:
            status = f"{status}, yet something changed"
    return status


@pytest.fixture
def worlds(tenant, other_tenant, make_person):
    own, other = build(tenant, make_person), build(other_tenant, make_person)
    clients = {role: signed_in(person) for role, person in own["people"].items()}
    clients["anon"] = Client()
    return own, other, clients


@pytest.mark.django_db
def test_workspace_pages_permission_matrix(worlds):
    own, other, clients = worlds
    wrong = []
    for method, path, expected, other_expected in parse_matrix(PAGES):
        for role, status in expected.items():
            for extra in ({}, HTMX) if method == "GET" else ({},):
                got = call(clients[role], method, fill(path, own, role), body(method, path, own), **extra)
                if got != status:
                    wrong.append(f"{method} {path}{' htmx' if extra else ''} as {role}: expected {status}, got {got}")
        for role, status in other_expected.items():
            got = call(clients[role], method, fill(path, other, role), body(method, path, other))
            if got != status:
                wrong.append(f"{method} {path} (other tenant's ids) as {role}: expected {status}, got {got}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_another_tenants_rows_never_show_nor_change(worlds):
    own, other, clients = worlds
    html = clients["admin"].get("/tasks/?status=any").content.decode()
    assert f"/learning/{own['assignment'].pk}/" in html and f"/learning/{other['assignment'].pk}/" not in html
    csv = b"".join(clients["hr"].get("/tasks/export.csv?status=any").streaming_content).decode()
    assert other["people"]["learner"].email not in csv and own["people"]["learner"].email in csv
    clients["admin"].post(
        "/tasks/actions/",
        {"action": "extend", "ids": [other["assignment"].pk], "due_date": "2030-01-01", "reason": "x", "query": ""},
    )
    assert Assignment.objects.get(pk=other["assignment"].pk).due_date == other["assignment"].due_date
