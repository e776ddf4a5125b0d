"""Living assignment rules: applied on save, kept current as people join and leave, previewed, deleted."""

import datetime as dt

import pytest

from duecourse.assignments.models import Assignment, AssignmentSource
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
def drivers(tenant, make_person):
    dept = org_unit(tenant, "department", "Drivers")
    return [make_person(tenant, department=dept, name=f"Driver {i}") for i in range(3)]


def open_for(person, obj=None) -> list[Assignment]:
    items = Assignment.objects.filter(person=person, withdrawn_at__isnull=True)
    if obj is not None:
        items = items.filter(target_id=obj.pk)
    return list(items)


def make_rule(api, course, **fields):
    body = {
        "name": "Drivers' safety",
        "audience": {"departments": ["Drivers"]},
        "items": [{"target": target(course)}],
        "due_in_days": 30,
        **fields,
    }
    response = api.post("rules", body)
    assert response.status_code == 201, response.content
    return response.json()


class TestCreate:
    def test_applies_at_once_with_a_rule_source(self, admin_api, admin, drivers, course):
        rule = make_rule(admin_api, course, priority="high", note="Annual")
        assert rule["applied"] == {"added": 3, "removed": 0}
        assert rule["items"][0]["target"] == {"type": "course", "id": course.pk, "title": "Safe driving"}
        for person in drivers:
            (a,) = open_for(person)
            assert (a.priority, a.note, a.due_date) == ("high", "Annual", dt.date(2026, 7, 15))
            (source,) = a.sources.all()
            assert (source.kind, source.rule_id, source.label) == ("rule", rule["id"], "Rule: Drivers' safety")
        body = admin_api.get(f"assignments/{open_for(drivers[0])[0].pk}").json()
        assert body["sources"][0]["kind"] == "rule" and body["sources"][0]["rule_id"] == rule["id"]
        assert admin_api.get("rules").json()["count"] == 1
        assert admin_api.get(f"rules/{rule['id']}").json()["name"] == "Drivers' safety"

    def test_existing_open_assignment_gains_the_rule_source(self, admin_api, admin, drivers, course):
        existing = assign(admin, drivers[0], course, due_date="2026-12-01")
        rule = make_rule(admin_api, course)
        assert rule["applied"]["added"] == 2
        existing.refresh_from_db()
        assert existing.due_date == dt.date(2026, 7, 15)  # the rule's earlier date wins
        assert sorted(existing.sources.values_list("kind", flat=True)) == ["individual", "rule"]

    @pytest.mark.parametrize(
        "fields, field",
        [
            ({"audience": {}}, "audience"),
            ({"audience": {"group_ids": [999999]}}, "audience.group_ids"),
            ({"items": [{"target": {"type": "course", "id": 999999}}]}, "items[0].target"),
            ({"due_date": "2026-02-30"}, "due_date"),
            ({"name": ""}, "name"),
        ],
    )
    def test_bad_rules_are_422_and_write_nothing(self, admin_api, drivers, course, fields, field):
        response = admin_api.post(
            "rules",
            {"name": "R", "audience": {"departments": ["Drivers"]}, "items": [{"target": target(course)}], **fields},
        )
        assert response.status_code == 422, response.content
        assert field in {e["field"] for e in response.json()["errors"]}
        assert not Assignment.objects.exists()
        assert admin_api.get("rules").json()["count"] == 0

    def test_draft_item_is_422(self, admin_api, tenant, drivers):
        draft = make_course(tenant, status="draft")
        response = admin_api.post(
            "rules", {"name": "R", "audience": {"everyone": True}, "items": [{"target": target(draft)}]}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "items[0].target"

    def test_hidden_items_are_created_hidden_and_not_shown_to_the_learner(self, admin_api, api_as, tenant, drivers):
        visible, hidden = make_course(tenant), make_course(tenant)
        make_rule(
            admin_api,
            visible,
            items=[
                {"target": target(visible)},
                {"target": target(hidden), "visibility": "hidden", "validity_months": 24},
            ],
        )
        a = Assignment.objects.get(person=drivers[0], target_id=hidden.pk)
        assert (a.visibility, a.validity_months) == ("hidden", 24)
        mine = api_as(drivers[0]).get("me/assignments").json()["items"]
        assert [i["target"]["id"] for i in mine] == [visible.pk]

    def test_learners_and_hr_cannot_create_rules(self, api_as, tenant, make_person, course, drivers):
        body = {"name": "R", "audience": {"everyone": True}, "items": [{"target": target(course)}]}
        assert api_as(make_person(tenant)).post("rules", body).status_code == 403
        assert api_as(make_person(tenant, roles=("hr",))).post("rules", body).status_code == 403
        assert not Assignment.objects.exists()


class TestMembership:
    def test_joining_the_department_gets_the_assignment_and_leaving_loses_it(
        self, admin_api, tenant, make_person, drivers, course
    ):
        make_rule(admin_api, course)
        newcomer = make_person(tenant)
        response = admin_api.patch(f"people/{newcomer.pk}", {"department": "Drivers"})
        assert response.status_code == 200, response.content
        (a,) = open_for(newcomer)
        assert a.sources.get().kind == "rule"

        admin_api.patch(f"people/{newcomer.pk}", {"department": "Office"})
        assert open_for(newcomer) == []
        a.refresh_from_db()
        assert a.withdrawn_at is not None
        assert AuditEvent.objects.filter(action="assignment.withdraw", object_id=a.pk).exists()

    def test_leaving_keeps_it_when_another_source_holds_it(self, admin_api, admin, drivers, course):
        make_rule(admin_api, course)
        assign(admin, drivers[0], course)
        admin_api.patch(f"people/{drivers[0].pk}", {"department": "Office"})
        (a,) = open_for(drivers[0])
        assert list(a.sources.values_list("kind", flat=True)) == ["individual"]

    def test_leaving_keeps_completed_ones(self, admin_api, drivers, course):
        make_rule(admin_api, course)
        admin_api.post("progress", {"person_id": drivers[1].pk, "course_id": course.pk, "progress": 100})
        admin_api.patch(f"people/{drivers[1].pk}", {"department": "Office"})
        a = Assignment.objects.get(person=drivers[1])
        assert a.withdrawn_at is None and a.completed_at is not None

    def test_deactivated_people_lose_open_rule_assignments(self, admin_api, drivers, course):
        make_rule(admin_api, course)
        admin_api.patch(f"people/{drivers[2].pk}", {"active": False})
        assert open_for(drivers[2]) == []

    def test_dynamic_group_audience_follows_person_changes(self, admin_api, tenant, make_person, course):
        make_person(tenant, site=org_unit(tenant, "site", "Leeds"))  # an audience that matches nobody is refused
        group = admin_api.post(
            "groups",
            {"name": "Leeds", "kind": "dynamic", "rule": {"all": [{"field": "site", "op": "eq", "value": "Leeds"}]}},
        )
        assert group.status_code == 201, group.content
        make_rule(admin_api, course, audience={"group_ids": [group.json()["id"]]})
        mover = make_person(tenant)
        admin_api.patch(f"people/{mover.pk}", {"site": "Leeds"})
        assert len(open_for(mover)) == 1
        admin_api.patch(f"people/{mover.pk}", {"site": "York"})
        assert open_for(mover) == []

    def test_static_group_membership_changes_apply(self, admin_api, tenant, make_person, course):
        a, b = make_person(tenant), make_person(tenant)
        group = admin_api.post("groups", {"name": "Crew", "kind": "static", "member_ids": [a.pk]}).json()
        make_rule(admin_api, course, audience={"group_ids": [group["id"]]})
        assert (len(open_for(a)), len(open_for(b))) == (1, 0)
        response = admin_api.patch(f"groups/{group['id']}", {"member_ids": [b.pk]})
        assert response.status_code == 200, response.content
        assert (len(open_for(a)), len(open_for(b))) == (0, 1)

    def test_people_import_brings_joiners_in(self, admin_api, drivers, course):
        make_rule(admin_api, course)
        response = admin_api.post(
            "people/import",
            {"rows": [{"email": "new.driver@example.com", "name": "New Driver", "department": "Drivers"}]},
        )
        assert response.status_code == 200, response.content
        assert response.json()["created"] == 1
        assert Assignment.objects.filter(person__email="new.driver@example.com", withdrawn_at__isnull=True).count() == 1

    def test_new_starters_fire_on_creation_with_a_hire_date_on_or_after_the_rules_start(
        self, admin_api, tenant, make_person, course
    ):
        veteran = make_person(tenant, hire_date=dt.date(2020, 1, 1))
        rule = make_rule(admin_api, course, audience={"new_starters": True}, due_in_days=14, due_from="hire_date")
        assert rule["applied"]["added"] == 0 and open_for(veteran) == []
        response = admin_api.post(
            "people", {"email": "starter@example.com", "name": "Stella Starter", "hire_date": "2026-07-01"}
        )
        assert response.status_code == 201, response.content
        (a,) = Assignment.objects.filter(person_id=response.json()["id"])
        assert a.due_date == dt.date(2026, 7, 15)  # 14 days after the hire date
        old_hire = admin_api.post(
            "people", {"email": "late@example.com", "name": "Late Entry", "hire_date": "2026-01-01"}
        )
        assert not Assignment.objects.filter(person_id=old_hire.json()["id"]).exists()
        no_hire = admin_api.post("people", {"email": "nohire@example.com", "name": "No Hire"})
        assert not Assignment.objects.filter(person_id=no_hire.json()["id"]).exists()


class TestTimingChange:
    @pytest.fixture
    def setup(self, admin_api, admin, drivers, course):
        rule = make_rule(admin_api, course, due_in_days=30)  # due 2026-07-15
        return rule

    def due_dates(self, drivers):
        return [Assignment.objects.get(person=p).due_date for p in drivers]

    def test_keep_leaves_existing_due_dates(self, admin_api, setup, drivers):
        response = admin_api.patch(f"rules/{setup['id']}", {"due_in_days": 60, "timing_policy": "keep"})
        assert response.status_code == 200, response.content
        assert self.due_dates(drivers) == [dt.date(2026, 7, 15)] * 3

    def test_recompute_moves_them_both_ways(self, admin_api, setup, drivers):
        admin_api.patch(f"rules/{setup['id']}", {"due_in_days": 10, "timing_policy": "recompute"})
        assert self.due_dates(drivers) == [dt.date(2026, 6, 25)] * 3
        admin_api.patch(f"rules/{setup['id']}", {"due_date": "2026-09-01", "timing_policy": "recompute"})
        assert self.due_dates(drivers) == [dt.date(2026, 9, 1)] * 3

    def test_extend_only_moves_later(self, admin_api, setup, drivers):
        admin_api.patch(f"rules/{setup['id']}", {"due_in_days": 10, "timing_policy": "extend"})
        assert self.due_dates(drivers) == [dt.date(2026, 7, 15)] * 3
        admin_api.patch(f"rules/{setup['id']}", {"due_in_days": 45, "timing_policy": "extend"})
        assert self.due_dates(drivers) == [dt.date(2026, 7, 30)] * 3

    def test_recompute_from_hire_date(self, admin_api, tenant, make_person, course):
        dept = org_unit(tenant, "department", "Warehouse")
        hired = make_person(tenant, department=dept, hire_date=dt.date(2026, 6, 1))
        rule = make_rule(admin_api, course, audience={"departments": ["Warehouse"]}, due_in_days=30)
        response = admin_api.patch(
            f"rules/{rule['id']}", {"due_in_days": 20, "due_from": "hire_date", "timing_policy": "recompute"}
        )
        assert response.status_code == 200, response.content
        assert Assignment.objects.get(person=hired).due_date == dt.date(2026, 6, 21)

    def test_manual_due_date_is_not_recomputed(self, admin_api, setup, drivers):
        a = Assignment.objects.get(person=drivers[0])
        admin_api.patch(f"assignments/{a.pk}", {"due_date": "2026-12-24"})
        admin_api.patch(f"rules/{setup['id']}", {"due_in_days": 5, "timing_policy": "recompute"})
        a.refresh_from_db()
        assert a.due_date == dt.date(2026, 12, 24)

    def test_bad_timing_policy_is_422(self, admin_api, setup):
        assert admin_api.patch(f"rules/{setup['id']}", {"timing_policy": "whatever"}).status_code == 422


class TestPreview:
    def snapshot(self):
        return (
            list(Assignment.objects.order_by("pk").values_list("pk", "due_date", "withdrawn_at")),
            AssignmentSource.objects.count(),
            AuditEvent.objects.count(),
        )

    def test_shows_add_remove_and_due_changes_and_changes_nothing(
        self, admin_api, tenant, make_person, drivers, course
    ):
        rule = make_rule(admin_api, course)
        office = org_unit(tenant, "department", "Office")
        clerk = make_person(tenant, department=office, name="Clerk")
        before = self.snapshot()
        response = admin_api.post(
            f"rules/{rule['id']}/preview",
            {
                "audience": {"departments": ["Office"], "person_ids": [drivers[0].pk]},
                "due_in_days": 5,
                "timing_policy": "recompute",
            },
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert [(r["person_id"], r["name"]) for r in body["add"]] == [(clerk.pk, "Clerk")]
        assert body["add"][0]["due_date"] == "2026-06-20"
        assert sorted(r["person_id"] for r in body["remove"]) == sorted(p.pk for p in drivers[1:])
        assert [(r["person_id"], r["old_due_date"], r["due_date"]) for r in body["due_changes"]] == [
            (drivers[0].pk, "2026-07-15", "2026-06-20")
        ]
        assert self.snapshot() == before
        assert admin_api.get(f"rules/{rule['id']}").json()["due_in_days"] == 30

    def test_preview_of_a_new_rule(self, admin_api, drivers, course):
        response = admin_api.post(
            "rules/preview",
            {"name": "New", "audience": {"departments": ["Drivers"]}, "items": [{"target": target(course)}]},
        )
        assert response.status_code == 200, response.content
        assert len(response.json()["add"]) == 3
        assert not Assignment.objects.exists()
        assert admin_api.get("rules").json()["count"] == 0


class TestDelete:
    def test_deactivates_and_withdraws_what_no_other_source_holds(self, admin_api, admin, drivers, course):
        rule = make_rule(admin_api, course)
        assign(admin, drivers[0], course)
        admin_api.post("progress", {"person_id": drivers[1].pk, "course_id": course.pk, "progress": 100})
        response = admin_api.delete(f"rules/{rule['id']}")
        assert response.status_code == 200, response.content
        assert response.json()["active"] is False
        assert response.json()["applied"]["removed"] == 3
        assert len(open_for(drivers[0])) == 1  # still held by the individual source
        assert Assignment.objects.get(person=drivers[1]).completed_at is not None  # completed ones stay
        assert open_for(drivers[2]) == []
        # Inactive rules no longer react to membership.
        admin_api.patch(f"people/{drivers[2].pk}", {"job_title": "Senior driver"})
        assert open_for(drivers[2]) == []

    def test_other_tenant_rule_is_404(self, admin_api, other_tenant, make_person, api_as, course):
        their_admin = make_person(other_tenant, roles=("admin",))
        their_course = make_course(other_tenant)
        make_person(other_tenant)
        response = api_as(their_admin).post(
            "rules", {"name": "Theirs", "audience": {"everyone": True}, "items": [{"target": target(their_course)}]}
        )
        rule_id = response.json()["id"]
        assert admin_api.get(f"rules/{rule_id}").status_code == 404
        assert admin_api.patch(f"rules/{rule_id}", {"name": "x"}).status_code == 404
        assert admin_api.delete(f"rules/{rule_id}").status_code == 404
        assert admin_api.post(f"rules/{rule_id}/preview", {}).status_code == 404


class TestSystemActor:
    def test_a_rule_with_the_longest_name_keeps_adding_joiners_and_audits_them(self, admin_api, admin, course):
        """PostgreSQL enforces column lengths: "Rule: " + a 200-character name must fit the audit label."""
        name = "N" * 200
        make_rule(admin_api, course, name=name, audience={"everyone": True})
        response = admin_api.post("people", {"email": "joiner@acme.test", "name": "Joiner"})
        assert response.status_code == 201, response.content
        joiner = response.json()["id"]
        (a,) = Assignment.objects.filter(person_id=joiner, withdrawn_at__isnull=True)
        event = AuditEvent.objects.filter(actor_id__isnull=True, action="assignment.create").latest("id")
        assert event.actor_label == f"Rule: {name}"
        assert a.sources.get().kind == "rule"

    def test_the_periodic_reconcile_goes_on_past_a_rule_that_fails(
        self, admin_api, admin, drivers, course, monkeypatch
    ):
        from duecourse.assignments import living_rules

        broken = make_rule(admin_api, course, name="Broken")
        make_rule(admin_api, make_course(admin.tenant, title="Second"), name="Works")
        real = living_rules.rule_reconcile

        def reconcile_or_fail(*, rule, **kwargs):
            if rule.pk == broken["id"]:
                raise RuntimeError("a rule that cannot be applied")
            return real(rule=rule, **kwargs)

        monkeypatch.setattr(living_rules, "rule_reconcile", reconcile_or_fail)
        late = org_unit(admin.tenant, "department", "Drivers")
        newcomer = type(drivers[0]).objects.create(tenant=admin.tenant, email="n@acme.test", name="N", department=late)
        assert living_rules.rules_reconcile_all(tenant_id=admin.tenant_id) == 1
        assert [a.target_id for a in open_for(newcomer)] != []  # the working rule still reached the newcomer


class TestNamedLeavers:
    """A person named in a rule's audience (`person_ids`) leaves like anyone else."""

    @pytest.fixture
    def named(self, admin_api, tenant, make_person, drivers, course):
        pia = make_person(tenant, name="Pia Named", email="pia@acme.test")
        rule = make_rule(admin_api, course, audience={"departments": ["Drivers"], "person_ids": [pia.pk]})
        assert len(open_for(pia)) == 1
        return pia, rule

    def test_patch_deactivates_them_and_withdraws_what_only_the_rule_held(self, admin_api, named, drivers, course):
        pia, rule = named
        response = admin_api.patch(f"people/{pia.pk}", {"active": False})
        assert response.status_code == 200, response.content
        assert response.json()["active"] is False
        assert open_for(pia) == []
        assert all(len(open_for(d)) == 1 for d in drivers)  # the rest of the audience keeps theirs

    def test_the_rule_still_loads_saves_and_reaches_joiners(self, admin_api, tenant, make_person, named, course):
        pia, rule = named
        admin_api.patch(f"people/{pia.pk}", {"active": False})
        body = admin_api.get(f"rules/{rule['id']}").json()
        assert body["audience"]["person_ids"] == [pia.pk]  # still named; reaches nobody while inactive
        assert body["inactive_person_ids"] == [pia.pk]
        saved = admin_api.patch(f"rules/{rule['id']}", {"audience": body["audience"], "priority": "high"})
        assert saved.status_code == 200, saved.content
        assert open_for(pia) == []
        joiner = admin_api.patch(f"people/{make_person(tenant).pk}", {"department": "Drivers"})
        assert joiner.status_code == 200 and len(open_for(joiner.json()["id"])) == 1
        assert admin_api.post(f"rules/{rule['id']}/preview", {"priority": "low"}).status_code == 200

    def test_naming_a_deactivated_person_anew_is_still_422(self, admin_api, tenant, make_person, named, course):
        _, rule = named
        gone = make_person(tenant, active=False)
        response = admin_api.patch(f"rules/{rule['id']}", {"audience": {"person_ids": [gone.pk]}})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "audience.person_ids"

    def test_reactivating_them_brings_the_training_back(self, admin_api, named):
        pia, _ = named
        admin_api.patch(f"people/{pia.pk}", {"active": False})
        assert admin_api.patch(f"people/{pia.pk}", {"active": True}).status_code == 200
        assert len(open_for(pia)) == 1

    def test_the_web_page_deactivates_them(self, admin, named, signed_in):
        pia, _ = named
        client = signed_in(admin)
        response = client.post(f"/people/{pia.pk}/active/", {"active": "false"}, follow=True)
        assert response.status_code == 200
        assert "Pia Named is deactivated." in response.content.decode()
        pia.refresh_from_db()
        assert not pia.active and open_for(pia) == []

    def test_the_hr_import_deactivates_them_with_the_rest(self, admin_api, named, drivers):
        pia, _ = named
        rows = [{"email": d.email, "name": d.name, "department": "Drivers"} for d in drivers]
        response = admin_api.post("people/import", {"rows": rows, "deactivate_missing": True})
        assert response.status_code == 200, response.content
        assert response.json()["deactivated"] >= 1 and response.json()["failed"] == []
        pia.refresh_from_db()
        assert not pia.active and open_for(pia) == []
        assert all(len(open_for(d)) == 1 for d in drivers)


class TestGroupsRulesTarget:
    """A rule never points at a group that no longer exists: an active rule's group cannot be deleted."""

    @pytest.fixture
    def crew(self, admin_api, tenant, make_person):
        member = make_person(tenant)
        return admin_api.post("groups", {"name": "Crew", "kind": "static", "member_ids": [member.pk]}).json()

    def test_api_delete_is_409_naming_each_rule_and_deletes_nothing(self, admin_api, crew, drivers, course):
        from duecourse.groups.models import Group

        make_rule(admin_api, course, name="Crew safety", audience={"group_ids": [crew["id"]]})
        make_rule(admin_api, make_course(course.tenant), name="Crew first aid", audience={"group_ids": [crew["id"]]})
        make_rule(admin_api, course, name="Drivers only")
        response = admin_api.delete(f"groups/{crew['id']}")
        assert response.status_code == 409, response.content
        assert sorted(response.json()["errors"], key=lambda e: e["message"]) == [
            {"field": "rules", "message": "Crew first aid"},
            {"field": "rules", "message": "Crew safety"},
        ]
        assert "Crew" in response.json()["detail"]
        assert Group.objects.filter(pk=crew["id"]).exists()
        assert not AuditEvent.objects.filter(action="group.delete").exists()
        assert Assignment.objects.filter(withdrawn_at__isnull=True).count() == 2 + 3  # the member keeps both

    def test_the_web_page_shows_the_rule_and_deletes_nothing(self, admin, admin_api, crew, course, signed_in):
        from duecourse.groups.models import Group

        make_rule(admin_api, course, name="Crew safety", audience={"group_ids": [crew["id"]]})
        client = signed_in(admin)
        confirm = client.get(f"/groups/{crew['id']}/delete/").content.decode()
        assert "Rule: Crew safety" in confirm and "Delete group</button>" not in confirm
        response = client.post(f"/groups/{crew['id']}/delete/")
        assert response.status_code == 409
        page = response.content.decode()
        assert "Crew safety" in page and "cannot be deleted" in page
        assert Group.objects.filter(pk=crew["id"]).exists()

    def test_once_no_active_rule_targets_it_it_is_deleted_and_inactive_rules_forget_it(
        self, admin_api, admin, crew, course
    ):
        rule = make_rule(admin_api, course, name="Crew safety", audience={"group_ids": [crew["id"]], "sites": []})
        assert admin_api.delete(f"rules/{rule['id']}").status_code in (200, 204)
        response = admin_api.delete(f"groups/{crew['id']}")
        assert response.status_code == 204, response.content
        body = admin_api.get(f"rules/{rule['id']}").json()
        assert crew["id"] not in body["audience"].get("group_ids", [])
        event = AuditEvent.objects.filter(action="rule.update", object_id=rule["id"]).latest("id")
        assert event.actor_id == admin.pk and "Crew" in event.reason
        # Reactivating the rule reaches no group that is gone, and never fails.
        assert admin_api.patch(f"rules/{rule['id']}", {"active": True}).status_code == 200

    def test_a_rule_cannot_name_a_deleted_group(self, admin_api, crew, course):
        assert admin_api.delete(f"groups/{crew['id']}").status_code == 204
        response = admin_api.post(
            "rules", {"name": "Late", "audience": {"group_ids": [crew["id"]]}, "items": [{"target": target(course)}]}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "audience.group_ids"
