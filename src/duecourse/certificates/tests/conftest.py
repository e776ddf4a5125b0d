"""Builders for certificate tests: a configuration (rule) with certificates, completions at a moment."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create, rule_update
from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.assignments.progress import progress_record
from duecourse.certificates.models import Certificate
from duecourse.testing.factories import make_course, target

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def item(obj, visibility="required", validity_months=None) -> dict:
    return {"target": target(obj), "visibility": visibility, "validity_months": validity_months}


def make_config(admin, people, items, *, name="Forklift licence", certificate=True, at=START) -> AssignmentRule:
    with time_machine.travel(at, tick=False):
        rule, _ = rule_create(
            actor=admin,
            data=RuleInput.model_validate(
                {
                    "name": name,
                    "audience": {"person_ids": [p.pk for p in people]},
                    "items": items,
                    "certificate": certificate,
                }
            ),
        )
    return rule


def change_config(admin, rule, at, **fields) -> AssignmentRule:
    with time_machine.travel(at, tick=False):
        updated, _ = rule_update(actor=admin, rule=rule, data=RuleInput.model_validate(fields))
    return updated


def complete(admin, person, course, at: dt.datetime) -> None:
    """The LMS reports a completion at `at` (recorded then)."""
    with time_machine.travel(at, tick=False):
        progress_record(actor=admin, person_id=person.pk, course_id=course.pk, completed_at=at)


def certificates_of(person, rule=None) -> list[Certificate]:
    rows = Certificate.objects.filter(person=person).order_by("id")
    return list(rows.filter(rule=rule) if rule is not None else rows)


def live(person, rule) -> Certificate | None:
    return Certificate.objects.filter(person=person, rule=rule, invalidated_at__isnull=True).first()


def assignment_of(person, obj) -> Assignment:
    return Assignment.objects.get(person=person, target_id=obj.pk, withdrawn_at__isnull=True)


@pytest.fixture
def courses(tenant):
    return [make_course(tenant, title=title) for title in ("Forklift theory", "Forklift practice", "Ladder safety")]
