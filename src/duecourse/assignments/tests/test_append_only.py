"""Completions and audit events are append-only (docs/data-model.md, invariant 3): no API path changes or deletes
them, and the database itself refuses (triggers: `core` migration 0004, `assignments` migration 0017)."""

import json
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from duecourse.assignments.models import Completion
from duecourse.config.api import api
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import assign, make_course

pytestmark = pytest.mark.django_db

TABLES = ["completion", "audit_event"]
XAPI_VERSION = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


@pytest.fixture
def course(tenant):
    return make_course(tenant, code="FORK-1", launch_url="https://lms.example.com/forklift")


@pytest.fixture
def completed(admin, admin_api, learner, course):
    """A completed assignment: a completion and audit events, written through the API."""
    item = assign(admin, learner, course)
    response = admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 100})
    assert response.status_code == 200, response.content
    assert Completion.objects.count() == 1 and AuditEvent.objects.exists()
    return item


def snapshot() -> tuple[list[tuple], list[tuple]]:
    """Every completion and audit event as stored."""
    completions = list(Completion.objects.order_by("pk").values_list())
    events = list(AuditEvent.objects.order_by("pk").values_list())
    return completions, events


def refused(sql: str) -> IntegrityError:
    """Run `sql` in a savepoint (a refused statement aborts PostgreSQL's transaction) and return its error."""
    with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return raised.value


@pytest.mark.parametrize("table", TABLES)
def test_the_database_refuses_an_update(completed, table):
    before = snapshot()
    error = refused(f"UPDATE {table} SET tenant_id = tenant_id")  # noqa: S608
    assert f"{table} is append-only" in str(error) and "UPDATE" in str(error)
    assert snapshot() == before


@pytest.mark.parametrize("table", TABLES)
def test_the_database_refuses_a_delete(completed, table):
    if connection.vendor == "sqlite":
        pytest.skip("no DELETE trigger on SQLite: the test suite's flush empties tables with DELETE")
    before = snapshot()
    error = refused(f"DELETE FROM {table}")  # noqa: S608
    assert f"{table} is append-only" in str(error) and "DELETE" in str(error)
    assert snapshot() == before


def test_the_orm_is_refused_too(completed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Completion.objects.update(score=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=AuditEvent.objects.first().pk).update(reason="rewritten")


def test_new_rows_are_still_written(completed, admin_api, learner, course):
    completions, events = snapshot()
    again = admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 100})
    assert again.status_code == 200, again.content
    assert Completion.objects.count() == len(completions) + 1
    assert AuditEvent.objects.count() > len(events)


# Every API path that reads or writes completions or audit events, and the ones a client could guess.
PATHS = [
    "progress",
    "progress/{completion}",
    "completions",
    "completions/{completion}",
    "audit",
    "audit/{event}",
    "xapi/statements",
    "me/assignments",
    "reports/exports/completed-before-start",
    "reports/exports/audit-sample",
    "assignments/{assignment}/completion",
]


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
@pytest.mark.parametrize("path", PATHS)
def test_no_api_path_changes_or_deletes_them(completed, admin_api, method, path):
    before = snapshot()
    url = path.format(
        completion=Completion.objects.get().pk, event=AuditEvent.objects.first().pk, assignment=completed.pk
    )
    call = getattr(admin_api, method)
    response = call(url) if method == "delete" else call(url, {"score": 0, "reason": "rewritten"})
    if path == "xapi/statements" and method == "put":
        assert response.status_code == 400  # PUT stores a new statement; it needs its id (below)
    else:
        assert response.status_code in (404, 405), (method, url, response.status_code)
    assert snapshot() == before


def test_a_put_of_another_statement_under_a_stored_id_changes_nothing(admin_api, admin, learner, course):
    assign(admin, learner, course)
    statement = {
        "actor": {"objectType": "Agent", "mbox": f"mailto:{learner.email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": "https://lms.example.com/forklift"},
    }
    sid = str(uuid.uuid4())
    stored = admin_api.put(f"xapi/statements?statementId={sid}", json.dumps(statement), **XAPI_VERSION)
    assert stored.status_code == 204, stored.content
    before = snapshot()
    changed = {**statement, "result": {"score": {"scaled": 0.1}}}
    again = admin_api.put(f"xapi/statements?statementId={sid}", json.dumps(changed), **XAPI_VERSION)
    assert again.status_code == 409
    assert snapshot() == before


def test_withdrawing_a_completed_assignment_keeps_its_completion(completed, admin_api):
    before = snapshot()
    response = admin_api.delete(f"assignments/{completed.pk}")
    assert response.status_code == 409
    assert snapshot()[0] == before[0]


def test_the_api_offers_no_method_that_changes_or_deletes_them():
    """In the API's own description: the paths about completions, progress and the audit log only read and
    create (the xAPI PUT stores a new statement under its id, refused with 409 when the id is taken)."""
    schema = api.get_openapi_schema()
    touching = {
        path: set(operations)
        for path, operations in schema["paths"].items()
        if any(word in path for word in ("completion", "progress", "audit", "xapi", "exports"))
    }
    assert "/api/v1/audit" in touching and "/api/v1/progress" in touching
    for path, methods in touching.items():
        allowed = {"get", "post"} | ({"put"} if path == "/api/v1/xapi/statements" else set())
        assert methods <= allowed, path
