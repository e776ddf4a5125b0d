"""The API schemas and the forms build the same service inputs; an edit carries only what was sent."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.http import QueryDict

from duecourse.assignments import services
from duecourse.assignments.forms import (
    AssignForm,
    AssignmentEditForm,
    BulkPeopleForm,
    BulkRemindersForm,
    BulkTargetsForm,
    DueDateForm,
    bulk_input,
)
from duecourse.assignments.inputs import AssignmentChange, RuleInput
from duecourse.assignments.models import Assignment
from duecourse.assignments.schemas import AssignmentIn, AssignmentPatch, BulkIn, RuleIn, RulePatch
from duecourse.testing.factories import assign, make_course

pytestmark = pytest.mark.django_db

COURSE_CHOICES = [("Courses", [("course:5", "Fire safety"), ("course:6", "First aid")])]


def test_the_api_schema_and_the_assign_form_build_the_same_assignment_input():
    schema = AssignmentIn.model_validate(
        {
            "person_id": 42,
            "target": {"type": "course", "id": 5},
            "due_date": "2026-09-01",
            "priority": "high",
            "note": "Before the audit",
            "reason": "Annual refresh",
        }
    )
    form = AssignForm(
        QueryDict(
            "targets=course:5&due_mode=date&due_date=2026-09-01&priority=high"
            "&note=Before the audit&reason=Annual refresh"
        ),
        targets=COURSE_CHOICES,
    )
    assert form.is_valid(), form.errors
    [built] = form.to_inputs(42)
    assert built.given() == schema.to_input().given()
    assert built == schema.to_input()


def test_the_api_schema_and_the_bulk_wizard_build_the_same_bulk_input():
    schema = BulkIn.model_validate(
        {
            "targets": [{"type": "course", "id": 5}, {"type": "course", "id": 6}],
            "assignees": {"person_ids": [3, 4], "group_ids": [9], "departments": ["Drivers"]},
            "due_in_days": 30,
            "priority": "low",
            "note": "",
            "reason": "Onboarding",
            "reminders": [{"days": 7, "recipients": ["learner"]}, {"days": -3, "recipients": ["learner", "manager"]}],
            "dry_run": True,
        }
    )
    targets = BulkTargetsForm(
        QueryDict(
            "targets=course:5&targets=course:6&due_mode=days&due_in_days=30&priority=low&note=&reason=Onboarding"
        ),
        targets=COURSE_CHOICES,
    )
    people = BulkPeopleForm(
        QueryDict("person_ids=3&person_ids=4&group_ids=9&departments=Drivers"),
        groups=[SimpleNamespace(pk=9, name="Drivers group", archived_at=None, archived_reason="")],
        org_units={"departments": ["Drivers"]},
    )
    reminders = BulkRemindersForm(
        QueryDict(
            "reminder_mode=custom&r1_days=7&r1_when=before&r1_recipients=learner"
            "&r2_days=3&r2_when=after&r2_recipients=learner&r2_recipients=manager"
        )
    )
    for form in (targets, people, reminders):
        assert form.is_valid(), form.errors
    built = bulk_input(targets=targets, people=people, reminders=reminders, report_ids=[], dry_run=True)
    assert built == schema.to_input()


def test_without_the_reminders_step_the_wizard_leaves_the_plan_unset_as_the_api_does():
    schema = BulkIn.model_validate({"targets": [{"type": "course", "id": 5}], "assignees": {"everyone": True}})
    targets = BulkTargetsForm(QueryDict("targets=course:5&due_mode=none&priority=medium"), targets=COURSE_CHOICES)
    people = BulkPeopleForm(QueryDict("everyone=on"))
    assert targets.is_valid() and people.is_valid()
    built = bulk_input(targets=targets, people=people, reminders=None, report_ids=[], dry_run=False)
    assert built == schema.to_input()
    assert built.reminders is None


def test_the_api_patch_and_the_edit_forms_build_the_same_change():
    assignment = Assignment(priority="medium", note="Old note", due_date=dt.date(2026, 7, 1))
    schema = AssignmentPatch.model_validate({"due_date": "2026-09-01", "priority": "high", "reason": "Moved"})
    form = AssignmentEditForm(QueryDict("due_date=2026-09-01&priority=high&note=Old note&reason=Moved"))
    assert form.is_valid(), form.errors
    assert form.to_input(assignment).given() == schema.to_input().given()

    cleared = AssignmentPatch.model_validate({"due_date": None})
    quick = DueDateForm(QueryDict("due_date="))
    assert quick.is_valid(), quick.errors
    assert quick.to_input(assignment).given() == cleared.to_input().given() == {"due_date": None}


def test_an_unchanged_edit_form_gives_nothing():
    assignment = Assignment(priority="medium", note="", due_date=dt.date(2026, 7, 1))
    form = AssignmentEditForm(QueryDict("due_date=2026-07-01&priority=medium&note=&reason=No reason"))
    assert form.is_valid(), form.errors
    assert form.to_input(assignment).given() == {}
    quick = DueDateForm(QueryDict("due_date=2026-07-01"))
    assert quick.is_valid()
    assert quick.to_input(assignment).given() == {}


def test_a_patch_gives_only_the_fields_sent():
    assert AssignmentPatch.model_validate({"note": None}).to_input().given() == {"note": None}
    assert AssignmentPatch.model_validate({}).to_input().given() == {}
    patch = RulePatch.model_validate({"name": "Drivers", "timing_policy": "extend"})
    assert patch.to_input().given() == {"name": "Drivers"}  # the timing policy is an argument of its own


def test_a_rule_schema_gives_every_field_a_new_rule_needs():
    rule = RuleIn.model_validate(
        {"name": "Everyone", "audience": {"everyone": True}, "items": [{"target": {"type": "course", "id": 5}}]}
    ).to_input()
    assert rule == RuleInput.model_validate(
        {
            "name": "Everyone",
            "active": True,
            "audience": {"everyone": True},
            "items": [{"target": {"type": "course", "id": 5}, "visibility": "required"}],
            "due_from": "assignment",
            "priority": "medium",
            "note": "",
            "certificate": False,
        }
    )


def test_an_assignment_update_changes_only_the_fields_given(admin, learner, tenant):
    assignment = assign(admin, learner, make_course(tenant), due_date="2026-09-01", priority="high", note="Read it")
    services.assignment_update(actor=admin, assignment=assignment, data=AssignmentChange(note="Read it first"))
    assignment.refresh_from_db()
    assert (assignment.note, assignment.priority, assignment.due_date, assignment.due_date_manual) == (
        "Read it first",
        "high",
        dt.date(2026, 9, 1),
        False,
    )
