"""The forecast where people meet it: `at_risk`/`risk_reason` on assignments, the `at_risk` filter (list,
bulk actions, Mandatory tasks), team status counts, the team page, the badge, and the catalog estimate."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.models import Assignment
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_update
from duecourse.testing.factories import assign, make_course, make_path, make_person

pytestmark = pytest.mark.usefixtures("api_without_static_files")

NOW = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)  # a Thursday
LATE_REASON = "not started; needs 3 h; 2 working days left"


@pytest.fixture
def w(tenant, admin):
    boss = make_person(tenant, name="Boss", timezone="UTC")
    ann = make_person(tenant, name="Ann", manager=boss, timezone="UTC")
    bob = make_person(tenant, name="Bob", manager=boss, timezone="UTC")
    long_course, short_course = make_course(tenant, minutes=180), make_course(tenant, minutes=30)
    with time_machine.travel(NOW, tick=False):
        late = assign(admin, ann, long_course, due_date="2026-03-06")  # Thursday and Friday left, needs six days
        fine = assign(admin, bob, short_course, due_date="2026-03-06")
        later = assign(admin, bob, long_course, due_date="2026-04-30")
    return {"boss": boss, "ann": ann, "bob": bob, "late": late, "fine": fine, "later": later, "course": long_course}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("frozen")
class TestApi:
    def test_assignments_carry_at_risk_and_its_reason(self, admin_api, api_as, w):
        items = {i["id"]: i for i in admin_api.get("assignments").json()["items"]}
        assert (items[w["late"].pk]["at_risk"], items[w["late"].pk]["risk_reason"]) == (True, LATE_REASON)
        assert (items[w["fine"].pk]["at_risk"], items[w["fine"].pk]["risk_reason"]) == (False, None)
        one = admin_api.get(f"assignments/{w['late'].pk}").json()
        assert (one["at_risk"], one["risk_reason"]) == (True, LATE_REASON)
        mine = api_as(w["ann"]).get("me/assignments").json()["items"]
        assert [(i["at_risk"], i["risk_reason"]) for i in mine] == [(True, LATE_REASON)]

    def test_the_at_risk_filter(self, admin_api, api_as, w):
        def ids(client, **params):
            response = client.get("assignments", params)
            assert response.status_code == 200, response.content
            return {i["id"] for i in response.json()["items"]}

        assert ids(admin_api, at_risk="true") == {w["late"].pk}
        assert ids(admin_api, at_risk="false") == {w["fine"].pk, w["later"].pk}
        assert ids(api_as(w["boss"]), manager_id=w["boss"].pk, at_risk="true") == {w["late"].pk}
        assert admin_api.get("assignments", {"at_risk": "maybe"}).status_code == 422

    def test_bulk_actions_take_the_filter(self, admin_api, w):
        body = {"action": "extend", "filter": {"at_risk": True}, "due_date": "2026-04-30", "reason": "More time"}
        response = admin_api.post("assignments/actions", body)
        assert response.status_code == 200, response.content
        assert response.json()["done"] == 1
        assert Assignment.objects.get(pk=w["late"].pk).due_date == dt.date(2026, 4, 30)
        assert admin_api.get(f"assignments/{w['late'].pk}").json()["at_risk"] is False  # 40 working days now

    def test_team_status_counts_at_risk(self, api_as, w):
        items = {i["name"]: i for i in api_as(w["boss"]).get("reports/team-status").json()["items"]}
        assert (items["Ann"]["at_risk"], items["Bob"]["at_risk"]) == (1, 0)

    def test_the_list_asks_as_many_queries_whatever_the_number_of_rows(self, admin_api, admin, tenant, w):
        def count() -> list[str]:
            with CaptureQueriesContext(connection) as queries:
                response = admin_api.get("assignments", {"at_risk": "true"})
            assert response.status_code == 200
            return [q["sql"][:120] for q in queries]

        count()  # the token's first use of the day is written once
        few = count()
        for _ in range(5):
            assign(admin, make_person(tenant, timezone="Pacific/Auckland"), w["course"], due_date="2026-03-06")
        assert len(admin_api.get("assignments", {"at_risk": "true"}).json()["items"]) == 6
        assert len(count()) == len(few), (few, count())


@pytest.mark.django_db
def test_a_catalog_estimate_change_moves_the_forecast(tenant, admin, admin_api):
    person = make_person(tenant, timezone="UTC")
    first, second = make_course(tenant, minutes=30), make_course(tenant, minutes=30)
    path = make_path(tenant, [(first, True), (second, True)])
    with time_machine.travel(NOW, tick=False):
        course_item = assign(admin, person, first, due_date="2026-03-06")
        path_item = assign(admin, person, path, due_date="2026-03-06")
        assert admin_api.get(f"assignments/{path_item.pk}").json()["at_risk"] is False  # 60 min, two days
        course_update(actor=admin, course=first, data=CourseInput(estimated_minutes=120))
        assert Assignment.objects.get(pk=course_item.pk).estimated_minutes == 120
        assert Assignment.objects.get(pk=path_item.pk).estimated_minutes == 150
        assert admin_api.get(f"assignments/{course_item.pk}").json()["risk_reason"] == (
            "not started; needs 2 h; 2 working days left"
        )
        assert admin_api.get(f"assignments/{path_item.pk}").json()["at_risk"] is True


@pytest.mark.django_db
def test_every_list_shows_the_badge_and_the_team_page_its_card(tenant, admin, signed_in, w):
    with time_machine.travel(NOW, tick=False):
        badge = f'title="{LATE_REASON}">At risk<span class="sr-only">: {LATE_REASON}</span>'
        pages = {
            "team": signed_in(w["boss"]).get("/team/"),
            "person": signed_in(admin).get(f"/assign/person/{w['ann'].pk}/training/"),
            "assignment": signed_in(admin).get(f"/learning/{w['late'].pk}/"),
            "workspace": signed_in(admin).get("/tasks/", {"at_risk": "yes"}),
        }
        for name, page in pages.items():
            assert page.status_code == 200, name
            assert badge in page.content.decode(), name
        team = pages["team"].content.decode()
        assert 'id="at-risk-actions"' in team and LATE_REASON in team
        workspace = pages["workspace"].content.decode()
        assert "Ann" in workspace and "Bob" not in workspace
        only = signed_in(w["boss"]).get("/team/", {"at_risk": "1"}).content.decode()
        assert 'id="team-item-count">1 item' in only and badge in only
