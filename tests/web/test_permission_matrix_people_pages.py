"""The people administration pages (add a person, the manager picker, the CSV import) × every role × own
and other tenant.

Rule (people/permissions.py `can_manage_people`, the same as `POST /api/v1/people` and
`POST /api/v1/people/import`; inviting everyone matching: `can_invite_people`): admins only; everyone else
signed in gets 403 and nothing is written;
anonymous is sent to sign in. Another tenant's person is 404; a staged import is its uploader's alone:
anyone else's (or an unknown) token is no import at all (the page sends back to the upload page, the
failures CSV is 404, a confirm writes nothing).
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duecourse.core.models import AuditEvent
from duecourse.people import import_staging
from duecourse.people.models import Person
from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
LOGIN = 302
UPLOAD = "/people/import/"

# fmt: off
MATRIX = [
    # method  path                                        target            adm  ins  hr   mgr  lrn  anon
    ("GET",  "/people/new/",                              None,             200, 403, 403, 403, 403, LOGIN),
    ("POST", "/people/new/",                              None,             302, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/manager-picker/?q=person",          None,             200, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/manager-chip/?person_id={id}",      "person",         200, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/manager-chip/?person_id={id}",      "foreign-person", 404, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/import/",                           None,             200, 403, 403, 403, 403, LOGIN),
    ("POST", "/people/import/",                           None,             302, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/import/{id}/",                      "import",         200, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/import/{id}/",                      "foreign-import", 302, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/import/{id}/failures.csv",          "import",         200, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/import/{id}/failures.csv",          "foreign-import", 404, 403, 403, 403, 403, LOGIN),
    ("POST", "/people/import/{id}/confirm/",              "import",         302, 403, 403, 403, 403, LOGIN),
    ("POST", "/people/import/{id}/confirm/",              "foreign-import", 302, 403, 403, 403, 403, LOGIN),
    ("GET",  "/people/invite-matching/?q=person",         None,             200, 403, 403, 403, 403, LOGIN),
    ("POST", "/people/invite-matching/?q=person",         None,             302, 403, 403, 403, 403, LOGIN),
]
# fmt: on


def _cases():
    for method, path, target, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(method, path, target, role, status, id=f"{method} {path} [{target or '-'}] as {role}")


@dataclass
class World:
    people: dict[str, Person]
    targets: dict[str, str]
    sha: dict[str, str]


def _stage(admin: Person) -> import_staging.StagedImport:
    content = f"email,name\nnew.{admin.tenant_id}@acme.test,New Person\nbad,Bad\n".encode()
    return import_staging.stage(
        actor=admin,
        content=content,
        filename="staff.csv",
        rows=2,
        deactivate_missing=False,
        preview={"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0, "dry_run": True, "failed": []},
    )


@pytest.fixture
def world(settings, tmp_path, tenant, other_tenant, make_person) -> World:
    settings.DATA_DIR = tmp_path
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant),
    }
    make_person(tenant, manager=people["manager"])
    own, foreign = _stage(people["admin"]), _stage(make_person(other_tenant, roles=("admin",)))
    targets = {
        "person": str(people["manager"].pk),
        "foreign-person": str(make_person(other_tenant).pk),
        "import": own.token,
        "foreign-import": foreign.token,
    }
    return World(people, targets, {"import": own.sha256, "foreign-import": foreign.sha256})


def _body(path: str, world: World, target: str | None) -> dict:
    if path == "/people/new/":
        return {"name": "Matrix Made", "email": "matrix@acme.test", "active": "on"}
    if path == UPLOAD:
        return {"file": SimpleUploadedFile("m.csv", b"email,name\nmatrix@acme.test,Matrix Made\n", "text/csv")}
    return {"sha256": world.sha[target]} if target else {}


@pytest.mark.parametrize(("method", "path", "target", "role", "expected"), list(_cases()))
def test_people_admin_page_permission_matrix(client, world, method, path, target, role, expected):
    url = path.replace("{id}", world.targets[target]) if target else path
    if role != "anonymous":
        client = signed_in(world.people[role])
    people_before, imports_before = Person.objects.count(), AuditEvent.objects.filter(action="people.import").count()

    response = client.get(url) if method == "GET" else client.post(url, _body(path, world, target))

    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/login/")
    if target == "foreign-import" and role == "admin" and expected == 302:
        assert response["Location"] == UPLOAD  # someone else's import is no import at all
    wrote = Person.objects.count() != people_before
    imported = AuditEvent.objects.filter(action="people.import").count() != imports_before
    adds = path.startswith(("/people/new/", "/people/import/"))
    assert wrote == (role == "admin" and method == "POST" and adds and target != "foreign-import" and path != UPLOAD)
    invited = AuditEvent.objects.filter(action="invitation.send").exists()
    assert invited == (role == "admin" and method == "POST" and path.startswith("/people/invite-matching/"))
    assert imported == (role == "admin" and target == "import" and method == "POST")
