"""Assignments through the HTTP API: single and bulk assign, change, withdraw, lists and exports."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.testing.factories import assign, make_course, make_path, org_unit, target

pytestmark = pytest.mark.django_db

ASSIGNMENT_KEYS = {
    "id", "person_id", "target", "status", "progress", "priority", "due_date", "note", "visibility",
    "validity_months", "recurrence_weeks", "cycle", "sources", "reminders", "assigned_at", "completed_at",
    "expires_at", "compliance_flag",
}  # fmt: skip


def today() -> dt.date:
    return dt.date.today()


def counts() -> tuple[int, int, int]:
    return Assignment.objects.count(), AssignmentSource.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def course(tenant):
    return make_course(tenant, minutes=60)


class TestSingleAssignment:
    def test_201_with_the_contract_shape(self, admin_api, admin, learner, course):
        response = admin_api.post(
            "assignments",
            {
                "person_id": learner.pk,
                "target": target(course),
                "due_date": str(today() + dt.timedelta(days=20)),
                "priority": "high",
                "note": "Before your first shift",
                "reason": "Induction",
                "reminders": [{"days": 5, "recipients": ["learner", "manager"]}],
                "recurrence_weeks": 52,
                "validity_months": 12,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) >= ASSIGNMENT_KEYS
        assert body["person_id"] == learner.pk
        assert body["target"] == {"type": "course", "id": course.pk, "title": course.title}
        assert body["status"] == "assigned" and body["progress"] == 0 and body["cycle"] == 1
        assert body["priority"] == "high" and body["note"] == "Before your first shift"
        assert body["due_date"] == str(today() + dt.timedelta(days=20))
        assert body["visibility"] == "required"
        assert body["validity_months"] == 12 and body["recurrence_weeks"] == 52
        assert body["reminders"] == [{"days": 5, "recipients": ["learner", "manager"]}]
        assert body["sources"] == [
            {
                "kind": "individual",
                "label": "Individual by Ada Admin",
                "assigned_by_id": admin.pk,
                "rule_id": None,
                "due_date": body["due_date"],
                "note": "Before your first shift",
            }
        ]
        assert body["completed_at"] is None and body["compliance_flag"] is False
        event = AuditEvent.objects.get(action="assignment.create", object_id=body["id"])
        assert event.actor_id == admin.pk and event.reason == "Induction"

    def test_default_reminder_plan_is_shown(self, admin_api, learner, course):
        body = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)}).json()
        assert body["reminders"] == [{"days": 3, "recipients": ["learner"]}]

    def test_second_call_answers_200_attaches_a_source_and_the_earliest_due_date_wins(
        self, admin_api, api_as, tenant, make_person, course
    ):
        manager = make_person(tenant, name="Max Manager")
        report = make_person(tenant, manager=manager)
        late, early = today() + dt.timedelta(days=40), today() + dt.timedelta(days=10)
        first = admin_api.post("assignments", {"person_id": report.pk, "target": target(course), "due_date": str(late)})
        assert first.status_code == 201
        second = api_as(manager).post(
            "assignments", {"person_id": report.pk, "target": target(course), "due_date": str(early)}
        )
        assert second.status_code == 200, second.content
        body = second.json()
        assert body["id"] == first.json()["id"]
        assert body["due_date"] == str(early)
        assert sorted(s["label"] for s in body["sources"]) == ["Individual by Ada Admin", "Individual by Max Manager"]
        assert Assignment.objects.count() == 1
        # A third source with a later date changes nothing.
        third = admin_api.post("assignments", {"person_id": report.pk, "target": target(course), "due_date": str(late)})
        assert third.status_code == 200 and third.json()["due_date"] == str(early)
        assert len(third.json()["sources"]) == 2

    def test_due_in_days(self, admin_api, learner, course):
        body = admin_api.post(
            "assignments", {"person_id": learner.pk, "target": target(course), "due_in_days": 14}
        ).json()
        assert body["due_date"] == str(today() + dt.timedelta(days=14))
        assert body["status"] == "assigned"

    def test_past_due_date_is_accepted_and_overdue_at_once(self, admin_api, learner, course):
        response = admin_api.post(
            "assignments", {"person_id": learner.pk, "target": target(course), "due_date": "2020-01-31"}
        )
        assert response.status_code == 201
        assert response.json()["status"] == "overdue"

    def test_no_due_date_is_never_overdue(self, admin_api, learner, course):
        body = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)}).json()
        assert body["due_date"] is None
        with time_machine.travel(dt.datetime(2040, 1, 1, tzinfo=dt.UTC)):
            assert admin_api.get(f"assignments/{body['id']}").json()["status"] == "assigned"

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"due_date": "2026-02-30"}, "due_date"),
            ({"due_date": "1900-01-01"}, "due_date"),
            ({"due_in_days": -1}, "due_in_days"),
            ({"due_date": "2030-01-01", "due_in_days": 3}, "due_in_days"),
            ({"priority": "urgent"}, "priority"),
            ({"reminders": [{"days": 3, "recipients": ["ceo"]}]}, "reminders.0.recipients.0"),
            ({"validity_months": 0}, "validity_months"),
            ({"target": {"type": "video", "id": 1}}, "target.type"),
        ],
    )
    def test_bad_input_is_422_naming_the_field_and_writes_nothing(self, admin_api, learner, course, body, field):
        before = counts()
        response = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course), **body})
        assert response.status_code == 422, response.content
        assert field in {e["field"] for e in response.json()["errors"]}
        assert counts() == before

    def test_unknown_and_other_tenant_people_and_targets_are_404(
        self, admin_api, learner, course, other_tenant, make_person
    ):
        foreign_person = make_person(other_tenant)
        foreign_course = make_course(other_tenant)
        assert (
            admin_api.post("assignments", {"person_id": foreign_person.pk, "target": target(course)}).status_code == 404
        )
        assert admin_api.post("assignments", {"person_id": 987654, "target": target(course)}).status_code == 404
        assert (
            admin_api.post("assignments", {"person_id": learner.pk, "target": target(foreign_course)}).status_code
            == 404
        )
        assert not Assignment.objects.exists()

    def test_deactivated_person_is_422(self, admin_api, tenant, make_person, course):
        gone = make_person(tenant, active=False)
        response = admin_api.post("assignments", {"person_id": gone.pk, "target": target(course)})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "person_id"

    def test_manager_assigns_only_to_direct_reports(self, api_as, tenant, make_person, course):
        manager = make_person(tenant)
        report = make_person(tenant, manager=manager)
        stranger = make_person(tenant)
        grandchild = make_person(tenant, manager=report)
        client = api_as(manager)
        assert client.post("assignments", {"person_id": report.pk, "target": target(course)}).status_code == 201
        assert client.post("assignments", {"person_id": stranger.pk, "target": target(course)}).status_code == 404
        assert client.post("assignments", {"person_id": grandchild.pk, "target": target(course)}).status_code == 404
        assert client.post("assignments", {"person_id": manager.pk, "target": target(course)}).status_code == 403
        assert Assignment.objects.count() == 1


class TestOverdueInThePersonsTimeZone:
    """Due 2026-03-10: over at 11:00 UTC that day in Auckland (NZDT), but not until 05:00 UTC the next day in
    Chicago (CDT since 8 March)."""

    @pytest.fixture
    def pair(self, admin, tenant, make_person, course):
        auckland = make_person(tenant, timezone="Pacific/Auckland")
        chicago = make_person(tenant, timezone="America/Chicago")
        with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC)):
            a = assign(admin, auckland, course, due_date="2026-03-10")
            c = assign(admin, chicago, course, due_date="2026-03-10")
        return a, c

    def status(self, api, assignment, moment):
        with time_machine.travel(moment, tick=False):
            return api.get(f"assignments/{assignment.pk}").json()["status"]

    def test_just_before_and_after_midnight_in_auckland(self, admin_api, pair):
        a, c = pair
        assert self.status(admin_api, a, dt.datetime(2026, 3, 10, 10, 59, tzinfo=dt.UTC)) == "assigned"
        assert self.status(admin_api, a, dt.datetime(2026, 3, 10, 11, 0, 1, tzinfo=dt.UTC)) == "overdue"
        assert self.status(admin_api, c, dt.datetime(2026, 3, 10, 11, 0, 1, tzinfo=dt.UTC)) == "assigned"

    def test_just_before_and_after_midnight_in_chicago(self, admin_api, pair):
        a, c = pair
        assert self.status(admin_api, c, dt.datetime(2026, 3, 11, 4, 59, tzinfo=dt.UTC)) == "assigned"
        assert self.status(admin_api, c, dt.datetime(2026, 3, 11, 5, 0, 1, tzinfo=dt.UTC)) == "overdue"

    def test_the_overdue_filter_agrees(self, admin_api, pair):
        a, c = pair
        with time_machine.travel(dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC), tick=False):
            items = admin_api.get("assignments", {"overdue": "true"}).json()["items"]
            assert [i["id"] for i in items] == [a.pk]
            items = admin_api.get("assignments", {"status": "assigned"}).json()["items"]
            assert [i["id"] for i in items] == [c.pk]

    def test_changing_the_persons_time_zone_moves_the_deadline(self, admin_api, pair):
        a, c = pair
        response = admin_api.patch(f"people/{c.person_id}", {"timezone": "Pacific/Auckland"})
        assert response.status_code == 200, response.content
        assert self.status(admin_api, c, dt.datetime(2026, 3, 10, 11, 0, 1, tzinfo=dt.UTC)) == "overdue"


class TestBulk:
    @pytest.fixture
    def crew(self, tenant, make_person):
        logistics = org_unit(tenant, "department", "Logistics")
        return [make_person(tenant, department=logistics, name=f"Crew {i}") for i in range(4)]

    def bulk(self, api, **body):
        return api.post("assignments/bulk", body)

    def test_dry_run_counts_equal_the_real_run_and_nothing_is_written(self, admin_api, crew, course, tenant):
        second = make_course(tenant)
        assign_one = assign  # an existing open assignment is skipped
        from duecourse.people.models import Person

        admin = Person.objects.get(email="admin@acme.test")
        assign_one(admin, crew[0], course)
        body = {
            "targets": [target(course), target(second)],
            "assignees": {"departments": ["Logistics"]},
            "due_in_days": 10,
        }
        before = counts()
        dry = self.bulk(admin_api, **body, dry_run=True)
        assert dry.status_code == 200, dry.content
        assert counts() == before
        dry = dry.json()
        assert (dry["created"], dry["skipped"], dry["failed"]) == (7, 1, [])
        assert len(dry["preview"]) == 8
        skip = [p for p in dry["preview"] if p["action"] == "skip"]
        assert [(p["person_id"], p["target"]["id"]) for p in skip] == [(crew[0].pk, course.pk)]

        real = self.bulk(admin_api, **body).json()
        assert (real["created"], real["skipped"]) == (dry["created"], dry["skipped"])
        assert Assignment.objects.count() == 8
        # One line in the audit log for the call (plus the earlier single assignment's own), found
        # from any assignment it created.
        assert AuditEvent.objects.filter(action="assignment.create").count() == 2
        made = Assignment.objects.filter(person=crew[1], target_id=second.pk).get()
        history = admin_api.get("audit", {"object_type": "assignment", "object_id": made.pk}).json()["items"]
        assert [(e["action"], e["object_type"], e["after"]["created"], e["after"]["skipped"]) for e in history] == [
            ("assignment.create", "assignment_operation", 7, 1)
        ]
        assert history[0]["object_id"] == made.operation_id and history[0]["actor_id"] == admin.pk

        again = self.bulk(admin_api, **body).json()
        assert (again["created"], again["skipped"], again["failed"]) == (0, 8, [])
        assert Assignment.objects.count() == 8

    def test_preview_shows_workload_and_overload_against_the_tenant_threshold(
        self, admin, admin_api, crew, course, tenant
    ):
        tenant.settings = {"overload_minutes_30d": 90}
        tenant.save()
        heavy = make_course(tenant, minutes=80)
        assign(admin, crew[0], heavy, due_in_days=5)
        assign(admin, crew[1], make_course(tenant, minutes=20), due_in_days=60)  # not within 30 days
        response = self.bulk(
            admin_api,
            targets=[target(course)],
            assignees={"person_ids": [crew[0].pk, crew[1].pk]},
            due_in_days=7,
            dry_run=True,
        ).json()
        rows = {r["person_id"]: r for r in response["preview"]}
        assert rows[crew[0].pk]["workload_minutes_30d"] == 80
        assert rows[crew[0].pk]["overloaded"] is True
        assert rows[crew[1].pk]["workload_minutes_30d"] == 0
        assert rows[crew[1].pk]["overloaded"] is False
        assert rows[crew[0].pk]["name"] == crew[0].name
        assert set(rows[crew[0].pk]) >= {"person_id", "name", "target", "action", "workload_minutes_30d", "overloaded"}

    def test_bad_rows_fail_with_reasons_and_the_rest_are_created(self, api_as, tenant, make_person, course):
        manager = make_person(tenant)
        reports = [make_person(tenant, manager=manager) for _ in range(2)]
        gone = make_person(tenant, manager=manager, active=False)
        stranger = make_person(tenant)
        response = self.bulk(
            api_as(manager),
            targets=[target(course)],
            assignees={"person_ids": [reports[0].pk, 999999, gone.pk, stranger.pk, reports[1].pk]},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["created"] == 2 and body["skipped"] == 0
        reasons = {f["person_id"]: f["reason"] for f in body["failed"]}
        assert reasons == {
            999999: "no such person",
            gone.pk: "person is deactivated",
            stranger.pk: "you may assign only to your direct reports",
        }
        assert all(f["target"]["id"] == course.pk for f in body["failed"])
        assert set(Assignment.objects.values_list("person_id", flat=True)) == {r.pk for r in reports}

    def test_group_department_and_everyone_sources_and_labels(
        self, admin, admin_api, tenant, make_person, crew, course
    ):
        drivers = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
        outsider = make_person(tenant)
        GroupMember.objects.create(tenant=tenant, group=drivers, person=crew[0])
        GroupMember.objects.create(tenant=tenant, group=drivers, person=outsider)
        body = self.bulk(
            admin_api,
            targets=[target(course)],
            assignees={"group_ids": [drivers.pk], "departments": ["Logistics"], "everyone": True},
        ).json()
        everyone = {admin.pk, outsider.pk, *(c.pk for c in crew)}
        assert body["created"] == len(everyone)
        labels = {
            a.person_id: sorted(s.label for s in a.sources.all())
            for a in Assignment.objects.prefetch_related("sources")
        }
        assert labels[crew[0].pk] == ["Department: Logistics", "Everyone", "Group: Drivers"]
        assert labels[outsider.pk] == ["Everyone", "Group: Drivers"]
        assert labels[crew[1].pk] == ["Department: Logistics", "Everyone"]
        assert labels[admin.pk] == ["Everyone"]
        kinds = set(AssignmentSource.objects.values_list("kind", flat=True))
        assert kinds == {"group", "org_unit", "everyone"}

    def test_everyone_skips_deactivated_people(self, admin_api, tenant, make_person, course):
        make_person(tenant, active=False)
        body = self.bulk(admin_api, targets=[target(course)], assignees={"everyone": True}).json()
        assert body["created"] == 1  # just the admin

    def test_unknown_group_department_or_empty_audience_is_422(self, admin_api, course):
        assert self.bulk(admin_api, targets=[target(course)], assignees={"group_ids": [424242]}).status_code == 422
        response = self.bulk(admin_api, targets=[target(course)], assignees={"departments": ["Nowhere"]})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "assignees.departments"
        response = self.bulk(admin_api, targets=[target(course)], assignees={})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "assignees"
        assert not Assignment.objects.exists()

    def test_past_due_date_in_bulk_is_overdue_at_once(self, admin_api, crew, course):
        self.bulk(admin_api, targets=[target(course)], assignees={"departments": ["Logistics"]}, due_date="2021-06-01")
        statuses = {i["status"] for i in admin_api.get("assignments").json()["items"]}
        assert statuses == {"overdue"}

    def test_learner_and_hr_cannot_bulk_assign(self, api_as, tenant, make_person, course, crew):
        for person in (make_person(tenant), make_person(tenant, roles=("hr",))):
            response = self.bulk(api_as(person), targets=[target(course)], assignees={"everyone": True})
            assert response.status_code == 403
        assert not Assignment.objects.exists()


class TestChangeAndWithdraw:
    def test_patch_due_date_is_audited_and_marked_as_set_by_hand(self, admin, admin_api, learner, course):
        a = assign(admin, learner, course, due_date="2030-05-01")
        response = admin_api.patch(f"assignments/{a.pk}", {"due_date": "2030-06-15", "reason": "Extended leave"})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["due_date"] == "2030-06-15"
        assert body["due_date_from"].startswith("set by hand by Ada Admin")
        event = AuditEvent.objects.get(action="assignment.update", object_id=a.pk)
        assert event.before == {"due_date": "2030-05-01"} and event.after == {"due_date": "2030-06-15"}
        assert event.reason == "Extended leave" and event.actor_id == admin.pk
        # A later source with an earlier date no longer moves a date set by hand.
        assign(admin, learner, course, due_date="2030-01-01")
        assert admin_api.get(f"assignments/{a.pk}").json()["due_date"] == "2030-06-15"

    def test_patch_due_date_into_the_past_makes_it_overdue(self, admin, admin_api, learner, course):
        a = assign(admin, learner, course, due_date="2030-05-01")
        assert admin_api.patch(f"assignments/{a.pk}", {"due_date": "2020-05-01"}).json()["status"] == "overdue"

    def test_patch_priority_note_and_reminders(self, admin, admin_api, learner, course):
        a = assign(admin, learner, course)
        body = admin_api.patch(
            f"assignments/{a.pk}",
            {"priority": "low", "note": "Whenever", "reminders": [{"days": -1, "recipients": ["manager"]}]},
        ).json()
        assert (body["priority"], body["note"]) == ("low", "Whenever")
        assert body["reminders"] == [{"days": -1, "recipients": ["manager"]}]
        assert AuditEvent.objects.filter(action="assignment.update", object_id=a.pk).count() == 1

    def test_withdraw_removes_only_the_callers_source_while_others_remain(
        self, admin, api_as, tenant, make_person, course
    ):
        manager = make_person(tenant)
        report = make_person(tenant, manager=manager)
        a = assign(admin, report, course, due_date="2030-09-01")
        assign(manager, report, course, due_date="2030-03-01")
        client = api_as(manager)
        response = client.delete(f"assignments/{a.pk}?reason=Not+needed")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "assigned"
        assert [s["label"] for s in body["sources"]] == ["Individual by Ada Admin"]
        assert body["due_date"] == "2030-09-01"  # the remaining source's date applies again
        event = AuditEvent.objects.get(action="assignment.source_remove", object_id=a.pk)
        assert event.reason == "Not needed"

    def test_withdrawn_when_no_source_remains(self, admin, admin_api, learner, course):
        a = assign(admin, learner, course)
        response = admin_api.delete(f"assignments/{a.pk}?reason=Left+the+team")
        assert response.status_code == 200
        assert response.json()["status"] == "withdrawn"
        assert AuditEvent.objects.get(action="assignment.withdraw", object_id=a.pk).reason == "Left the team"
        # It can be assigned again: a new open row.
        again = admin_api.post("assignments", {"person_id": learner.pk, "target": target(course)})
        assert again.status_code == 201 and again.json()["id"] != a.pk

    def test_completed_cannot_be_withdrawn(self, admin, admin_api, learner, course):
        a = assign(admin, learner, course)
        admin_api.post("progress", {"person_id": learner.pk, "course_id": course.pk, "progress": 100})
        response = admin_api.delete(f"assignments/{a.pk}")
        assert response.status_code == 409
        assert admin_api.get(f"assignments/{a.pk}").json()["status"] == "completed"

    def test_learner_cannot_withdraw_or_edit_their_own(self, admin, api_as, learner, course):
        a = assign(admin, learner, course)
        client = api_as(learner)
        assert client.get(f"assignments/{a.pk}").status_code == 200
        assert client.delete(f"assignments/{a.pk}").status_code == 403
        assert client.patch(f"assignments/{a.pk}", {"due_date": "2099-01-01"}).status_code == 403
        a.refresh_from_db()
        assert a.withdrawn_at is None and a.due_date is None

    def test_manager_cannot_withdraw_what_someone_else_assigned(self, admin, api_as, tenant, make_person, course):
        manager = make_person(tenant)
        report = make_person(tenant, manager=manager)
        a = assign(admin, report, course)
        assert api_as(manager).delete(f"assignments/{a.pk}").status_code == 403

    def test_other_tenant_assignment_is_404(self, other_tenant, make_person, admin_api):
        their_admin = make_person(other_tenant, roles=("admin",))
        a = assign(their_admin, make_person(other_tenant), make_course(other_tenant))
        assert admin_api.get(f"assignments/{a.pk}").status_code == 404
        assert admin_api.patch(f"assignments/{a.pk}", {"priority": "low"}).status_code == 404
        assert admin_api.delete(f"assignments/{a.pk}").status_code == 404


class TestLists:
    @pytest.fixture
    def world(self, admin, tenant, make_person):
        sales, ops = org_unit(tenant, "department", "Sales"), org_unit(tenant, "department", "Ops")
        boss = make_person(tenant, name="Boss")
        ann = make_person(tenant, name="Ann", department=sales, manager=boss)
        bob = make_person(tenant, name="Bob", department=ops)
        c1, c2 = make_course(tenant), make_course(tenant)
        path = make_path(tenant, [(c1, True), (c2, True)])
        items = {
            "ann_overdue": assign(admin, ann, c1, due_date="2020-01-01"),
            "ann_path": assign(admin, ann, path, due_date="2031-01-01"),
            "bob_c1": assign(admin, bob, c1, due_date="2030-06-01"),
            "bob_c2": assign(admin, bob, c2),
        }
        return {"ann": ann, "bob": bob, "boss": boss, "c1": c1, **items}

    def ids(self, api, **params):
        response = api.get("assignments", params)
        assert response.status_code == 200, response.content
        return {i["id"] for i in response.json()["items"]}

    def test_filters(self, admin, admin_api, world):
        w = world
        admin_api.post("progress", {"person_id": w["bob"].pk, "course_id": w["c1"].pk, "progress": 40})
        assert self.ids(admin_api, person_id=w["ann"].pk) == {w["ann_overdue"].pk, w["ann_path"].pk}
        assert self.ids(admin_api, status="overdue") == {w["ann_overdue"].pk}
        assert self.ids(admin_api, status=["overdue", "in_progress"]) == {
            w["ann_overdue"].pk,
            w["bob_c1"].pk,
            w["ann_path"].pk,  # the path's first course is 40%… for Bob only, so not Ann's path
        } - {w["ann_path"].pk}
        assert self.ids(admin_api, overdue="true") == {w["ann_overdue"].pk}
        assert self.ids(admin_api, target_type="path") == {w["ann_path"].pk}
        assert self.ids(admin_api, target_type="course", target_id=w["c1"].pk) == {w["ann_overdue"].pk, w["bob_c1"].pk}
        assert self.ids(admin_api, department="Ops") == {w["bob_c1"].pk, w["bob_c2"].pk}
        assert self.ids(admin_api, manager_id=w["boss"].pk) == {w["ann_overdue"].pk, w["ann_path"].pk}
        assert self.ids(admin_api, due_before="2030-12-31") == {w["ann_overdue"].pk, w["bob_c1"].pk}
        assert self.ids(admin_api, due_after="2030-12-31") == {w["ann_path"].pk}
        assert self.ids(admin_api, status="withdrawn") == set()

    def test_bad_filter_is_422(self, admin_api, world):
        assert admin_api.get("assignments", {"status": "lost"}).status_code == 422
        assert admin_api.get("assignments", {"due_before": "yesterday"}).status_code == 422
        assert admin_api.get("assignments", {"limit": 501}).status_code == 422

    def test_paging(self, admin_api, world):
        page = admin_api.get("assignments", {"limit": 3, "offset": 2}).json()
        assert page["count"] == 4 and len(page["items"]) == 2

    def test_each_role_sees_only_what_it_may(self, api_as, tenant, make_person, world):
        w = world
        assert self.ids(api_as(w["boss"])) == {w["ann_overdue"].pk, w["ann_path"].pk}
        assert self.ids(api_as(w["bob"])) == {w["bob_c1"].pk, w["bob_c2"].pk}
        assert len(self.ids(api_as(make_person(tenant, roles=("hr",))))) == 4
        assert self.ids(api_as(make_person(tenant))) == set()

    def test_csv_export(self, admin_api, world):
        response = admin_api.get("assignments", {"format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        lines = b"".join(response.streaming_content).decode().splitlines()
        header = lines[0].split(",")
        assert {"id", "person_id", "target_type", "target_id", "status", "due_date", "sources"} <= set(header)
        assert len(lines) == 5
        filtered = admin_api.get("assignments", {"format": "csv", "status": "overdue"})
        assert len(b"".join(filtered.streaming_content).decode().splitlines()) == 2

    def test_my_assignments_overdue_first_then_priority_then_due_date(self, admin, api_as, learner, tenant):
        courses = [make_course(tenant) for _ in range(6)]
        low_soon = assign(admin, learner, courses[0], priority="low", due_date="2030-01-01")
        high_late = assign(admin, learner, courses[1], priority="high", due_date="2030-12-01")
        high_soon = assign(admin, learner, courses[2], priority="high", due_date="2030-02-01")
        overdue_low = assign(admin, learner, courses[3], priority="low", due_date="2020-01-01")
        medium_none = assign(admin, learner, courses[4], priority="medium")
        medium_soon = assign(admin, learner, courses[5], priority="medium", due_date="2030-03-01")
        response = api_as(learner).get("me/assignments")
        assert response.status_code == 200
        order = [i["id"] for i in response.json()["items"]]
        assert order == [
            overdue_low.pk,
            high_soon.pk,
            high_late.pk,
            medium_soon.pk,
            medium_none.pk,
            low_soon.pk,
        ]

    def test_my_assignments_are_only_mine(self, admin, api_as, learner, make_person, tenant, course):
        assign(admin, learner, course)
        assign(admin, make_person(tenant), course)
        assert api_as(learner).get("me/assignments").json()["count"] == 1
