"""The status module: the statuses and their labels, the rule in Python, and one WHERE clause per status."""

import datetime as dt
import itertools

import pytest

from duecourse.assignments.status import (
    OPEN_STATUSES,
    STATUS_LABELS,
    STATUS_RULE,
    UNFINISHED_STATUSES,
    AssignmentStatus,
    Atom,
    Check,
    Condition,
    derive_status,
    status_conjunction,
)

UTC = dt.UTC


class TestDeriveStatus:
    now = dt.datetime(2026, 4, 1, 12, tzinfo=UTC)

    def status(self, **facts):
        base = {"withdrawn_at": None, "completed_at": None, "expires_at": None, "due_at": None, "progress": 0}
        return derive_status(**{**base, **facts}, now=self.now)

    def test_assigned_and_in_progress(self):
        assert self.status() == "assigned"
        assert self.status(progress=40) == "in_progress"
        assert self.status(due_at=self.now + dt.timedelta(seconds=1), progress=10) == "in_progress"

    def test_overdue_once_the_due_instant_has_passed(self):
        assert self.status(due_at=self.now) == "overdue"
        assert self.status(due_at=self.now - dt.timedelta(days=3), progress=50) == "overdue"

    def test_completed_beats_overdue_and_expires(self):
        done = self.now - dt.timedelta(days=1)
        assert self.status(completed_at=done, due_at=self.now - dt.timedelta(days=5)) == "completed"
        assert self.status(completed_at=done, expires_at=self.now + dt.timedelta(days=1)) == "completed"
        assert self.status(completed_at=done, expires_at=self.now) == "expired"

    def test_withdrawn_beats_everything(self):
        assert self.status(withdrawn_at=self.now, completed_at=self.now, due_at=self.now) == "withdrawn"
        assert self.status(withdrawn_at=self.now, exempt_at=self.now) == "withdrawn"

    def test_exempt_beats_every_open_status_and_expired_but_not_completed(self):
        granted = self.now - dt.timedelta(days=2)
        done = self.now - dt.timedelta(days=1)
        assert self.status(exempt_at=granted) == "exempt"
        assert self.status(exempt_at=granted, progress=30) == "exempt"
        assert self.status(exempt_at=granted, due_at=self.now - dt.timedelta(days=5)) == "exempt"
        assert self.status(exempt_at=granted, completed_at=done, expires_at=self.now) == "exempt"
        assert self.status(exempt_at=granted, completed_at=done) == "completed"

    def test_after_until_the_original_due_date_applies_again(self):
        granted = self.now - dt.timedelta(days=10)
        past_due = self.now - dt.timedelta(days=5)
        running = {"exempt_at": granted, "exempt_ends_at": self.now + dt.timedelta(seconds=1)}
        assert self.status(**running, due_at=past_due) == "exempt"
        assert self.status(exempt_at=granted, exempt_ends_at=self.now, due_at=past_due) == "overdue"
        assert self.status(exempt_at=granted, exempt_ends_at=self.now, due_at=self.now + dt.timedelta(days=1)) == (
            "assigned"
        )

    def test_only_required_items_become_overdue(self):
        past_due = self.now - dt.timedelta(days=5)
        assert self.status(due_at=past_due, visibility="optional") == "assigned"
        assert self.status(due_at=past_due, visibility="hidden", progress=10) == "in_progress"
        assert self.status(due_at=past_due, visibility="required") == "overdue"


class TestStatuses:
    def test_seven_statuses_with_labels(self):
        assert list(STATUS_LABELS) == [
            "assigned",
            "in_progress",
            "completed",
            "overdue",
            "expired",
            "withdrawn",
            "exempt",
        ]
        assert STATUS_LABELS["in_progress"] == "In progress"
        assert STATUS_LABELS["exempt"] == "Exempt"

    def test_open_is_everything_but_withdrawn_and_unfinished_is_not_done(self):
        assert set(OPEN_STATUSES) == set(AssignmentStatus) - {AssignmentStatus.WITHDRAWN}
        assert set(UNFINISHED_STATUSES) == {"assigned", "in_progress", "overdue"}

    def test_the_rule_names_every_status_once_and_ends_with_the_default(self):
        assert sorted(s for s, _ in STATUS_RULE) == sorted(AssignmentStatus)
        assert STATUS_RULE[-1] == (AssignmentStatus.ASSIGNED, ())


def _atoms(status):
    return {
        tuple((a.column, a.check, *([a.value] if a.value else [])) for a in c.any_of)
        for c in status_conjunction(status)
    }


class TestStatusConjunction:
    """Each status as one AND of conditions that needs no CASE, so an index can serve the WHERE clause."""

    def test_overdue_is_open_not_completed_not_exempt_required_and_past_due(self):
        assert _atoms("overdue") == {
            (("due_at", Check.AT_OR_BEFORE_NOW),),
            (("visibility", Check.EQUALS, "required"),),
            (("withdrawn_at", Check.IS_NULL),),
            (("completed_at", Check.IS_NULL),),
            (("exempt_at", Check.IS_NULL), ("exempt_ends_at", Check.AT_OR_BEFORE_NOW)),
        }

    def test_expired_compares_expires_at_without_a_redundant_not_null(self):
        assert _atoms("expired") == {
            (("completed_at", Check.NOT_NULL),),
            (("withdrawn_at", Check.IS_NULL),),
            (("expires_at", Check.AT_OR_BEFORE_NOW),),
            (("exempt_at", Check.IS_NULL), ("exempt_ends_at", Check.AT_OR_BEFORE_NOW)),
        }

    def test_assigned_has_no_due_date_or_a_future_one(self):
        assert (
            ("due_at", Check.IS_NULL),
            ("due_at", Check.AFTER_NOW),
            ("visibility", Check.NOT_EQUALS, "required"),
        ) in (_atoms("assigned"))
        assert (("progress", Check.ZERO),) in _atoms("assigned")

    def test_negation_of_a_comparison_with_now_includes_null(self):
        (negation,) = Condition((Atom("due_at", Check.AT_OR_BEFORE_NOW),)).negated()
        assert set(negation.any_of) == {Atom("due_at", Check.IS_NULL), Atom("due_at", Check.AFTER_NOW)}

    @pytest.mark.parametrize("status", list(AssignmentStatus))
    def test_conjunction_agrees_with_the_rule_on_every_combination(self, status):
        now = dt.datetime(2026, 4, 1, 12, tzinfo=UTC)
        instants = [None, now - dt.timedelta(days=1), now, now + dt.timedelta(days=1)]
        for withdrawn_at in instants[:2]:
            for completed_at in instants[:2]:
                for expires_at in instants:
                    for due_at in instants:
                        for progress, exempt_at, exempt_ends_at, visibility in itertools.product(
                            (0, 50), instants[:2], instants, ("required", "optional", "hidden")
                        ):
                            facts = {
                                "withdrawn_at": withdrawn_at,
                                "completed_at": completed_at,
                                "expires_at": expires_at,
                                "due_at": due_at,
                                "progress": progress,
                                "exempt_at": exempt_at,
                                "exempt_ends_at": exempt_ends_at,
                                "visibility": visibility,
                            }
                            held = all(c.holds(facts, now) for c in status_conjunction(status))
                            assert held == (derive_status(**facts, now=now) == status), facts


def test_an_unknown_status_is_named_not_a_stop_iteration():
    with pytest.raises(ValueError, match="'late' is not a status"):
        status_conjunction("late")


@pytest.mark.django_db
def test_asking_for_no_status_at_all_matches_no_assignment(tenant, make_person):
    from duecourse.assignments.models import Assignment
    from duecourse.assignments.selectors import statuses_filter
    from duecourse.testing.factories import assign, make_course

    admin = make_person(tenant, roles=("admin",))
    assign(admin, make_person(tenant), make_course(tenant))
    now = dt.datetime.now(UTC)
    assert Assignment.objects.filter(statuses_filter([], now)).count() == 0
    assert Assignment.objects.filter(statuses_filter(["assigned"], now)).count() == 1
