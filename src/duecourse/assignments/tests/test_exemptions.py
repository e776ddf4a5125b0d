"""Exemptions through the API: who may grant one, on what, what it beats, when it ends, and what it stops
(reminders, escalation, compliance flags, rule reconciles); reports count it apart."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course, org_unit, target
from duecourse.testing.scheduling import tick

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Fire safety")


@pytest.fixture
def crew(tenant, make_person):
    return make_person(tenant, name="Cleo Crew", department=org_unit(tenant, "department", "Crew"))


def group_assign(api, tenant, person, course, **fields) -> dict:
    """Assign through a group (a shared source), returning the person's assignment as the API shows it."""
    group = Group.objects.create(tenant=tenant, name=f"Night shift {person.pk}", kind="static")
    GroupMember.objects.create(tenant=tenant, group=group, person=person)
    body = {"targets": [target(course)], "assignees": {"group_ids": [group.pk]}, **fields}
    response = api.post("assignments/bulk", body)
    assert response.status_code == 200, response.content
    assignment = Assignment.objects.get(person=person, target_id=course.pk, withdrawn_at__isnull=True)
    return api.get(f"assignments/{assignment.pk}").json()


def exempt(api, assignment_id: int, **body):
    return api.post(f"assignments/{assignment_id}/exemption", {"reason": "On parental leave", **body})


class TestGrant:
    def test_a_group_held_assignment_becomes_exempt_and_the_grant_is_audited(
        self, admin_api, tenant, admin, crew, course
    ):
        held = group_assign(admin_api, tenant, crew, course, due_date="2026-06-01")
        assert held["status"] == "overdue"
        response = exempt(admin_api, held["id"], until="2026-09-30")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "exempt" and response.json()["id"] == held["id"]
        event = AuditEvent.objects.get(action="assignment.exempt", object_id=held["id"])
        assert event.actor_id == admin.pk and event.reason == "On parental leave"
        assert event.before["exempt_at"] is None
        assert event.after["exempt_until"] == "2026-09-30" and event.after["exempt_reason"] == "On parental leave"

    def test_granting_clears_the_compliance_flag_and_the_audit_shows_it(self, admin_api, tenant, crew, course):
        held = group_assign(admin_api, tenant, crew, course, due_date="2026-04-01")
        tick(NOW)  # long overdue: flagged
        assert admin_api.get(f"assignments/{held['id']}").json()["compliance_flag"] is True
        response = exempt(admin_api, held["id"])
        assert response.status_code == 200, response.content
        assert response.json()["compliance_flag"] is False
        assert admin_api.get(f"assignments/{held['id']}").json()["compliance_flag"] is False
        event = AuditEvent.objects.get(action="assignment.exempt", object_id=held["id"])
        assert event.before["compliance_flag"] is True and event.after["compliance_flag"] is False

    def test_an_individual_only_assignment_answers_409_naming_the_sources_and_nothing_changes(
        self, admin_api, admin, learner, course
    ):
        assignment = assign(admin, learner, course)
        events = AuditEvent.objects.count()
        response = exempt(admin_api, assignment.pk)
        assert response.status_code == 409
        assert [e["field"] for e in response.json()["errors"]] == ["sources"]
        assert "withdraw" in response.json()["errors"][0]["message"]
        assert Assignment.objects.get(pk=assignment.pk).exempt_at is None
        assert AuditEvent.objects.count() == events

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"reason": "  "}, "reason"), ({"until": "2026-06-14"}, "until"), ({"until": "2999-01-01"}, "until")],
    )
    def test_bad_input_is_a_422_naming_the_field(self, admin_api, tenant, crew, course, body, field):
        held = group_assign(admin_api, tenant, crew, course)
        response = exempt(admin_api, held["id"], **body)
        assert response.status_code == 422, response.content
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert Assignment.objects.get(pk=held["id"]).exempt_at is None

    def test_a_missing_reason_is_a_422(self, admin_api, tenant, crew, course):
        held = group_assign(admin_api, tenant, crew, course)
        response = admin_api.post(f"assignments/{held['id']}/exemption", {"until": "2026-07-01"})
        assert response.status_code == 422

    def test_the_status_filter_takes_exempt(self, admin_api, tenant, crew, course):
        held = group_assign(admin_api, tenant, crew, course, due_date="2026-06-01")
        exempt(admin_api, held["id"])
        listed = admin_api.get("assignments", {"status": "exempt"}).json()
        assert [i["id"] for i in listed["items"]] == [held["id"]]
        assert admin_api.get("assignments", {"status": "overdue"}).json()["count"] == 0


class TestStatus:
    def test_completed_beats_exempt(self, admin_api, tenant, crew, course):
        held = group_assign(admin_api, tenant, crew, course)
        exempt(admin_api, held["id"])
        response = admin_api.post("progress", {"person_id": crew.pk, "course_id": course.pk, "progress": 100})
        assert response.status_code == 200, response.content
        assert admin_api.get(f"assignments/{held['id']}").json()["status"] == "completed"

    def test_after_until_the_original_due_date_applies_again_in_the_persons_zone(
        self, admin_api, tenant, make_person, course, frozen
    ):
        person = make_person(tenant, name="Kiri", timezone="Pacific/Auckland")  # UTC+12 in June
        held = group_assign(admin_api, tenant, person, course, due_date="2026-06-01")
        assert exempt(admin_api, held["id"], until="2026-06-20").json()["status"] == "exempt"
        frozen.move_to(dt.datetime(2026, 6, 20, 11, 59, tzinfo=dt.UTC))  # 23:59 on the 20th in Auckland
        assert admin_api.get(f"assignments/{held['id']}").json()["status"] == "exempt"
        frozen.move_to(dt.datetime(2026, 6, 20, 12, 1, tzinfo=dt.UTC))  # 00:01 on the 21st there
        assert admin_api.get(f"assignments/{held['id']}").json()["status"] == "overdue"

    def test_ending_it_reopens_the_assignment_with_its_due_date_and_is_audited(self, admin_api, tenant, crew, course):
        held = group_assign(admin_api, tenant, crew, course, due_date="2026-06-01")
        exempt(admin_api, held["id"])
        response = admin_api.delete(f"assignments/{held['id']}/exemption?reason=Back+at+work")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "overdue"
        event = AuditEvent.objects.get(action="assignment.exemption_end", object_id=held["id"])
        assert event.before["exempt_reason"] == "On parental leave" and event.after["exempt_at"] is None
        assert event.reason == "Back at work"

    def test_a_retake_of_a_completed_exempt_assignment_ends_the_exemption_and_audits_it(
        self, admin_api, tenant, crew, course
    ):
        held = group_assign(admin_api, tenant, crew, course)
        exempt(admin_api, held["id"])
        admin_api.post("progress", {"person_id": crew.pk, "course_id": course.pk, "progress": 100})
        response = admin_api.post(
            "assignments", {"person_id": crew.pk, "target": target(course), "due_date": "2026-07-01", "retake": True}
        )
        assert response.status_code == 201, response.content
        assert response.json()["id"] == held["id"] and response.json()["status"] == "assigned"
        assert admin_api.get(f"assignments/{held['id']}").json()["status"] == "assigned"
        assert Assignment.objects.get(pk=held["id"]).exempt_at is None
        event = AuditEvent.objects.get(action="assignment.retake", object_id=held["id"])
        assert event.before["exemption"]["exempt_reason"] == "On parental leave"
        assert event.after["exemption"] is None


class TestWhatItStops:
    def test_no_reminder_escalation_or_compliance_flag_while_exempt(self, admin_api, tenant, make_person, course):
        boss = make_person(tenant, name="Boss")
        person = make_person(tenant, name="Pat", manager=boss)
        held = group_assign(admin_api, tenant, person, course, due_date="2026-06-20")
        exempt(admin_api, held["id"])
        Notification.objects.all().delete()
        for day in (18, 21, 25, 30, 40):  # before the due date, when overdue, every escalation tier
            tick(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=day - 1))
        assert not Notification.objects.filter(assignment_id=held["id"]).exists()
        assert Assignment.objects.get(pk=held["id"]).compliance_flag is False

    def test_the_same_assignment_without_an_exemption_is_reminded_escalated_and_flagged(
        self, admin_api, tenant, make_person, course
    ):
        boss = make_person(tenant, name="Boss")
        person = make_person(tenant, name="Pat", manager=boss)
        held = group_assign(admin_api, tenant, person, course, due_date="2026-06-20")
        Notification.objects.all().delete()
        for day in (18, 21, 25, 30, 40):
            tick(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=day - 1))
        kinds = set(Notification.objects.filter(assignment_id=held["id"]).values_list("kind", flat=True))
        assert {"reminder", "overdue", "escalation"} <= kinds
        assert Assignment.objects.get(pk=held["id"]).compliance_flag is True

    @pytest.mark.parametrize("exempted", [True, False])
    def test_no_due_date_notice_while_exempt_when_a_manager_assigns_an_earlier_date(
        self, admin_api, api_as, tenant, make_person, course, exempted
    ):
        manager = make_person(tenant, name="Max Manager")
        person = make_person(tenant, name="Pat", manager=manager)
        held = group_assign(admin_api, tenant, person, course, due_date="2026-08-30")
        if exempted:
            exempt(admin_api, held["id"])
        Notification.objects.all().delete()
        response = api_as(manager).post(
            "assignments", {"person_id": person.pk, "target": target(course), "due_date": "2026-07-01"}
        )
        assert response.status_code == 200, response.content
        assert response.json()["due_date"] == "2026-07-01"
        notified = Notification.objects.filter(person=person, kind="due_date_changed").exists()
        assert notified is not exempted  # without the exemption the learner is told

    def test_no_expiry_notice_to_renew_what_they_are_exempt_from(self, admin_api, tenant, make_person, course):
        people = [make_person(tenant, name=name) for name in ("Exempt", "Not exempt")]
        held = [group_assign(admin_api, tenant, person, course, validity_months=1) for person in people]
        for person in people:
            admin_api.post("progress", {"person_id": person.pk, "course_id": course.pk, "progress": 100})
        exempt(admin_api, held[0]["id"])
        # Valid one month (to 15 Jul): the 30-day window opens halfway, 15 days on (a window is at most half).
        tick(NOW + dt.timedelta(days=15))
        assert not Notification.objects.filter(assignment_id=held[0]["id"], kind="expiring").exists()
        assert Notification.objects.filter(assignment_id=held[1]["id"], kind="expiring").exists()

    def test_an_exempt_assignment_is_withdrawn_when_the_person_leaves_the_rules_audience(
        self, admin_api, tenant, make_person, crew, course
    ):
        peer = make_person(tenant, name="Peer", department=crew.department)
        make_person(tenant, name="Clerk", department=org_unit(tenant, "department", "Office"))
        rule = admin_api.post(
            "rules",
            {"name": "Crew safety", "audience": {"departments": ["Crew"]}, "items": [{"target": target(course)}]},
        ).json()
        (assignment,) = Assignment.objects.filter(person=crew, withdrawn_at__isnull=True)
        exempt(admin_api, assignment.pk)
        response = admin_api.patch(f"rules/{rule['id']}", {"audience": {"departments": ["Office"]}})
        assert response.status_code == 200, response.content
        # Rules skip exempt people only when adding: leaving the audience withdraws it like anyone's.
        assert Assignment.objects.get(pk=assignment.pk).withdrawn_at is not None
        assert not Assignment.objects.filter(person=peer, withdrawn_at__isnull=True).exists()

    def test_deleting_the_rule_withdraws_an_exempt_assignment_only_it_held(self, admin_api, tenant, crew, course):
        rule = admin_api.post(
            "rules",
            {"name": "Crew safety", "audience": {"departments": ["Crew"]}, "items": [{"target": target(course)}]},
        ).json()
        (assignment,) = Assignment.objects.filter(person=crew, withdrawn_at__isnull=True)
        assert exempt(admin_api, assignment.pk).status_code == 200
        response = admin_api.delete(f"rules/{rule['id']}")
        assert response.status_code in (200, 204), response.content
        assert Assignment.objects.get(pk=assignment.pk).withdrawn_at is not None
        assert not AssignmentSource.objects.filter(assignment=assignment, kind="rule").exists()

    def test_an_exempt_person_who_leaves_loses_the_rules_assignment_like_anyone(
        self, admin_api, tenant, make_person, crew, course
    ):
        peer = make_person(tenant, name="Peer", department=crew.department)
        admin_api.post(
            "rules",
            {"name": "Crew safety", "audience": {"departments": ["Crew"]}, "items": [{"target": target(course)}]},
        )
        (assignment,) = Assignment.objects.filter(person=crew, withdrawn_at__isnull=True)
        exempt(admin_api, assignment.pk)
        for person in (crew, peer):
            response = admin_api.patch(f"people/{person.pk}", {"active": False})
            assert response.status_code == 200, response.content
        assert Assignment.objects.get(pk=assignment.pk).withdrawn_at is not None
        assert not Assignment.objects.filter(person=peer, withdrawn_at__isnull=True).exists()


class TestWorkload:
    def test_the_overload_warning_counts_neither_exempt_nor_hidden_items(self, admin_api, tenant, make_person):
        tenant.settings = {"overload_minutes_30d": 90}
        tenant.save()
        crew_unit = org_unit(tenant, "department", "Crew")
        exempted, hidden, plain = (make_person(tenant, name=n, department=crew_unit) for n in ("Ex", "Hid", "Plain"))
        heavy, hidden_course = (make_course(tenant, title=t, minutes=100) for t in ("Heavy", "Quiet"))
        new = make_course(tenant, title="New", minutes=20)
        for person in (exempted, plain):
            group_assign(admin_api, tenant, person, heavy, due_in_days=5)
        exempt(admin_api, Assignment.objects.get(person=exempted, target_id=heavy.pk).pk)
        items = [{"target": target(hidden_course), "visibility": "hidden"}]
        rule = {"name": "Quiet", "audience": {"person_ids": [hidden.pk]}, "due_in_days": 5, "items": items}
        response = admin_api.post("rules", rule)
        assert response.status_code == 201, response.content
        assert Assignment.objects.get(person=hidden, target_id=hidden_course.pk).visibility == "hidden"
        body = {"targets": [target(new)], "assignees": {"person_ids": [exempted.pk, hidden.pk, plain.pk]}}
        response = admin_api.post("assignments/bulk", {**body, "due_in_days": 7, "dry_run": True})
        assert response.status_code == 200, response.content
        rows = {r["person_id"]: (r["workload_minutes_30d"], r["overloaded"]) for r in response.json()["preview"]}
        assert rows == {exempted.pk: (0, False), hidden.pk: (0, False), plain.pk: (100, True)}


class TestReports:
    def test_compliance_counts_exempt_apart_outside_the_denominator(self, admin_api, tenant, make_person, course):
        crew_unit = org_unit(tenant, "department", "Crew")
        one, two = (make_person(tenant, name=n, department=crew_unit) for n in ("One", "Two"))
        first = group_assign(admin_api, tenant, one, course, due_date="2026-06-01")
        Group.objects.all().delete()
        second = group_assign(admin_api, tenant, two, course, due_date="2026-06-01")
        assert first["status"] == second["status"] == "overdue"
        exempt(admin_api, second["id"])
        (row,) = admin_api.get("reports/compliance", {"by": "department"}).json()["items"]
        assert (row["key"], row["required_due"], row["completed"], row["exempt"]) == ("Crew", 1, 0, 1)
        assert row["rate"] == 0.0
        response = admin_api.get("reports/compliance", {"by": "department", "format": "csv"})
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines == ["key,required_due,completed,rate,exempt", "Crew,1,0,0.0,1"]
