"""GET /api/v1/assignments' second-wave filters, and extend / withdraw through POST /api/v1/assignments/actions."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course, make_person, org_unit

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def w(tenant, admin):
    boss = make_person(tenant, name="Boss")
    middle = make_person(tenant, name="Middle", manager=boss)
    deep = make_person(
        tenant,
        name="Deep",
        manager=middle,
        site=org_unit(tenant, "site", "Leeds"),
        region=org_unit(tenant, "region", "North"),
    )
    other = make_person(tenant, name="Other", site=org_unit(tenant, "site", "York"))
    course = make_course(tenant, title="Fire safety")
    items = {
        "middle": assign(boss, middle, course, due_date="2026-06-20"),
        "deep": assign(admin, deep, course, due_date="2026-05-01"),  # 45 days overdue: tier 3, flagged below
        "other": assign(admin, other, course, due_date="2026-06-12"),  # 3 days overdue: tier 1
    }
    Assignment.objects.filter(pk=items["deep"].pk).update(compliance_flag=True)
    group = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
    GroupMember.objects.create(tenant=tenant, group=group, person=other)
    rule, _ = rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {
                "name": "Drivers",
                "audience": {"person_ids": [other.pk]},
                "items": [{"target": {"type": "course", "id": make_course(tenant).pk}}],
            }
        ),
    )
    people = {"middle_person": middle, "deep_person": deep, "other_person": other}
    return {"admin": admin, "boss": boss, "group": group, "rule": rule, **people, **items}


def ids(api, **params) -> set[int]:
    response = api.get("assignments", params)
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


class TestFilters:
    def test_each_filter(self, admin_api, w):
        deep, other, middle = w["deep"].pk, w["other"].pk, w["middle"].pk
        rule_item = Assignment.objects.filter(person=w["other_person"]).exclude(pk=other).get().pk
        assert ids(admin_api, site="Leeds") == {deep}
        assert ids(admin_api, region="North") == {deep}
        assert ids(admin_api, group_id=w["group"].pk) == {other, rule_item}
        assert ids(admin_api, escalation_tier=3) == {deep}
        assert ids(admin_api, escalation_tier=1) == {other}
        assert ids(admin_api, escalation_tier=0) == {middle, rule_item}
        assert ids(admin_api, compliance_flag="true") == {deep}
        assert ids(admin_api, source_kind="rule") == {rule_item}
        assert ids(admin_api, rule_id=w["rule"].pk) == {rule_item}
        assert ids(admin_api, assigned_by_id=w["boss"].pk) == {middle}
        assert ids(admin_api, manager_id=w["boss"].pk) == {middle}
        assert ids(admin_api, manager_id=w["boss"].pk, scope="subtree") == {middle, deep}
        assert ids(admin_api, manager_id=w["boss"].pk, scope="subtree", overdue="true") == {deep}

    def test_every_assignment_carries_its_tier(self, admin_api, w):
        items = {i["id"]: i for i in admin_api.get("assignments").json()["items"]}
        assert items[w["deep"].pk]["escalation_tier"] == 3 and items[w["deep"].pk]["compliance_flag"] is True
        assert admin_api.get(f"assignments/{w['other'].pk}").json()["escalation_tier"] == 1
        csv = b"".join(admin_api.get("assignments", {"format": "csv", "escalation_tier": 3}).streaming_content).decode()
        assert csv.splitlines()[0].endswith(
            ",compliance_flag,escalation_tier,at_risk,risk_reason,department,site,region,manager_name,manager_email,hire_date"
        )
        assert ",true,3,false,,,Leeds,North,Middle," in csv.splitlines()[1] and len(csv.splitlines()) == 2

    def test_bad_values_are_422_naming_the_field(self, admin_api, w):
        for params, field in (
            ({"scope": "subtree"}, "scope"),
            ({"scope": "everything", "manager_id": 1}, "scope"),
            ({"escalation_tier": -1}, "escalation_tier"),
            ({"source_kind": "magic"}, "source_kind"),
            ({"group_id": "x"}, "group_id"),
        ):
            response = admin_api.get("assignments", params)
            assert response.status_code == 422, params
            assert field in str(response.json()), params

    def test_a_manager_still_sees_only_their_reports(self, api_as, w):
        assert ids(api_as(w["boss"]), manager_id=w["boss"].pk, scope="subtree") == {w["middle"].pk}

    def test_query_count_does_not_grow_with_the_filters_or_rows(self, admin_api, w, tenant):
        params = {"site": "Leeds", "region": "North", "escalation_tier": 3, "compliance_flag": "true",
                  "source_kind": "individual", "manager_id": w["boss"].pk, "scope": "subtree",
                  "assigned_by_id": w["admin"].pk, "overdue": "true"}  # fmt: skip
        assert ids(admin_api, **params) == {w["deep"].pk}
        admin_api.get("assignments")
        with CaptureQueriesContext(connection) as plain:
            admin_api.get("assignments")
        with CaptureQueriesContext(connection) as filtered:
            admin_api.get("assignments", params)
        for i in range(10):
            assign(w["admin"], make_person(tenant, name=f"P{i}"), make_course(tenant), due_date="2026-06-01")
        with CaptureQueriesContext(connection) as more:
            admin_api.get("assignments")
        assert len(plain) == len(filtered) == len(more) <= 7, [q["sql"][:300] for q in filtered]


class TestExtend:
    def test_learning_staff_set_the_date_by_hand_audited_and_the_learner_is_told(self, admin_api, w):
        body = {"action": "extend", "filter": {"overdue": True}, "due_date": "2026-07-31", "reason": "Trainer ill"}
        response = admin_api.post("assignments/actions", body)
        assert response.status_code == 200, response.content
        assert response.json() == {"done": 2, "failed": [], "failed_count": 0, "failed_by_reason": {}}
        for key in ("deep", "other"):
            item = Assignment.objects.get(pk=w[key].pk)
            assert item.due_date == dt.date(2026, 7, 31) and item.due_date_manual
            assert item.due_at > NOW
            event = AuditEvent.objects.get(action="assignment.update", object_id=item.pk)
            assert event.reason == "Trainer ill" and event.after["due_date"] == "2026-07-31"
            assert Notification.objects.filter(assignment=item, kind="due_date_changed").count() == 1
        assert ids(admin_api, overdue="true") == set()

    def test_due_date_and_reason_are_required(self, admin_api, w):
        for body, field in (
            ({"action": "extend", "ids": [w["deep"].pk], "reason": "x"}, "due_date"),
            ({"action": "extend", "ids": [w["deep"].pk], "due_date": "2026-07-01"}, "reason"),
            ({"action": "extend", "ids": [w["deep"].pk], "filter": {}, "due_date": "2026-07-01", "reason": "x"}, "ids"),
            ({"action": "extend", "ids": list(range(1, 10_002)), "due_date": "2026-07-01", "reason": "x"}, "ids"),
            ({"action": "shout", "ids": [1]}, "action"),
        ):
            response = admin_api.post("assignments/actions", body)
            assert response.status_code == 422, body
            assert field in str(response.json()), body
        assert Assignment.objects.get(pk=w["deep"].pk).due_date == dt.date(2026, 5, 1)

    def test_a_manager_moves_only_their_own_source(self, api_as, w):
        body = {"action": "extend", "ids": [w["middle"].pk, w["deep"].pk], "due_date": "2026-06-10", "reason": "Sooner"}
        result = api_as(w["boss"]).post("assignments/actions", body).json()
        assert result["done"] == 1
        assert result["failed"] == [{"id": w["deep"].pk, "reason": "not found"}]  # not a direct report
        assert Assignment.objects.get(pk=w["middle"].pk).due_date == dt.date(2026, 6, 10)


class TestWithdraw:
    def test_the_rules_of_one_at_a_time(self, admin_api, w):
        rule_item = Assignment.objects.filter(person=w["other_person"]).exclude(pk=w["other"].pk).get()
        body = {"action": "withdraw", "ids": [w["deep"].pk, rule_item.pk], "reason": "Reorganised"}
        result = admin_api.post("assignments/actions", body).json()
        assert result["done"] == 1
        assert result["failed"] == [
            {
                "id": rule_item.pk,
                "reason": "held by a group, department, site, region, everyone, new-starter or rule source",
            }
        ]
        assert Assignment.objects.get(pk=w["deep"].pk).withdrawn_at is not None
        assert Assignment.objects.get(pk=rule_item.pk).withdrawn_at is None
        assert AuditEvent.objects.filter(
            action="assignment.withdraw", object_id=w["deep"].pk, reason="Reorganised"
        ).exists()
        assert Notification.objects.filter(assignment_id=w["deep"].pk, kind="withdrawn").exists()
        again = admin_api.post("assignments/actions", body).json()
        assert again["done"] == 0 and {f["reason"] for f in again["failed"]} >= {"withdrawn"}

    def test_a_manager_removes_their_own_source_only(self, api_as, w, admin):
        by_admin = assign(admin, w["middle_person"], make_course(w["middle_person"].tenant))
        result = (
            api_as(w["boss"])
            .post("assignments/actions", {"action": "withdraw", "ids": [w["middle"].pk, by_admin.pk]})
            .json()
        )
        assert result["done"] == 1 and result["failed"] == [{"id": by_admin.pk, "reason": "not allowed"}]
        assert Assignment.objects.get(pk=w["middle"].pk).withdrawn_at is not None
