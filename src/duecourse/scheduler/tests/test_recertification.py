"""Recertification through the worker (`duecourse worker --once --now`), the API and the pages: notices
once per completion however long the worker was stopped, compliance through the window, and what the
learner and their manager read."""

import datetime as dt

import pytest
import time_machine

from duecourse.notifications.models import OutboxMessage
from duecourse.testing.factories import make_course, org_unit
from duecourse.testing.scheduling import assign_at, inbox, utc, worker_once
from duecourse.testing.scheduling import complete_at as complete
from duecourse.testing.web import signed_in, text

ASSIGNED = utc("2026-02-01T09:00")
COMPLETED = "2026-03-10T10:00:00"
EXPIRES = utc("2027-03-10T10:00")
WINDOW_OPENS = EXPIRES - dt.timedelta(days=30)


@pytest.fixture
def manager(tenant, make_person):
    return make_person(tenant, name="Mia Manager", email="mia@acme.test")


@pytest.fixture
def learner(tenant, make_person, manager):
    drivers = org_unit(tenant, "department", "Drivers")
    return make_person(
        tenant,
        timezone="Europe/London",
        name="Lena Learner",
        email="lena@acme.test",
        manager=manager,
        department=drivers,
    )


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Forklift safety")


@pytest.fixture
def certified(admin, admin_api, learner, course):
    """Lena's forklift certificate: completed 10 Mar 2026, valid 12 months."""
    assignment = assign_at(ASSIGNED, admin, learner, course, due_date="2026-03-20", validity_months=12)
    complete(admin_api, learner, course, COMPLETED)
    return assignment


def read(api, assignment, when: dt.datetime) -> dict:
    with time_machine.travel(when, tick=False):
        return api.get(f"assignments/{assignment.pk}").json()


def test_expiry_notices_go_out_once_however_long_the_worker_was_stopped(admin_api, learner, certified):
    worker_once(WINDOW_OPENS - dt.timedelta(days=5))
    assert inbox(learner, "expiring") == []
    # Stopped for ten days across the opening of the window: the re-opening and its notice happen late, once.
    worker_once(WINDOW_OPENS + dt.timedelta(days=5))
    worker_once(WINDOW_OPENS + dt.timedelta(days=5, hours=1))
    [expiring] = inbox(learner, "expiring")
    body = read(admin_api, certified, WINDOW_OPENS + dt.timedelta(days=5))
    assert (body["status"], body["cycle"], body["due_date"]) == ("assigned", 2, "2027-03-10")

    # Stopped for ten days across the expiry (the old sweep looked back two days only).
    worker_once(EXPIRES - dt.timedelta(days=3))
    assert inbox(learner, "expired") == []
    worker_once(EXPIRES + dt.timedelta(days=7))
    worker_once(EXPIRES + dt.timedelta(days=8))
    [expired] = inbox(learner, "expired")
    assert len(inbox(learner, "expiring")) == 1
    assert read(admin_api, certified, EXPIRES + dt.timedelta(days=7))["status"] == "overdue"
    # Each notice went into an email once.
    bodies = "".join(OutboxMessage.objects.filter(to_email=learner.email).values_list("body_text", flat=True))
    assert bodies.count("Expires soon, recertify: Forklift safety (due 10 Mar 2027)") == 1
    assert bodies.count("Expired, please retake: Forklift safety") == 1


def test_the_compliance_rate_is_unchanged_through_the_window(
    admin, admin_api, tenant, make_person, learner, course, certified
):
    drivers = org_unit(tenant, "department", "Drivers")
    late = make_person(tenant, department=drivers, name="Larry Late")
    assign_at(ASSIGNED, admin, late, course, due_date="2026-03-20", validity_months=12)  # never done: overdue

    def drivers_row(when: dt.datetime) -> dict:
        with time_machine.travel(when, tick=False):
            items = admin_api.get("reports/compliance", {"by": "department"}).json()["items"]
        [row] = [i for i in items if i["key"] == "Drivers"]
        return {k: row[k] for k in ("required_due", "completed", "rate")}

    before = drivers_row(WINDOW_OPENS - dt.timedelta(days=1))
    assert before == {"required_due": 2, "completed": 1, "rate": 0.5}
    worker_once(WINDOW_OPENS)
    assert drivers_row(WINDOW_OPENS + dt.timedelta(hours=1)) == before
    assert drivers_row(EXPIRES - dt.timedelta(minutes=1)) == before
    # Once the old completion has run out (and the expiry date has ended), Lena counts against it.
    assert drivers_row(utc("2027-03-11T00:01")) == {"required_due": 2, "completed": 0, "rate": 0.0}
    with time_machine.travel(EXPIRES - dt.timedelta(minutes=1), tick=False):
        response = admin_api.get("reports/compliance", {"by": "department", "format": "csv"})
    assert "Drivers,2,1,0.5,0" in b"".join(response.streaming_content).decode().splitlines()


def test_my_learning_and_the_team_view_say_recertify_by_and_how_long_the_completion_holds(learner, manager, certified):
    worker_once(WINDOW_OPENS)
    with time_machine.travel(WINDOW_OPENS + dt.timedelta(days=1), tick=False):
        mine = text(signed_in(learner).get("/learning/"))
        team = text(signed_in(manager).get("/team/"))
    assert "Recertify by 10 Mar 2027" in mine
    assert "Your completion of 10 Mar 2026 is valid until 10 Mar 2027." in mine
    assert "Recertify by 10 Mar 2027" in team
    assert "Completion of 10 Mar 2026 is valid until 10 Mar 2027." in team

    with time_machine.travel(utc("2027-03-12T09:00"), tick=False):
        mine = text(signed_in(learner).get(f"/learning/{certified.pk}/"))
    assert "2 days overdue" in mine
    assert "Your completion of 10 Mar 2026 expired on 10 Mar 2027." in mine


def not_started_on_team_page(manager, when: dt.datetime) -> str:
    with time_machine.travel(when, tick=False):
        page = text(signed_in(manager).get("/team/"))
    return page.split("Not started", 1)[1].split("</section>", 1)[0]


def test_a_reopened_recertification_is_not_stalled_until_it_has_waited_as_long_as_a_new_item(
    manager, learner, certified
):
    """The manager's "Not started" list counts from when the current cycle opened, not from the first
    assignment a year earlier."""
    worker_once(WINDOW_OPENS + dt.timedelta(hours=1))
    certified.refresh_from_db()
    assert certified.cycle == 2 and certified.cycle_opened_at is not None

    assert "Forklift safety" not in not_started_on_team_page(manager, WINDOW_OPENS + dt.timedelta(days=2))
    assert "Forklift safety" in not_started_on_team_page(manager, WINDOW_OPENS + dt.timedelta(days=15))
