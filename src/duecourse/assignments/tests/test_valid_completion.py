"""`domain.holds_valid_completion` and its SQL form agree on every combination of the facts."""

import datetime as dt

import pytest

from duecourse.assignments.domain import holds_valid_completion
from duecourse.assignments.models import Assignment
from duecourse.assignments.selectors import valid_completion_filter
from duecourse.testing.factories import assign, make_course

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
MOMENTS = [None, NOW - dt.timedelta(days=1), NOW, NOW + dt.timedelta(days=1)]


@pytest.mark.django_db
def test_sql_form_matches_the_rule(tenant, admin, learner):
    expected = {}
    for completed_at in MOMENTS[:2]:
        for expires_at in MOMENTS:
            assignment = assign(admin, learner, make_course(tenant))
            Assignment.objects.filter(pk=assignment.pk).update(completed_at=completed_at, expires_at=expires_at)
            expected[assignment.pk] = holds_valid_completion(completed_at=completed_at, expires_at=expires_at, now=NOW)
    matched = set(Assignment.objects.filter(valid_completion_filter(NOW)).values_list("pk", flat=True))
    assert matched == {pk for pk, valid in expected.items() if valid}
    # A completion without validity, one that runs out later, and a re-opened one still inside its validity.
    assert sum(expected.values()) == 3
