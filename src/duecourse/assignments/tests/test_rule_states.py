"""A rule is active, paused or deleted: pausing stops it applying and takes nothing away; deleting
withdraws what only it gave; both keep a reason in its history. An audience that reaches nobody is refused."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from duecourse.assignments import living_rules
from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.core.errors import Conflict, ValidationFailed
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import assign, make_course, org_unit, target
from duecourse.testing.scheduling import frozen_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
frozen = frozen_at(NOW)


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Safe driving")


@pytest.fixture
def depts(tenant):
    return {"drivers": org_unit(tenant, "department", "Drivers"), "office": org_unit(tenant, "department", "Office")}


@pytest.fixture
def drivers(tenant, make_person, depts):
    return [make_person(tenant, department=depts["drivers"], name=f"Driver {i}") for i in range(2)]


def open_for(person) -> list[Assignment]:
    return list(Assignment.objects.filter(person=person, withdrawn_at__isnull=True))


def make_rule(api, course, **fields) -> dict:
    body = {"name": "Drivers' safety", "audience": {"departments": ["Drivers"]}, "items": [{"target": target(course)}]}
    response = api.post("rules", {**body, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def move(api, person, department: str) -> None:
    response = api.patch(f"people/{person.pk}", {"department": department})
    assert response.status_code == 200, response.content


class TestPause:
    def test_a_paused_rule_gives_joiners_nothing_and_takes_nothing_from_leavers(
        self, admin_api, tenant, make_person, depts, drivers, course
    ):
        rule = make_rule(admin_api, course)
        response = admin_api.patch(f"rules/{rule['id']}", {"active": False})
        assert response.status_code == 200, response.content
        assert response.json()["applied"] == {"added": 0, "removed": 0}
        assert all(len(open_for(d)) == 1 for d in drivers)  # nobody lost anything

        joiner = make_person(tenant, name="Joiner", department=depts["office"])
        move(admin_api, joiner, "Drivers")
        move(admin_api, drivers[0], "Office")
        assert open_for(joiner) == []
        assert len(open_for(drivers[0])) == 1
        living_rules.rules_reconcile_all(tenant_id=tenant.pk)  # the hourly safety net skips it too
        assert (open_for(joiner), len(open_for(drivers[0]))) == ([], 1)

        response = admin_api.patch(f"rules/{rule['id']}", {"active": True})
        assert response.json()["applied"] == {"added": 1, "removed": 1}
        assert len(open_for(joiner)) == 1 and open_for(drivers[0]) == []

    def test_pause_and_resume_keep_their_reason_in_the_history(self, admin, admin_api, drivers, course, depts):
        rule = AssignmentRule.objects.get(pk=make_rule(admin_api, course)["id"])
        paused, outcome = living_rules.rule_set_active(actor=admin, rule=rule, active=False, reason="Audit season")
        assert (paused.active, paused.deleted_at, outcome) == (False, None, {"added": 0, "removed": 0})
        assert living_rules.rule_state(paused) == living_rules.PAUSED
        assert all(len(open_for(d)) == 1 for d in drivers)
        event = AuditEvent.objects.get(action="rule.pause", object_id=rule.pk)
        assert (event.actor_id, event.reason, event.after) == (admin.pk, "Audit season", {"active": False})

        living_rules.rule_set_active(actor=admin, rule=rule, active=True, reason="Back on")
        assert AuditEvent.objects.get(action="rule.resume", object_id=rule.pk).reason == "Back on"
        # Pausing twice is no second event.
        living_rules.rule_set_active(actor=admin, rule=rule, active=True, reason="Again")
        assert AuditEvent.objects.filter(action="rule.resume", object_id=rule.pk).count() == 1

    def test_a_paused_rule_keeps_its_groups(self, admin_api, tenant, make_person, course):
        member = make_person(tenant)
        crew = admin_api.post("groups", {"name": "Crew", "kind": "static", "member_ids": [member.pk]}).json()
        rule = make_rule(admin_api, course, name="Crew safety", audience={"group_ids": [crew["id"]]})
        admin_api.patch(f"rules/{rule['id']}", {"active": False})
        response = admin_api.delete(f"groups/{crew['id']}")
        assert response.status_code == 409
        assert response.json()["errors"] == [{"field": "rules", "message": "Crew safety"}]

    def test_a_paused_rule_still_counts_for_the_visibility_of_what_it_gave(self, admin_api, drivers, course):
        """A hidden rule beside a paused required one must not hide what the paused one still holds."""
        required = make_rule(admin_api, course)
        admin_api.patch(f"rules/{required['id']}", {"active": False})
        make_rule(admin_api, course, name="Prep", items=[{"target": target(course), "visibility": "hidden"}])
        assert {a.visibility for d in drivers for a in open_for(d)} == {"required"}


class TestDelete:
    def test_delete_withdraws_what_only_it_gave_and_keeps_the_reason(self, admin, admin_api, drivers, course):
        rule = make_rule(admin_api, course)
        assign(admin, drivers[0], course)
        response = admin_api.delete(f"rules/{rule['id']}?reason=Replaced by the 2027 programme")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["active"] is False and body["deleted_at"] is not None
        assert body["applied"] == {"added": 0, "removed": 2}
        assert len(open_for(drivers[0])) == 1 and open_for(drivers[1]) == []
        event = AuditEvent.objects.get(action="rule.delete", object_id=rule["id"])
        assert (event.actor_id, event.reason) == (admin.pk, "Replaced by the 2027 programme")
        assert Assignment.objects.get(person=drivers[1]).withdrawn_reason == "Rule Drivers' safety was deleted"
        # The API still lists it, inactive; deleting it again changes nothing.
        listed = admin_api.get("rules").json()["items"]
        assert [(r["id"], r["active"], r["deleted_at"] is not None) for r in listed] == [(rule["id"], False, True)]
        assert admin_api.delete(f"rules/{rule['id']}").status_code == 200
        assert AuditEvent.objects.filter(action="rule.delete").count() == 1

    def test_a_deleted_rule_cannot_be_paused_but_the_api_may_restore_it(self, admin, admin_api, drivers, course):
        rule = make_rule(admin_api, course)
        admin_api.delete(f"rules/{rule['id']}")
        saved = AssignmentRule.objects.get(pk=rule["id"])
        with pytest.raises(Conflict):
            living_rules.rule_set_active(actor=admin, rule=saved, active=True)
        response = admin_api.patch(f"rules/{rule['id']}", {"active": True})
        assert response.status_code == 200, response.content
        assert response.json()["deleted_at"] is None and response.json()["applied"]["added"] == 2

    def test_a_too_long_reason_is_422_and_nothing_changes(self, admin_api, drivers, course):
        rule = make_rule(admin_api, course)
        response = admin_api.delete(f"rules/{rule['id']}?reason={'x' * 5001}")
        assert response.status_code == 422
        assert AssignmentRule.objects.get(pk=rule["id"]).deleted_at is None
        assert all(len(open_for(d)) == 1 for d in drivers)

    def test_rules_deleted_before_deleted_at_existed_are_marked_deleted(self, admin, admin_api, drivers, course):
        deleted, paused = make_rule(admin_api, course), make_rule(admin_api, course, name="Paused")
        admin_api.delete(f"rules/{deleted['id']}")
        admin_api.patch(f"rules/{paused['id']}", {"active": False})
        AssignmentRule.objects.update(deleted_at=None)  # as they were before the migration
        migration = importlib.import_module("duecourse.assignments.migrations.0011_deleted_rules_were_deleted")
        migration.mark_deleted(apps, None)
        at = AuditEvent.objects.get(action="rule.delete").at
        assert AssignmentRule.objects.get(pk=deleted["id"]).deleted_at == at
        assert AssignmentRule.objects.get(pk=paused["id"]).deleted_at is None


class TestAudienceReachesSomebody:
    def test_an_audience_that_matches_nobody_is_422_naming_audience_and_writes_nothing(
        self, admin_api, drivers, depts, course
    ):
        body = {"name": "Office safety", "audience": {"departments": ["Office"]}, "items": [{"target": target(course)}]}
        for path in ("rules", "rules/preview"):
            response = admin_api.post(path, body)
            assert response.status_code == 422, response.content
            assert response.json()["errors"] == [{"field": "audience", "message": living_rules.NOBODY_MATCHES}]
        assert not AssignmentRule.objects.exists() and not Assignment.objects.exists()
        rule = make_rule(admin_api, course)
        response = admin_api.patch(f"rules/{rule['id']}", {"audience": {"departments": ["Office"]}})
        assert response.status_code == 422
        assert AssignmentRule.objects.get(pk=rule["id"]).audience == {"departments": ["Drivers"]}

    def test_new_starters_may_reach_nobody_yet(self, admin, tenant, course):
        rule, outcome = living_rules.rule_create(
            actor=admin,
            data=RuleInput.model_validate(
                {"name": "Induction", "audience": {"new_starters": True}, "items": [{"target": target(course)}]}
            ),
        )
        assert outcome == {"added": 0, "removed": 0} and rule.pk

    def test_the_service_says_it_too(self, admin, tenant, drivers, course):
        org_unit(tenant, "site", "Mars")
        data = RuleInput.model_validate(
            {"name": "Nobody", "audience": {"sites": ["Mars"]}, "items": [{"target": target(course)}]}
        )
        with pytest.raises(ValidationFailed) as caught:
            living_rules.rule_create(actor=admin, data=data)
        assert [e.field for e in caught.value.errors] == ["audience"]


def test_a_rule_read_from_the_api_can_be_sent_back_as_it_is(admin_api, drivers, course):
    """Clients edit a rule by changing what they read: the items' target titles come back with it."""
    rule = make_rule(admin_api, course)
    items = admin_api.get(f"rules/{rule['id']}").json()["items"]
    assert items[0]["target"]["title"] == "Safe driving"
    items[0]["target"]["title"] = "Renamed by the client"
    items[0]["validity_months"] = 12

    response = admin_api.patch(f"rules/{rule['id']}", {"items": items})

    assert response.status_code == 200, response.content
    saved = response.json()["items"][0]
    assert saved["validity_months"] == 12 and saved["target"]["title"] == "Safe driving"
