"""Schemathesis fuzzes the whole API from its own OpenAPI document: no input may cause a 5xx.

Requests go in-process to the Django WSGI application (the same database connection as the test),
authenticated as an admin through a real bearer token. The number of examples per operation is
bounded so the whole run stays well under a minute.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.progress import progress_record
from duecourse.config.wsgi import application
from duecourse.scim.tokens import scim_token_create
from duecourse.testing.api import api_token
from duecourse.testing.factories import assign, make_course, make_path, target

EVERY_PATH = r"^/api/v1/"
EXAMPLES_PER_OPERATION = 12

pytestmark = pytest.mark.slow  # hundreds of generated requests


@pytest.fixture
def api_schema():
    # Like Django's test client: the raw WSGI app must not close the test's connection (and with it
    # the transaction the test runs in) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def admin_bearer(admin, tenant, make_person) -> dict[str, str]:
    """An admin's Authorization header, in a tenant with people, a course, a path, an assignment, a
    rule, a certificate and a SCIM token to find (ids start at 1 in a fresh test database, where the
    generated ids mostly land)."""
    boss = make_person(tenant, email="boss@acme.test")
    learner = make_person(tenant, manager=boss)
    course = make_course(tenant, code="FIRE-1", title="Fire safety")
    make_path(tenant, [(course, True)])
    assign(admin, learner, course, due_in_days=10)
    rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {
                "name": "Everyone",
                "audience": {"everyone": True},
                "items": [{"target": target(course)}],
                "certificate": True,
            }
        ),
    )
    progress_record(actor=admin, person_id=learner.pk, course_id=course.pk, progress=100)  # a certificate
    scim_token_create(actor=admin, name="Entra ID")
    return {"Authorization": f"Bearer {api_token(admin, name='fuzz')}"}


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=EVERY_PATH)


@pytest.mark.django_db
@pytest.mark.usefixtures("api_without_static_files")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_causes_a_server_error(case, admin_bearer):
    response = case.call(headers=admin_bearer)

    case.validate_response(response, checks=[not_a_server_error])
