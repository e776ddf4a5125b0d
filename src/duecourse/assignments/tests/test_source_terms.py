"""Each source contributes its own due date, priority, reminders and note; the assignment shows them together."""

import datetime as dt

import pytest

from duecourse.assignments import fanout
from duecourse.assignments.domain import SourceTerms, effective_terms
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.testing.factories import make_course, target
from duecourse.testing.scheduling import inbox

pytestmark = pytest.mark.django_db

RULE_PLAN = [{"days": 7, "recipients": ["learner"]}]


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Fire safety")


@pytest.fixture
def manager(tenant, make_person):
    return make_person(tenant, name="Max Manager", email="max@acme.test")


@pytest.fixture
def report(tenant, make_person, manager):
    return make_person(tenant, name="Rita Report", email="rita@acme.test", manager=manager)


@pytest.fixture
def rule_held(admin_api, report, course):
    """An L&D rule holds the report's assignment: due 2030-06-01, high priority, a weekly reminder, a note."""
    response = admin_api.post(
        "rules",
        {
            "name": "Safety",
            "audience": {"person_ids": [report.pk]},
            "items": [{"target": target(course)}],
            "due_date": "2030-06-01",
            "priority": "high",
            "note": "Required by law",
            "reminders": RULE_PLAN,
        },
    )
    assert response.status_code == 201, response.content
    return Assignment.objects.get(person=report)


def add_own_source(api, person, course, **fields):
    response = api.post("assignments", {"person_id": person.pk, "target": target(course), **fields})
    assert response.status_code == 200, response.content
    return response.json()


class TestAManagersSourceOnARuleHeldAssignment:
    def test_a_later_date_lower_priority_and_no_reminders_change_only_their_source(
        self, api_as, manager, report, course, rule_held
    ):
        client = api_as(manager)
        add_own_source(client, report, course, due_date="2030-05-01", priority="medium", note="Team first")
        response = client.patch(
            f"assignments/{rule_held.pk}",
            {"due_date": "2031-01-01", "priority": "low", "reminders": [], "note": "Whenever you can"},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        # Effective values: the earliest date, the highest priority, the union of the plans.
        assert body["due_date"] == "2030-06-01"
        assert body["priority"] == "high"
        assert body["reminders"] == RULE_PLAN
        by_kind = {s["kind"]: s for s in body["sources"]}
        assert by_kind["individual"]["due_date"] == "2031-01-01"
        assert by_kind["rule"]["due_date"] == "2030-06-01"
        # Each source keeps its note; the assignment's note joins them, newest first.
        assert by_kind["rule"]["note"] == "Required by law"
        assert by_kind["individual"]["note"] == "Whenever you can"
        assert body["note"] == "Whenever you can\n\nRequired by law"

    def test_the_learner_is_told_when_the_effective_date_moves_earlier(
        self, api_as, manager, report, course, rule_held
    ):
        client = api_as(manager)
        add_own_source(client, report, course)
        told = len(inbox(report, "due_date_changed"))
        response = client.patch(f"assignments/{rule_held.pk}", {"due_date": "2030-03-01"})
        assert response.status_code == 200
        assert response.json()["due_date"] == "2030-03-01"
        assert len(inbox(report, "due_date_changed")) == told + 1
        # A later date of their own does not move it back past the rule's, and tells nobody.
        response = client.patch(f"assignments/{rule_held.pk}", {"due_date": "2030-12-01"})
        assert response.json()["due_date"] == "2030-06-01"
        assert len(inbox(report, "due_date_changed")) == told + 1

    def test_removing_their_source_leaves_the_rules_values(self, api_as, manager, report, course, rule_held):
        client = api_as(manager)
        add_own_source(client, report, course, due_date="2030-01-01", note="Asap")
        assert client.get(f"assignments/{rule_held.pk}").json()["due_date"] == "2030-01-01"
        body = client.delete(f"assignments/{rule_held.pk}").json()
        assert (body["due_date"], body["note"], body["priority"]) == ("2030-06-01", "Required by law", "high")


class TestTheRecomputeIsTheDomainRule:
    def test_the_database_recompute_gives_what_effective_terms_gives(self, admin, tenant, make_person, course):
        from duecourse.testing.factories import assign

        person = make_person(tenant)
        a = assign(admin, person, course, due_date="2030-05-01", priority="low", note="first")
        base = AssignmentSource.objects.get(assignment=a)
        plans = [None, [], [{"days": 2, "recipients": ["manager"]}], [{"days": 2, "recipients": ["learner"]}]]
        for index, (due, priority, plan, note) in enumerate(
            [
                ("2030-04-01", "medium", plans[1], "second"),
                (None, "high", plans[2], ""),
                ("2030-09-01", "low", plans[3], "third"),
            ]
        ):
            AssignmentSource.objects.create(
                tenant=tenant,
                assignment=a,
                kind="group",
                ref_id=100 + index,
                label=f"Group {index}",
                due_date=due,
                priority=priority,
                reminder_plan=plan,
                note=note,
                created_at=base.created_at + dt.timedelta(minutes=index + 1),
            )
        fanout.recompute_effective(Assignment.objects.filter(pk=a.pk))
        a.refresh_from_db()
        terms = [
            SourceTerms(s.due_date, s.priority, s.reminder_plan, s.note, s.created_at)
            for s in AssignmentSource.objects.filter(assignment=a)
        ]
        expected = effective_terms(terms)
        assert (a.due_date, a.priority, a.reminder_plan, a.note) == (
            expected.due_date,
            expected.priority,
            expected.reminder_plan,
            expected.note,
        )
        assert expected.due_date == dt.date(2030, 4, 1) and expected.priority == "high"
        assert expected.note == "third\n\nsecond\n\nfirst"
        assert expected.reminder_plan == [
            {"days": 3, "recipients": ["learner"]},
            {"days": 2, "recipients": ["learner", "manager"]},
        ]


class TestARulesOwnTerms:
    def test_changing_the_rules_priority_note_and_reminders_reaches_its_sources_only(
        self, admin_api, api_as, manager, report, course, rule_held
    ):
        add_own_source(api_as(manager), report, course, priority="medium", note="Team first")
        rule_id = AssignmentSource.objects.get(kind="rule").rule_id
        response = admin_api.patch(f"rules/{rule_id}", {"priority": "low", "note": "Law", "reminders": []})
        assert response.status_code == 200, response.content
        body = admin_api.get(f"assignments/{rule_held.pk}").json()
        by_kind = {s["kind"]: s for s in body["sources"]}
        assert by_kind["rule"]["note"] == "Law" and by_kind["individual"]["note"] == "Team first"
        assert body["priority"] == "medium"  # the manager's source is now the highest
        assert body["note"] == "Team first\n\nLaw"
        assert body["reminders"] == [{"days": 3, "recipients": ["learner"]}]  # the manager's: the default plan


class TestValuesLearningStaffSetByHand:
    def test_a_source_joining_later_keeps_the_admins_priority_and_note(
        self, admin_api, api_as, manager, report, course, rule_held
    ):
        response = admin_api.patch(f"assignments/{rule_held.pk}", {"priority": "low", "note": "Agreed with HR"})
        assert response.status_code == 200, response.content
        add_own_source(api_as(manager), report, course, priority="high", note="Please do it soon")
        body = admin_api.get(f"assignments/{rule_held.pk}").json()
        assert (body["priority"], body["note"]) == ("low", "Agreed with HR")
        assert {s["note"] for s in body["sources"]} >= {"Please do it soon"}  # the manager's source keeps its own
