"""Schemathesis fuzzes the people and groups API from its own OpenAPI document: no input may cause a 5xx.

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

from duecourse.config.wsgi import application
from duecourse.people.services import api_token_create

OWNED_PATHS = r"^/api/v1/(people|groups)"
EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def people_groups_schema():
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
    """An admin's Authorization header, in a tenant with a few people and groups to find."""
    boss = make_person(tenant, email="boss@acme.test")
    make_person(tenant, manager=boss)
    _, token = api_token_create(actor=None, person=admin, name="fuzz")
    return {"Authorization": f"Bearer {token}"}


schema = schemathesis.pytest.from_fixture("people_groups_schema").include(path_regex=OWNED_PATHS)


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
