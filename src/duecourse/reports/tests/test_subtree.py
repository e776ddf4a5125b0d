"""Managers' whole teams: team status with `scope=subtree`, the team page's "Direct reports / Whole team"
switch, indirect reports read-only unless the tenant lets managers act down the line, and each report's
8-week overdue trend."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from duecourse.core.models import Tenant
from duecourse.reports.selectors import trend_word
from duecourse.testing.factories import assign, make_course
from duecourse.testing.scheduling import utc
from duecourse.testing.web import signed_in

pytestmark = pytest.mark.django_db
NOW = utc("2026-06-15T09:00")


@pytest.fixture
def org(tenant, make_person, admin):
    """boss → mid (a manager) → deep; boss → ann. outsider manages zed, outside boss's tree."""
    boss = make_person(tenant, name="Bea Boss", timezone="UTC")
    ann = make_person(tenant, name="Ann Direct", manager=boss, timezone="UTC")
    mid = make_person(tenant, name="Max Middle", manager=boss, timezone="UTC")
    deep = make_person(tenant, name="Dee Deep", manager=mid, timezone="UTC")
    outsider = make_person(tenant, name="Oto Outside", timezone="UTC")
    zed = make_person(tenant, name="Zed Else", manager=outsider, timezone="UTC")
    with time_machine.travel(utc("2026-04-01T09:00"), tick=False):
        course = make_course(tenant, title="Fire safety")
        assign(admin, ann, course, due_date="2026-09-01")
        deep_item = assign(admin, deep, course, due_date="2026-05-01")  # overdue since May
    return {"boss": boss, "ann": ann, "mid": mid, "deep": deep, "outsider": outsider, "zed": zed, "item": deep_item}


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def set_down_the_line(tenant, on: bool) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(settings={"managers_assign_down_the_line": True} if on else {})


class TestTeamStatusApi:
    def test_direct_and_subtree(self, api_as, org):
        client = api_as(org["boss"])
        with time_machine.travel(NOW, tick=False):
            assert names(client.get("reports/team-status")) == ["Ann Direct", "Max Middle"]
            assert names(client.get("reports/team-status", {"scope": "direct"})) == ["Ann Direct", "Max Middle"]
            subtree = client.get("reports/team-status", {"scope": "subtree"})
        assert names(subtree) == ["Ann Direct", "Dee Deep", "Max Middle"]
        deep = next(i for i in subtree.json()["items"] if i["name"] == "Dee Deep")
        assert deep == {
            "person_id": org["deep"].pk,
            "name": "Dee Deep",
            "active": 1,
            "completed": 0,
            "overdue": 1,
            "at_risk": 0,
        }

    def test_staff_ask_for_anyones_subtree(self, admin_api, api_as, tenant, make_person, org):
        hr = api_as(make_person(tenant, roles=("hr",)))
        for client in (admin_api, hr):
            params = {"manager_id": org["boss"].pk, "scope": "subtree"}
            assert names(client.get("reports/team-status", params)) == ["Ann Direct", "Dee Deep", "Max Middle"]

    def test_a_manager_may_see_a_team_below_them_not_outside(self, api_as, org):
        client = api_as(org["boss"])
        assert names(client.get("reports/team-status", {"manager_id": org["mid"].pk})) == ["Dee Deep"]
        for scope in ("direct", "subtree"):
            response = client.get("reports/team-status", {"manager_id": org["outsider"].pk, "scope": scope})
            assert response.status_code == 403, scope
        # Nor upwards: the middle manager may not see their own manager's whole team.
        assert api_as(org["mid"]).get("reports/team-status", {"manager_id": org["boss"].pk}).status_code == 403

    def test_bad_scope_is_422_naming_scope(self, api_as, org):
        response = api_as(org["boss"]).get("reports/team-status", {"scope": "everyone"})
        assert response.status_code == 422
        assert "scope" in str(response.json())

    def test_another_tenants_manager_is_not_found(self, admin_api, other_tenant, make_person, org):
        stranger = make_person(other_tenant)
        make_person(other_tenant, manager=stranger)
        response = admin_api.get("reports/team-status", {"manager_id": stranger.pk, "scope": "subtree"})
        assert response.status_code == 404

    def test_subtree_csv(self, api_as, org):
        with time_machine.travel(NOW, tick=False):
            csv = api_as(org["boss"]).get("reports/team-status", {"scope": "subtree", "format": "csv"})
        lines = b"".join(csv.streaming_content).decode().splitlines()
        assert lines[0] == "person_id,name,active,completed,overdue,at_risk" and len(lines) == 4


def table(html: str) -> str:
    return re.search(r'<table class="table table-hover" id="team-table">(.*?)</table>', html, re.S).group(1)


def items_table(html: str) -> str:
    return re.search(r'id="team-items-table">(.*?)</table>', html, re.S).group(1)


class TestTeamPage:
    def test_the_switch_shows_only_to_managers_with_indirect_reports(self, org):
        assert 'id="team-scope"' in signed_in(org["boss"]).get("/team/").content.decode()
        assert 'id="team-scope"' not in signed_in(org["mid"]).get("/team/").content.decode()
        assert 'id="team-scope"' not in signed_in(org["outsider"]).get("/team/").content.decode()

    def test_whole_team_lists_indirect_people_with_their_manager_read_only(self, org):
        client = signed_in(org["boss"])
        with time_machine.travel(NOW, tick=False):
            direct = client.get("/team/").content.decode()
            whole = client.get("/team/?scope=subtree").content.decode()
        assert "Dee Deep" not in table(direct)
        rows = table(whole)
        assert "Dee Deep" in rows and "Reports to Max Middle" in rows
        assert '<a href="?scope=subtree" class="active" aria-current="page">Whole team (all levels)</a>' in whole
        deep_row = re.search(r'<tr class="team-indirect">(.*?)</tr>', rows, re.S).group(1)
        assert "Assign" not in deep_row and "View only" in deep_row
        assert f"/people/{org['deep'].pk}/" not in deep_row  # a manager cannot open an indirect report's page
        assert f"/assign/person/{org['ann'].pk}/" in rows  # direct reports keep their controls
        # Their items are not the manager's to see or act on while the setting is off.
        assert "Dee Deep" not in items_table(whole)
        assert "Send reminder now" not in whole

    def test_with_the_setting_on_indirect_items_can_be_reminded(self, org, tenant):
        set_down_the_line(tenant, True)
        with time_machine.travel(NOW, tick=False):
            whole = signed_in(org["boss"]).get("/team/?scope=subtree").content.decode()
        items = items_table(whole)
        assert "Dee Deep" in items and "Send reminder now" in items

    def test_the_second_search_keeps_the_scope(self, org):
        client = signed_in(org["boss"])
        with time_machine.travel(NOW, tick=False):
            page = client.get("/team/?scope=subtree").content.decode()
            form = re.search(r'<form class="filters card".*?</form>', page, re.S).group(0)
            assert '<input type="hidden" name="scope" value="subtree">' in form
            # The form's second search, as htmx sends it (its fields, scope among them).
            second = client.get(
                "/team/", {"scope": "subtree", "person": org["deep"].pk, "overdue": "1"}, HTTP_HX_REQUEST="true"
            )
            full = client.get("/team/", {"scope": "subtree", "person": org["deep"].pk, "status": ""})
        assert second.status_code == 200 and 'id="team-items-table"' in second.content.decode()
        html = full.content.decode()
        assert 'aria-current="page">Whole team (all levels)</a>' in html
        assert f'<option value="{org["deep"].pk}" selected>Dee Deep</option>' in html  # still offered

    def test_staff_see_a_managers_whole_team_with_controls(self, admin, org):
        with time_machine.travel(NOW, tick=False):
            html = signed_in(admin).get(f"/team/?manager={org['boss'].pk}&scope=subtree").content.decode()
        assert "Whole team of Bea Boss, all levels" in html
        assert f"/assign/person/{org['deep'].pk}/" in table(html)
        assert "Dee Deep" in items_table(html)

    def test_the_page_stays_within_its_queries(self, org):
        client = signed_in(org["boss"])
        with time_machine.travel(NOW, tick=False):
            client.get("/team/?scope=subtree")
            with CaptureQueriesContext(connection) as direct:
                client.get("/team/")
            with CaptureQueriesContext(connection) as whole:
                client.get("/team/?scope=subtree")
        # The switch's one EXISTS on the direct page; nothing per person in either.
        assert len(whole) <= len(direct) + 1, [q["sql"][:200] for q in whole]


class TestTrend:
    def test_the_word(self):
        assert trend_word([0, 0, 0, 3, 3, 2, 1, 0]) == "improving"
        assert trend_word([0, 0, 0, 0, 0, 1, 1, 2]) == "slipping"
        assert trend_word([1, 1, 1, 1, 1, 1, 1, 1]) == "steady"
        assert trend_word([0] * 8) == "clear"

    def test_a_report_with_a_known_history(self, org, admin, tenant):
        """Dee's item fell overdue on 1 May (weeks 1-3 of 8 clear, then overdue); a second one from 1 June."""
        with time_machine.travel(utc("2026-04-01T09:00"), tick=False):
            assign(admin, org["deep"], make_course(tenant, title="Ladders"), due_date="2026-06-01")
        with time_machine.travel(NOW, tick=False):
            html = signed_in(org["boss"]).get("/team/?scope=subtree").content.decode()
        row = re.search(r'<tr class="team-indirect">(.*?)</tr>', table(html), re.S).group(1)
        # Week ends 27 Apr, 4 May … 15 Jun: the May item from 4 May, the June one from 8 Jun.
        expected = (
            "Overdue items at the end of each of the last 8 weeks, oldest first: 0, 1, 1, 1, 1, 1, 2, 2; slipping"
        )
        assert f'aria-label="{expected}"' in row and f'title="{expected}"' in row
        assert row.count("<rect ") == 8 and "↗ slipping" in row

    def test_completion_ends_the_overdue_weeks(self, org, admin):
        from duecourse.assignments.models import Assignment

        Assignment.objects.filter(pk=org["item"].pk).update(completed_at=utc("2026-05-20T10:00"))
        with time_machine.travel(NOW, tick=False):
            html = signed_in(org["boss"]).get("/team/?scope=subtree").content.decode()
        row = re.search(r'<tr class="team-indirect">(.*?)</tr>', table(html), re.S).group(1)
        assert "oldest first: 0, 1, 1, 1, 0, 0, 0, 0; improving" in row


@pytest.fixture
def english_after():
    """The test client leaves the last language active in this thread: English again for later tests."""
    yield
    translation.deactivate()


def test_the_team_page_speaks_italian_and_german(org, english_after):
    client = signed_in(org["boss"])
    for locale, eyebrow, switch in (("it", "Tutto il Suo team, tutti i livelli", "Tutto il team (tutti i livelli)"),
                                    ("de", "Ihr ganzes Team, alle Ebenen", "Ganzes Team (alle Ebenen)")):  # fmt: skip
        type(org["boss"]).objects.filter(pk=org["boss"].pk).update(
            locale=locale
        )  # not save(): it keeps the sign-in link
        with time_machine.travel(NOW, tick=False):
            html = client.get("/team/?scope=subtree").content.decode()
        assert f'<p class="eyebrow">{eyebrow}</p>' in html and switch in html, locale
        assert "improving" not in html and "Whole team" not in html, locale
