"""The compliance dashboard on a small made-up organisation at a frozen clock: its figures (worst first),
the drill-down links to the people behind them, the escalation ladder, the flagged people, its CSVs, the
manager chooser, and bounded query counts."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.core.models import Tenant
from duecourse.people.models import OrgUnit
from duecourse.reports import dashboard
from duecourse.testing.factories import assign, make_course, org_unit
from duecourse.testing.scheduling import frozen_at, utc
from duecourse.testing.web import signed_in

NOW = utc("2026-06-15T09:00")
frozen = frozen_at(NOW)


@pytest.fixture
def org(tenant, other_tenant, make_person):
    """Sales: Ann (overdue 2 weeks), Bob (overdue 4 weeks, flagged), Carl (completed). Ops: Dora (completed),
    Eve (exempt). No department: Finn (overdue 5 days), Gina (due next month). Another tenant: one overdue."""
    admin = make_person(tenant, roles=("admin",), name="Ada Admin", email="ada@acme.test")
    hr = make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test")
    sales, ops = org_unit(tenant, OrgUnit.DEPARTMENT, "Sales"), org_unit(tenant, OrgUnit.DEPARTMENT, "Ops")
    boss = make_person(tenant, name="Mona Manager", email="mona@acme.test", department=sales)
    people = {
        name: make_person(
            tenant, name=name, email=f"{name.split()[0].lower()}@acme.test", department=unit, manager=boss
        )
        for name, unit in [
            ("Ann Sales", sales),
            ("Bob Sales", sales),
            ("Carl Sales", sales),
            ("Dora Ops", ops),
            ("Eve Ops", ops),
            ("Finn Nowhere", None),
            ("Gina Nowhere", None),
        ]
    }
    course = make_course(tenant, title="Fire safety")
    due = {
        "Ann Sales": "2026-06-01",
        "Bob Sales": "2026-05-20",
        "Carl Sales": "2026-06-01",
        "Dora Ops": "2026-06-01",
        "Eve Ops": "2026-06-01",
        "Finn Nowhere": "2026-06-10",
        "Gina Nowhere": "2026-07-01",
    }
    items = {name: assign(admin, person, course, due_date=due[name]) for name, person in people.items()}
    for name in ("Carl Sales", "Dora Ops"):
        progress_record(actor=admin, person_id=people[name].pk, course_id=course.pk, completed_at=utc("2026-05-30"))
    # Exempt as a group's exemption leaves it (the facts the status rule reads).
    Assignment.objects.filter(pk=items["Eve Ops"].pk).update(exempt_at=utc("2026-05-01"), exempt_reason="On leave")
    Assignment.objects.filter(pk=items["Bob Sales"].pk).update(compliance_flag=True)
    foreign_admin = make_person(other_tenant, roles=("admin",))
    foreigner = make_person(
        other_tenant, name="Foreign Person", department=org_unit(other_tenant, "department", "Sales")
    )
    assign(foreign_admin, foreigner, make_course(other_tenant), due_date="2026-05-01")
    return {"admin": admin, "hr": hr, "boss": boss, "people": people, "course": course, "tenant": tenant}


def _rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="table[^"]*" id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert table is not None, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def _links(html: str, table_id: str) -> dict[str, str]:
    table = re.search(rf'id="{table_id}">(.*?)</table>', html, re.S)
    assert table is not None
    return {
        text: href.replace("&amp;", "&") for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', table.group(1))
    }


def _manager_links(html: str) -> list[tuple[int, str]]:
    return [(int(pk), name) for pk, name in re.findall(r'href="/team/\?manager=(\d+)">([^<]+)</a>', html)]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
class TestComplianceFigures:
    def test_by_department_worst_first_with_exempt_people_outside_the_rate(self, org):
        html = signed_in(org["hr"]).get("/reports/compliance/").content.decode()

        assert _rows(html, "compliance-table") == [
            ["(none)", "1", "0", "0", "0 %"],
            ["Sales", "3", "1", "0", "33 %"],
            ["Ops", "1", "1", "1", "100 %"],
        ]
        assert re.search(r'id="overall-rate">40 %<', html)  # 2 of 5, across departments
        assert "Foreign Person" not in html

    def test_each_key_links_to_the_people_behind_it(self, org):
        client = signed_in(org["hr"])
        links = _links(client.get("/reports/compliance/").content.decode(), "compliance-table")

        assert links == {"Sales": "/tasks/?department=Sales&status=any", "Ops": "/tasks/?department=Ops&status=any"}
        listed = client.get(links["Sales"]).content.decode()
        for name in ("Ann Sales", "Bob Sales", "Carl Sales"):
            assert name in listed
        assert "Dora Ops" not in listed and "Finn Nowhere" not in listed

    def test_every_dimension_is_a_tab_and_course_links_to_its_training(self, org):
        html = signed_in(org["admin"]).get("/reports/compliance/?by=course").content.decode()

        tabs = re.search(r'<nav class="tabs" aria-label="Compliance by">(.*?)</nav>', html, re.S)
        assert tabs is not None
        assert re.findall(r'href="\?by=(\w+)"', tabs.group(1)) == list(dashboard.dimensions())
        assert _rows(html, "compliance-table") == [["Fire safety", "5", "2", "1", "40 %"]]
        assert _links(html, "compliance-table") == {
            "Fire safety": f"/tasks/?target=course%3A{org['course'].pk}&status=any"
        }
        assert 'id="overall-rate"' not in html  # a course breakdown need not add up to the organisation

    def test_an_unknown_dimension_is_named_and_the_default_shown(self, org):
        response = signed_in(org["hr"]).get("/reports/compliance/?by=planet")

        assert response.status_code == 422
        assert "by: “planet” is not a breakdown" in response.content.decode()

    def test_the_chart_draws_one_linked_bar_per_key_without_style_attributes(self, org):
        html = signed_in(org["hr"]).get("/reports/compliance/").content.decode()

        chart = re.search(r'<svg class="chart chart-bars".*?</svg>', html, re.S)
        assert chart is not None
        assert 'href="/tasks/?department=Sales&amp;status=any"' in chart.group(0)
        assert chart.group(0).count('class="chart-bar ') == 3
        assert "style=" not in html


@pytest.mark.django_db
class TestOverdueAndEscalation:
    def test_overdue_by_department_most_first_linking_to_the_overdue_list(self, org):
        client = signed_in(org["hr"])
        html = client.get("/reports/compliance/").content.decode()

        assert _rows(html, "overdue-table") == [["Sales", "2"], ["(none)", "1"]]
        link = _links(html, "overdue-table")["Sales"]
        assert link == "/tasks/?status=overdue&department=Sales"
        listed = client.get(link).content.decode()
        assert "Ann Sales" in listed and "Bob Sales" in listed and "Carl Sales" not in listed

    def test_ladder_counts_each_tier_of_the_default_policy_as_time_passes(self, org):
        def counts():
            return [(r.tier, r.count) for r in dashboard.overdue_breakdown(actor=org["hr"]).ladder]

        assert counts() == [(1, 1), (2, 1), (3, 1)]  # Finn 5 days, Ann 14, Bob 26 overdue
        with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
            assert counts() == [(1, 0), (2, 1), (3, 2)]
        with time_machine.travel(utc("2026-05-25T09:00"), tick=False):
            assert counts() == [(1, 1), (2, 0), (3, 0)]  # only Bob was overdue then

    def test_ladder_follows_the_tenants_policy_and_shows_the_not_yet_escalated(self, org):
        Tenant.objects.filter(pk=org["tenant"].pk).update(
            settings={
                "escalation": [
                    {"after_days": 7, "to": "manager", "flag": False},
                    {"after_days": 20, "to": None, "flag": True},
                ]
            }
        )
        client = signed_in(org["hr"])
        html = client.get("/reports/compliance/").content.decode()

        assert _rows(html, "ladder-table") == [
            ["Overdue, not escalated yet", "1"],
            ["Tier 1: 7+ days overdue (to Manager)", "1"],
            ["Tier 2: 20+ days overdue (nobody told, flagged)", "1"],
        ]
        links = _links(html, "ladder-table")
        assert links["Overdue, not escalated yet"] == "/tasks/?status=overdue&escalation_tier=0"
        listed = client.get(links["Tier 2: 20+ days overdue (nobody told, flagged)"]).content.decode()
        assert "Bob Sales" in listed and "Ann Sales" not in listed

    def test_flagged_people_are_named_with_a_link_to_their_items(self, org):
        client = signed_in(org["hr"])
        html = client.get("/reports/compliance/").content.decode()

        assert re.search(r'id="flagged-total">1<', html)
        flagged = re.search(r'id="flagged-people">(.*?)</ul>', html, re.S)
        assert flagged is not None and "Bob Sales" in flagged.group(1) and "Ann Sales" not in flagged.group(1)
        assert 'href="/tasks/?compliance_flag=yes&amp;q=bob%40acme.test"' in flagged.group(1)
        listed = client.get("/tasks/?compliance_flag=yes").content.decode()
        assert "Bob Sales" in listed and "Ann Sales" not in listed

    def test_flagged_people_longest_overdue_first_with_their_count(self, org):
        second = assign(org["admin"], org["people"]["Ann Sales"], make_course(org["tenant"]), due_date="2026-05-01")
        Assignment.objects.filter(person__name__in=["Ann Sales", "Finn Nowhere"]).update(compliance_flag=True)

        flagged = dashboard.flagged_people(actor=org["hr"], limit=2)

        assert flagged["count"] == 4
        assert [(p["name"], p["items"]) for p in flagged["people"]] == [("Ann Sales", 2), ("Bob Sales", 1)]
        assert second.due_date.isoformat() == "2026-05-01"  # Ann's oldest is older than Bob's (20 May)


@pytest.mark.django_db
class TestCsv:
    def test_compliance_csv_has_the_tables_rows(self, org):
        response = signed_in(org["hr"]).get("/reports/compliance/compliance.csv?by=department")

        assert response["Content-Disposition"] == 'attachment; filename="compliance-by-department.csv"'
        assert _csv(response) == [
            ["key", "required_due", "completed", "exempt", "rate"],
            ["(none)", "1", "0", "0", "0.0"],
            ["Sales", "3", "1", "0", "0.3333"],
            ["Ops", "1", "1", "1", "1.0"],
        ]

    def test_overdue_and_ladder_csvs(self, org):
        client = signed_in(org["hr"])

        assert _csv(client.get("/reports/compliance/overdue-by-department.csv")) == [
            ["department", "overdue"],
            ["Sales", "2"],
            ["(none)", "1"],
        ]
        ladder = _csv(client.get("/reports/compliance/escalation-ladder.csv"))
        assert [row[0::2] for row in ladder] == [["tier", "overdue"], ["1", "1"], ["2", "1"], ["3", "1"]]

    def test_an_unknown_dimension_is_refused_naming_the_field(self, org):
        response = signed_in(org["hr"]).get("/reports/compliance/compliance.csv?by=planet")

        assert response.status_code == 422
        assert response.content.decode().startswith("by: ")


@pytest.mark.django_db
class TestQueryCounts:
    def _queries(self, client, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    @pytest.mark.parametrize("url", ["/reports/compliance/", "/reports/compliance/?by=course", "/"])
    def test_pages_do_not_grow_with_rows(self, org, make_person, url):
        client = signed_in(org["admin"])
        before = self._queries(client, url)
        tenant = org["tenant"]
        for n in range(6):
            unit = org_unit(tenant, OrgUnit.DEPARTMENT, f"Unit {n}")
            person = make_person(tenant, name=f"Extra {n}", department=unit)
            item = assign(org["admin"], person, make_course(tenant), due_date="2026-05-01")
            Assignment.objects.filter(pk=item.pk).update(compliance_flag=True)

        assert self._queries(client, url) == before
        assert before <= 17


@pytest.mark.django_db
class TestManagerChooser:
    def test_lists_managers_with_their_team_size_and_searches(self, org, make_person):
        other_boss = make_person(org["tenant"], name="Otto Other", email="otto@acme.test")
        make_person(org["tenant"], name="Olga", manager=other_boss)
        make_person(org["tenant"], name="Gone", manager=other_boss, active=False)
        client = signed_in(org["hr"])

        html = client.get("/team/managers/").content.decode()
        assert [row[-1] for row in _rows(html, "managers-table")] == ["7 people", "1 person"]
        assert _manager_links(html) == [(org["boss"].pk, "Mona Manager"), (other_boss.pk, "Otto Other")]
        assert _manager_links(client.get("/team/managers/?q=otto").content.decode()) == [(other_boss.pk, "Otto Other")]
        team = client.get(f"/team/?manager={other_boss.pk}").content.decode()
        assert "Olga" in team


@pytest.mark.django_db
def test_the_trend_shows_each_week_as_it_was_from_the_snapshots(org):
    from duecourse.core import clock
    from duecourse.reports.snapshots import compliance_snapshot_write

    html = signed_in(org["hr"]).get("/reports/compliance/").content.decode()
    assert "No history yet" in html
    # Two weeks ago only Dora had completed; the figures then are kept, whatever happened since.
    with time_machine.travel(utc("2026-06-01T09:00"), tick=False):
        compliance_snapshot_write(org["tenant"].pk, dt.date(2026, 6, 1), clock.now())
    compliance_snapshot_write(org["tenant"].pk, dt.date(2026, 6, 15), clock.now())
    html = signed_in(org["hr"]).get("/reports/compliance/").content.decode()
    rows = _rows(html, "trend-table")
    assert rows[0] == ["15 Jun 2026", "5", "2", "40 %"]  # this week: as the table above
    assert rows[1][0] == "1 Jun 2026" and rows[1] != rows[0]
    assert 'class="chart chart-line' in html or "chart-line" in html


@pytest.mark.django_db
def test_the_at_risk_count_links_to_the_forecasts_list(org, make_person):
    html = signed_in(org["hr"]).get("/reports/compliance/").content.decode()
    assert re.search(r'href="/tasks/\?at_risk=yes"><span class="stat-number" id="at-risk-total">0<', html)
    assign(org["admin"], make_person(org["tenant"]), make_course(org["tenant"], minutes=900), due_date="2026-06-17")
    html = signed_in(org["hr"]).get("/reports/compliance/").content.decode()
    assert re.search(r'id="at-risk-total">1<', html)


@pytest.mark.django_db
def test_the_worker_keeps_the_at_risk_count_and_the_pages_show_it_with_its_time(org, make_person):
    from duecourse.reports.at_risk import FRESH_FOR
    from duecourse.reports.models import AtRiskCount
    from duecourse.scheduler.tick import run_tick

    assign(org["admin"], make_person(org["tenant"]), make_course(org["tenant"], minutes=900), due_date="2026-06-17")
    run_tick(now=NOW, deliver=False)
    assert AtRiskCount.objects.get(tenant=org["tenant"]).items == 1  # the live count's number
    AtRiskCount.objects.filter(tenant=org["tenant"]).update(items=5)  # so the page shows which count it read
    hr = signed_in(org["hr"])
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        dashboard_html = hr.get("/reports/compliance/").content.decode()
        home_html = hr.get("/").content.decode()
    assert re.search(r'id="at-risk-total">5<', dashboard_html)
    assert re.search(r'counted at <time datetime="2026-06-15T09:00:00\+00:00">09:00</time>', dashboard_html)
    assert re.search(r'id="overview-at-risk"><span class="stat-number">5<', home_html)
    with time_machine.travel(NOW + FRESH_FOR + dt.timedelta(minutes=1), tick=False):
        stale_html = hr.get("/reports/compliance/").content.decode()
    assert re.search(r'id="at-risk-total">1<', stale_html) and "counted at" not in stale_html  # counted live
    with time_machine.travel(NOW - dt.timedelta(minutes=1), tick=False):  # a clock set back: not from the future
        assert re.search(r'id="at-risk-total">1<', hr.get("/reports/compliance/").content.decode())
