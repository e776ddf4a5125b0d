"""Two "Send reminder now" clicks at once on PostgreSQL: the database lets one through (202), the other 429."""

import pytest

from duecourse.assignments.tests.test_concurrency import postgres_only, race
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["one", "many"])
def test_two_reminders_at_once_send_one(api_as, tenant, make_person, path):
    admin = make_person(tenant, roles=("admin",))
    manager = make_person(tenant)
    learner = make_person(tenant, manager=manager)
    item = assign(admin, learner, make_course(tenant), due_date="2020-01-01")
    clients = [api_as(admin), api_as(manager)]

    if path == "one":
        responses = race(lambda i: clients[i].post(f"assignments/{item.pk}/remind"), n=2)
        assert sorted(r.status_code for r in responses) == [202, 429], [r.content for r in responses]
        refused = next(r for r in responses if r.status_code == 429).json()
        assert refused["last_sent_at"] == next(r for r in responses if r.status_code == 202).json()["last_sent_at"]
    else:
        body = {"action": "remind", "ids": [item.pk]}
        results = [r.json() for r in race(lambda i: clients[i].post("assignments/actions", body), n=2)]
        assert sorted(r["done"] for r in results) == [0, 1], results
    assert Notification.objects.filter(assignment=item, kind="reminder").count() == 1
    assert AuditEvent.objects.filter(action="assignment.remind").count() == 1
