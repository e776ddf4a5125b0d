"""Reports: team status per report and compliance rate by department, site, region and course."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.testing.factories import assign, make_course, make_path, org_unit
from duecourse.testing.scheduling import frozen_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
frozen = frozen_at(NOW)


@pytest.fixture
def org(admin, tenant, make_person):
    """Two departments on two sites; a manager with three reports.

    Sales/Leeds: ann (overdue course A, completed course B), bob (course A completed, course B not yet due)
    Ops/York:    cat (course A overdue, course B optional and past due: never overdue),
                 dan (not a report; course A withdrawn)
    """
    sales, ops = org_unit(tenant, "department", "Sales"), org_unit(tenant, "department", "Ops")
    leeds, york = org_unit(tenant, "site", "Leeds"), org_unit(tenant, "site", "York")
    north = org_unit(tenant, "region", "North")
    boss = make_person(tenant, name="Boss")
    ann = make_person(tenant, name="Ann", manager=boss, department=sales, site=leeds, region=north)
    bob = make_person(tenant, name="Bob", manager=boss, department=sales, site=leeds, region=north)
    cat = make_person(tenant, name="Cat", manager=boss, department=ops, site=york)
    dan = make_person(tenant, name="Dan", department=ops, site=york)
    a, b = make_course(tenant, title="Course A"), make_course(tenant, title="Course B")
    assign(admin, ann, a, due_date="2026-06-01")
    assign(admin, ann, b, due_date="2026-06-01")
    assign(admin, bob, a, due_date="2026-07-01")
    assign(admin, bob, b, due_date="2026-07-01")
    assign(admin, cat, a, due_date="2026-06-10")
    optional = assign(admin, cat, b, due_date="2026-06-10")
    optional.visibility = "optional"
    optional.save()
    from duecourse.assignments import progress, services

    withdrawn = assign(admin, dan, a, due_date="2026-06-01")
    services.assignment_withdraw(actor=admin, assignment=withdrawn)
    progress.progress_record(actor=admin, person_id=ann.pk, course_id=b.pk, progress=100)
    progress.progress_record(actor=admin, person_id=bob.pk, course_id=a.pk, progress=100)
    return {"boss": boss, "ann": ann, "bob": bob, "cat": cat, "dan": dan, "a": a, "b": b}


class TestTeamStatus:
    def test_counts_per_report(self, api_as, org):
        response = api_as(org["boss"]).get("reports/team-status")
        assert response.status_code == 200, response.content
        assert response.json() == {
            "items": [
                {"person_id": org["ann"].pk, "name": "Ann", "active": 1, "completed": 1, "overdue": 1, "at_risk": 0},
                {"person_id": org["bob"].pk, "name": "Bob", "active": 1, "completed": 1, "overdue": 0, "at_risk": 0},
                {"person_id": org["cat"].pk, "name": "Cat", "active": 2, "completed": 0, "overdue": 1, "at_risk": 0},
            ]
        }
        response = api_as(org["boss"]).get("reports/team-status", {"format": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0] == "person_id,name,active,completed,overdue,at_risk"
        assert len(lines) == 4

    def test_a_report_with_no_assignments_counts_zero(self, api_as, tenant, make_person, signed_in):
        """The LEFT JOIN's empty row is no assignment: nothing open, not one."""
        boss = make_person(tenant, name="Boss")
        new = make_person(tenant, name="Nell New", manager=boss)
        response = api_as(boss).get("reports/team-status")
        assert response.status_code == 200, response.content
        assert response.json() == {
            "items": [
                {"person_id": new.pk, "name": "Nell New", "active": 0, "completed": 0, "overdue": 0, "at_risk": 0}
            ]
        }
        page = signed_in(boss).get("/team/")
        assert page.status_code == 200
        html = page.content.decode()
        assert re.search(r'<span class="stat-number">0</span><span>open items</span>', html)
        row = re.search(r"Nell New</a></div></td>\s*<td class=\"right num\">(\d+)</td>", html)
        assert row and row.group(1) == "0"

    def test_the_empty_row_of_a_report_with_none_is_never_counted(self, tenant, make_person):
        """Whatever a count's condition says about NULL columns (the old ones said "open" for them)."""
        from duecourse.reports.selectors import team_status_query

        boss = make_person(tenant)
        make_person(tenant, manager=boss)
        old_open = "a.withdrawn_at IS NULL AND a.completed_at IS NULL"
        [(_, _, opened, anything)] = team_status_query([old_open, "1 = 1"]).fetch([tenant.pk, boss.pk])
        assert (opened, anything) == (0, 0)

    def test_exact_json_and_csv_in_four_queries(self, api_as, org):
        """The hot team view is rendered without response validation: pin its bytes, not just its values."""
        client = api_as(org["boss"])
        client.get("reports/team-status")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("reports/team-status", {"manager_id": org["boss"].pk})
        # The token, the counts, the tenant's learning minutes a day and the at-risk counts (one GROUP BY).
        assert len(queries) <= 4, [q["sql"] for q in queries]
        assert response["Content-Type"] == "application/json; charset=utf-8"
        ann, bob, cat = org["ann"].pk, org["bob"].pk, org["cat"].pk
        assert response.content.decode() == (
            f'{{"items": [{{"person_id": {ann}, "name": "Ann", "active": 1, "completed": 1, "overdue": 1, '
            f'"at_risk": 0}}, '
            f'{{"person_id": {bob}, "name": "Bob", "active": 1, "completed": 1, "overdue": 0, "at_risk": 0}}, '
            f'{{"person_id": {cat}, "name": "Cat", "active": 2, "completed": 0, "overdue": 1, "at_risk": 0}}]}}'
        )
        csv = client.get("reports/team-status", {"format": "csv"})
        assert csv["Content-Type"] == "text/csv; charset=utf-8"
        assert csv["Content-Disposition"] == 'attachment; filename="team-status.csv"'
        assert b"".join(csv.streaming_content).decode() == (
            f"person_id,name,active,completed,overdue,at_risk\r\n{ann},Ann,1,1,1,0\r\n{bob},Bob,1,1,0,0\r\n{cat},Cat,2,0,1,0\r\n"
        )

    def test_reports_who_left_and_expired_completions(self, api_as, admin, org):
        """Inactive reports are not listed; an expired completion is neither active nor completed."""
        from duecourse.assignments.models import Assignment

        org["bob"].active = False
        org["bob"].save()
        Assignment.objects.filter(person=org["ann"], completed_at__isnull=False).update(
            expires_at=NOW - dt.timedelta(days=1)
        )
        items = api_as(org["boss"]).get("reports/team-status").json()["items"]
        assert [(i["name"], i["active"], i["completed"], i["overdue"]) for i in items] == [
            ("Ann", 1, 0, 1),
            ("Cat", 2, 0, 1),
        ]

    def test_staff_see_any_team(self, api_as, tenant, make_person, admin_api, org):
        for client in (
            admin_api,
            api_as(make_person(tenant, roles=("hr",))),
            api_as(make_person(tenant, roles=("instructor",))),
        ):
            response = client.get("reports/team-status", {"manager_id": org["boss"].pk})
            assert response.status_code == 200
            assert len(response.json()["items"]) == 3

    def test_a_manager_sees_only_their_own_team_and_a_learner_none(self, api_as, tenant, make_person, org):
        other_manager = make_person(tenant)
        make_person(tenant, manager=other_manager, name="Zed")
        client = api_as(other_manager)
        assert [i["name"] for i in client.get("reports/team-status").json()["items"]] == ["Zed"]
        assert client.get("reports/team-status", {"manager_id": org["boss"].pk}).status_code == 403
        assert api_as(org["dan"]).get("reports/team-status").status_code == 403
        assert api_as(org["dan"]).get("reports/team-status", {"manager_id": org["boss"].pk}).status_code == 403

    def test_unknown_or_other_tenant_manager_is_404(self, admin_api, other_tenant, make_person, org):
        assert admin_api.get("reports/team-status", {"manager_id": make_person(other_tenant).pk}).status_code == 404
        assert admin_api.get("reports/team-status", {"manager_id": 987654}).status_code == 404


class TestCompliance:
    """rate = completed ÷ required assignments whose due date has passed or which are completed."""

    def rows(self, api, by):
        response = api.get("reports/compliance", {"by": by})
        assert response.status_code == 200, response.content
        return {r["key"]: (r["required_due"], r["completed"], r["rate"]) for r in response.json()["items"]}

    def test_rate_by_each_dimension(self, admin_api, org):
        # Sales: ann A overdue, ann B done, bob A done (bob B not due) → 2 of 3.
        # Ops: cat A overdue (cat B optional, dan A withdrawn) → 0 of 1.
        assert self.rows(admin_api, "department") == {"Ops": (1, 0, 0.0), "Sales": (3, 2, 0.6667)}
        assert self.rows(admin_api, "site") == {"Leeds": (3, 2, 0.6667), "York": (1, 0, 0.0)}
        assert self.rows(admin_api, "region") == {"(none)": (1, 0, 0.0), "North": (3, 2, 0.6667)}
        # A: ann overdue, bob done, cat overdue → 1 of 3; B: ann done (bob not due) → 1 of 1.
        assert self.rows(admin_api, "course") == {"Course A": (3, 1, 0.3333), "Course B": (1, 1, 1.0)}
        response = admin_api.get("reports/compliance", {"by": "site", "format": "csv"})
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines == ["key,required_due,completed,rate,exempt", "Leeds,3,2,0.6667,0", "York,1,0,0.0,0"]

    def test_by_course_counts_only_course_targets(self, admin, admin_api, tenant, org):
        path = make_path(tenant, [(org["a"], True)])
        assign(admin, org["dan"], path, due_date="2026-01-01")
        assert set(self.rows(admin_api, "course")) == {"Course A", "Course B"}

    def test_nothing_due_gives_no_rate(self, admin, admin_api, tenant, make_person):
        assign(
            admin,
            make_person(tenant, department=org_unit(tenant, "department", "New")),
            make_course(tenant),
            due_date="2027-01-01",
        )
        assert self.rows(admin_api, "department") == {"New": (0, 0, None)}

    def test_bad_dimension_is_422(self, admin_api):
        assert admin_api.get("reports/compliance", {"by": "team"}).status_code == 422

    def test_permissions(self, api_as, tenant, make_person, org):
        for roles in (("hr",), ("instructor",)):
            assert api_as(make_person(tenant, roles=roles)).get("reports/compliance").status_code == 200
        assert api_as(org["boss"]).get("reports/compliance").status_code == 403
        assert api_as(org["dan"]).get("reports/compliance").status_code == 403

    def test_other_tenants_do_not_count(self, api_as, other_tenant, make_person, org):
        their_admin = make_person(other_tenant, roles=("admin",))
        assert api_as(their_admin).get("reports/compliance").json() == {"items": []}


class TestComplianceByGroupAndRule:
    """by=group: the people's groups (one in two groups counts in both); by=rule: what each rule holds."""

    def items(self, api, by):
        response = api.get("reports/compliance", {"by": by})
        assert response.status_code == 200, response.content
        return response.json()["items"]

    @pytest.fixture
    def configured(self, admin, tenant, org):
        from duecourse.assignments import living_rules
        from duecourse.assignments.inputs import RuleInput
        from duecourse.assignments.models import Assignment
        from duecourse.groups import services as groups
        from duecourse.groups.inputs import GroupInput
        from duecourse.testing.factories import target

        drivers = groups.group_create(
            actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[org["ann"].pk, org["cat"].pk])
        )
        leads = groups.group_create(
            actor=admin, data=GroupInput(name="Leads", kind="static", member_ids=[org["ann"].pk])
        )
        safety = make_course(tenant, title="Safety")
        rule, _ = living_rules.rule_create(
            actor=admin,
            data=RuleInput.model_validate(
                {
                    "name": "Driver safety",
                    "audience": {"group_ids": [drivers.pk]},
                    "items": [{"target": target(safety)}],
                }
            ),
        )
        # Both drivers' Safety items fell due last week; Ann has done hers.
        Assignment.objects.filter(target_id=safety.pk).update(due_at=NOW - dt.timedelta(days=7))
        from duecourse.assignments import progress

        progress.progress_record(actor=admin, person_id=org["ann"].pk, course_id=safety.pk, progress=100)
        return {"drivers": drivers, "leads": leads, "rule": rule, "safety": safety}

    def test_by_group_counts_each_membership(self, admin_api, org, configured):
        # Drivers: ann (A overdue, B done, Safety done) + cat (A overdue, Safety overdue) → 2 of 5.
        # Leads: ann alone → 2 of 3. Bob and Dan are in no group: no row.
        assert self.items(admin_api, "group") == [
            {"key": "Drivers", "key_id": configured["drivers"].pk, "required_due": 5, "completed": 2,
             "rate": 0.4, "exempt": 0, "target_id": None},
            {"key": "Leads", "key_id": configured["leads"].pk, "required_due": 3, "completed": 2,
             "rate": 0.6667, "exempt": 0, "target_id": None},
        ]  # fmt: skip

    def test_by_rule_counts_what_the_rule_holds(self, admin_api, org, configured):
        assert self.items(admin_api, "rule") == [
            {"key": "Driver safety", "key_id": configured["rule"].pk, "required_due": 2, "completed": 1,
             "rate": 0.5, "exempt": 0, "target_id": None},
        ]  # fmt: skip

    def test_exempt_items_are_counted_apart_outside_the_rate(self, admin, admin_api, org, configured):
        from duecourse.assignments.exemptions import exemption_grant
        from duecourse.assignments.inputs import ExemptionInput
        from duecourse.assignments.models import Assignment

        cats = Assignment.objects.get(person=org["cat"], target_id=configured["safety"].pk)
        exemption_grant(actor=admin, assignment=cats, data=ExemptionInput(reason="Does not drive any more"))
        [rule] = self.items(admin_api, "rule")
        assert (rule["required_due"], rule["completed"], rule["exempt"], rule["rate"]) == (1, 1, 1, 1.0)
        drivers = self.items(admin_api, "group")[0]
        assert (drivers["required_due"], drivers["completed"], drivers["exempt"]) == (4, 2, 1)
        ops = next(i for i in self.items(admin_api, "department") if i["key"] == "Ops")
        assert (ops["required_due"], ops["completed"], ops["exempt"]) == (1, 0, 1)

    def test_key_ids_let_pages_drill_down(self, admin_api, org, configured):
        departments = {i["key"]: i["key_id"] for i in self.items(admin_api, "department")}
        assert departments == {"Ops": org["cat"].department_id, "Sales": org["ann"].department_id}
        regions = {i["key"]: i["key_id"] for i in self.items(admin_api, "region")}
        assert regions == {"(none)": None, "North": org["ann"].region_id}
        courses = {i["key"]: (i["key_id"], i["target_id"]) for i in self.items(admin_api, "course")}
        assert courses["Safety"] == (configured["safety"].pk, configured["safety"].pk)

    @pytest.mark.parametrize("by", ["department", "site", "region", "course", "group", "rule"])
    def test_one_query_per_report(self, admin_api, configured, by):
        admin_api.get("reports/compliance", {"by": by})
        with CaptureQueriesContext(connection) as queries:
            response = admin_api.get("reports/compliance", {"by": by})
        assert response.status_code == 200
        # The token's lookup and last-used stamp, then the report itself: one GROUP BY over the assignments,
        # or on PostgreSQL over the tally (after reading when it was last folded).
        report = [q["sql"] for q in queries if '"assignment"' in q["sql"] or "FROM compliance_tally " in q["sql"]]
        assert len(report) == 1, report
        assert len(queries) <= 5, [q["sql"] for q in queries]

    def test_group_and_rule_in_other_tenants_do_not_count(self, api_as, other_tenant, make_person, configured):
        their_admin = make_person(other_tenant, roles=("admin",))
        for by in ("group", "rule"):
            assert api_as(their_admin).get("reports/compliance", {"by": by}).json() == {"items": []}

    def test_the_snapshot_names_groups_and_rules_as_the_report_does(self, admin_api, tenant, configured):
        from duecourse.reports.models import ComplianceSnapshot
        from duecourse.reports.snapshots import compliance_snapshot_write

        compliance_snapshot_write(tenant.pk, NOW.date(), NOW)
        for by in ("group", "rule", "course"):
            live = {(i["key"], i["key_id"], i["required_due"], i["completed"]) for i in self.items(admin_api, by)}
            kept = ComplianceSnapshot.objects.filter(tenant=tenant, dimension=by)
            assert set(kept.values_list("key", "key_id", "required_due", "completed")) == live
