"""One fan-out for every way of assigning: a single assignment, a bulk call, a rule applied on save and
a rule reconciled later by the system all create, deduplicate, attach sources, move due dates and audit
the same way (through `fanout.assignments_fan_out`)."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments import living_rules, services
from duecourse.assignments.audit import audit_events
from duecourse.assignments.inputs import AssignmentInput, BulkAssignInput, RuleInput
from duecourse.assignments.models import Assignment, AssignmentOperation
from duecourse.core.models import AuditEvent
from duecourse.people.models import Person
from duecourse.testing.factories import make_course, make_person, org_unit, target

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(tenant, admin, make_person):
    """A newcomer holding nothing, and a holder already assigned the course by another admin, due later."""
    drivers = org_unit(tenant, "department", "Drivers")
    course = make_course(tenant)
    newcomer = make_person(tenant, name="Newcomer", department=drivers)
    holder = make_person(tenant, name="Holder", department=drivers)
    other_admin = make_person(tenant, roles=("admin",), name="Other Admin")
    services.assignment_create(
        actor=other_admin,
        data=AssignmentInput.model_validate({"person_id": holder.pk, "target": target(course), "due_in_days": 60}),
    )
    return {"course": course, "newcomer": newcomer, "holder": holder, "drivers": drivers}


def _single(admin, world):
    for person in (world["newcomer"], world["holder"]):
        services.assignment_create(
            actor=admin,
            data=AssignmentInput.model_validate(
                {"person_id": person.pk, "target": target(world["course"]), "due_in_days": 10}
            ),
        )


def _bulk(admin, world):
    services.bulk_assign(
        actor=admin,
        data=BulkAssignInput.model_validate(
            {
                "targets": [target(world["course"])],
                "assignees": {"person_ids": [world["newcomer"].pk, world["holder"].pk]},
                "due_in_days": 10,
            }
        ),
    )


RULE = {"name": "Drivers' safety", "audience": {"departments": ["Drivers"]}, "due_in_days": 10}


def _rule_apply(admin, world):
    living_rules.rule_create(
        actor=admin, data=RuleInput.model_validate({**RULE, "items": [{"target": target(world["course"])}]})
    )


def _rule_reconcile(admin, world):
    """The rule is saved while Drivers has only a pioneer (an audience that matches nobody is refused); the
    drivers join later and the system's reconcile (what the scheduler's hourly safety net runs) assigns them."""
    Person.objects.filter(department=world["drivers"]).update(department=None)
    make_person(admin.tenant, name="Pioneer", department=world["drivers"])
    living_rules.rule_create(
        actor=admin, data=RuleInput.model_validate({**RULE, "items": [{"target": target(world["course"])}]})
    )
    Person.objects.filter(pk__in=[world["newcomer"].pk, world["holder"].pk]).update(department=world["drivers"])
    living_rules.rules_reconcile_all(tenant_id=admin.tenant_id)


PATHS = {
    "single": (_single, "individual", "single"),
    "bulk": (_bulk, "individual", "bulk"),
    "rule apply": (_rule_apply, "rule", "rule"),
    "rule reconcile": (_rule_reconcile, "rule", "rule"),
}


@pytest.mark.parametrize("path", PATHS)
def test_every_way_of_assigning_fans_out_the_same_way(path, admin, world):
    assign, source_kind, operation_kind = PATHS[path]
    assign(admin, world)

    created = Assignment.objects.get(person=world["newcomer"], withdrawn_at__isnull=True)
    assert created.due_date == TODAY + dt.timedelta(days=10)
    assert AssignmentOperation.objects.get(pk=created.operation_id).kind == operation_kind
    assert [s.kind for s in created.sources.all()] == [source_kind]

    # The holder keeps their one open assignment, gains the source, and its earlier date wins.
    [held] = Assignment.objects.filter(person=world["holder"], withdrawn_at__isnull=True)
    assert held.operation_id != created.operation_id
    assert sorted(s.kind for s in held.sources.all()) == sorted(["individual", source_kind])
    assert held.due_date == TODAY + dt.timedelta(days=10)

    [event] = audit_events(
        tenant_id=admin.tenant_id, object_type="assignment", object_id=created.pk, action="assignment.create"
    )
    if path == "rule reconcile":
        assert (event.actor_id, event.actor_label) == (None, "Rule: Drivers' safety")
        assert AssignmentOperation.objects.get(pk=created.operation_id).actor_id is None
    else:
        assert (event.actor_id, event.actor_label) == (admin.pk, "")


def test_a_reconcile_that_assigns_nobody_leaves_no_operation_behind(admin, world):
    _rule_apply(admin, world)
    operations = AssignmentOperation.objects.count()
    assert living_rules.rules_reconcile_all(tenant_id=admin.tenant_id) == 1
    assert AssignmentOperation.objects.count() == operations


def test_leavers_are_withdrawn_by_the_system_in_the_rules_name(admin, world):
    _rule_apply(admin, world)
    Person.objects.filter(pk=world["newcomer"].pk).update(department=None)
    living_rules.rules_reconcile_all(tenant_id=admin.tenant_id)
    [event] = AuditEvent.objects.filter(action="assignment.withdraw")
    assert (event.actor_id, event.actor_label) == (None, "Rule: Drivers' safety")
    assert not Assignment.objects.filter(person=world["newcomer"], withdrawn_at__isnull=True).exists()
