"""Training configurations as people see them: the Training tab of a group or org unit, the list, the form
(errors beside their fields, nothing written on bad input, a preview first), a configuration's page with its
people and history, pausing, resuming and deleting with a reason; and the bulk wizard keeping an audience current."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from duecourse.assignments import living_rules
from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.core.models import AuditEvent
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import GroupMember
from duecourse.groups.services import group_create
from duecourse.notifications.models import Notification
from duecourse.testing.factories import make_course, org_unit, target
from duecourse.testing.web import field_error, nav_labels, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(tenant):
    return make_course(tenant, title="Fire safety")


@pytest.fixture
def world(tenant, admin, make_person, course):
    drivers = org_unit(tenant, "department", "Drivers")
    office = org_unit(tenant, "department", "Office")
    boss = make_person(tenant, name="Mona Manager", email="mona@acme.test")
    dora = make_person(tenant, name="Dora Driver", email="dora@acme.test", department=drivers, manager=boss)
    otto = make_person(tenant, name="Otto Office", email="otto@acme.test", department=office)
    crew = group_create(actor=admin, data=GroupInput(name="Night crew", kind="static"))
    GroupMember.objects.create(tenant=tenant, group=crew, person=dora)
    return {"drivers": drivers, "office": office, "boss": boss, "dora": dora, "otto": otto, "crew": crew}


def rule(admin, course, name="Crew safety", **fields) -> AssignmentRule:
    body = {"name": name, "items": [{"target": target(course)}], **fields}
    created, _ = living_rules.rule_create(actor=admin, data=RuleInput.model_validate(body))
    return created


def form_data(course, **fields) -> dict:
    """A valid configuration form: one required course, 12 months, certificates on, for the Night crew."""
    return {
        "certificate": "on",
        "name": "Crew fire safety",
        "item_target": f"course:{course.pk}",
        "item_visibility": "required",
        "item_validity": "12",
        "item_months": "",
        "due_mode": "days",
        "due_in_days": "30",
        "priority": "high",
        "note": "",
        "reminder_mode": "default",
        "go": "save",
        **fields,
    }


def open_for(person) -> list[Assignment]:
    return list(Assignment.objects.filter(person=person, withdrawn_at__isnull=True))


class TestTrainingTab:
    def test_the_group_page_has_a_training_tab_for_those_who_see_configurations(self, admin, world, signed_in):
        page = text(signed_in(admin).get(f"/groups/{world['crew'].pk}/"))
        tab = reverse("assignments:training-for", args=["group", world["crew"].pk])
        assert f'href="{tab}">Training</a>' in page
        assert 'aria-current="page">Members</a>' in page

    def test_it_lists_what_targets_the_group_with_items_timing_status_and_people(self, admin, world, course, signed_in):
        crew = world["crew"]
        rule(admin, course, audience={"group_ids": [crew.pk]}, due_in_days=14)
        paused = rule(
            admin,
            make_course(admin.tenant, title="First aid"),
            name="Crew first aid",
            audience={"group_ids": [crew.pk]},
        )
        living_rules.rule_set_active(actor=admin, rule=paused, active=False, reason="Trainer away")
        rule(admin, course, name="Office only", audience={"departments": ["Office"]})
        page = text(signed_in(admin).get(f"/training/for/group/{crew.pk}/"))
        assert 'aria-current="page">Training</a>' in page
        rows = re.findall(r'<tr data-rule="\d+">.*?</tr>', page, re.S)
        assert len(rows) == 2 and "Office only" not in page
        safety = next(r for r in rows if "Crew safety" in r)
        assert "Fire safety" in safety and "Required" in safety and "14 days after assignment" in safety
        assert "Active" in safety and re.search(r"data-holders>1<", safety)
        assert "Paused" in next(r for r in rows if "Crew first aid" in r)
        assert f'href="/training/new/?kind=group&amp;id={crew.pk}"' in page

    def test_hr_sees_it_without_the_add_button_and_others_get_403(self, tenant, admin, world, make_person, signed_in):
        hr = make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test")
        page = text(signed_in(hr).get(f"/training/for/group/{world['crew'].pk}/"))
        assert "Night crew" in page and "Add training configuration" not in page
        # Who may not see groups is told the page does not exist, as on the group's own page.
        assert signed_in(world["boss"]).get(f"/training/for/group/{world['crew'].pk}/").status_code == 404
        assert signed_in(world["dora"]).get(f"/groups/{world['crew'].pk}/").status_code == 404

    def test_unknown_kinds_and_other_tenants_groups_are_404(self, admin, world, other_tenant, make_person, signed_in):
        their_admin = make_person(other_tenant, roles=("admin",))
        theirs = group_create(actor=their_admin, data=GroupInput(name="Theirs", kind="static"))
        client = signed_in(admin)
        assert client.get(f"/training/for/group/{theirs.pk}/").status_code == 404
        assert client.get(f"/training/for/planet/{world['crew'].pk}/").status_code == 404
        assert client.get(f"/training/for/department/{world['crew'].pk}0/").status_code == 404

    def test_a_department_tab_lists_the_configurations_naming_it(self, admin, world, course, signed_in):
        rule(admin, course, name="Drivers safety", audience={"departments": ["Drivers"]})
        client = signed_in(admin)
        unit_page = text(client.get(f"/groups/departments/{world['drivers'].pk}/"))
        assert f'href="/training/for/department/{world["drivers"].pk}/">Training</a>' in unit_page
        page = text(client.get(f"/training/for/department/{world['drivers'].pk}/"))
        assert "Drivers safety" in page and 'aria-current="page">Training</a>' in page
        assert f"?kind=department&amp;id={world['drivers'].pk}" in page


class TestList:
    def test_search_and_filters_and_deleted_ones_vanish(self, admin, world, course, signed_in):
        rule(admin, course, name="Everyone: fire safety", audience={"everyone": True})
        rule(admin, course, name="Induction", audience={"new_starters": True})
        rule(admin, course, name="Two people", audience={"person_ids": [world["dora"].pk, world["otto"].pk]})
        paused = rule(admin, course, name="Crew safety", audience={"group_ids": [world["crew"].pk]})
        living_rules.rule_set_active(actor=admin, rule=paused, active=False)
        gone = rule(admin, course, name="Old drivers", audience={"departments": ["Drivers"]})
        living_rules.rule_delete(actor=admin, rule=gone, reason="Replaced")
        client = signed_in(admin)

        def names(**params) -> list[str]:
            html = text(client.get("/training/", params, HTTP_HX_REQUEST="true"))
            return re.findall(r'<a class="strong" href="/training/\d+/">([^<]+)</a>', html)

        assert names() == ["Crew safety", "Everyone: fire safety", "Induction", "Two people"]
        assert names(q="fire") == ["Everyone: fire safety"]
        assert names(audience="everyone") == ["Everyone: fire safety"]
        assert names(audience="new_starters") == ["Induction"]
        assert names(audience="people") == ["Two people"]
        assert names(audience="group", status="paused") == ["Crew safety"]
        assert names(status="active", audience="group") == []
        page = text(client.get("/training/"))
        assert "2 people: Dora Driver, Otto Office" in page and "New starters" in page

    def test_navigation_offers_configurations_to_those_who_see_them(self, admin, world, signed_in):
        assert "Configurations" in nav_labels(text(signed_in(admin).get("/")))
        assert "Configurations" not in nav_labels(text(signed_in(world["boss"]).get("/")))


class TestForm:
    def test_add_from_the_tab_previews_then_saves_and_the_page_shows_the_people(self, admin, world, course, signed_in):
        crew = world["crew"]
        client = signed_in(admin)
        url = f"/training/new/?kind=group&id={crew.pk}"
        page = text(client.get(url))
        assert re.search(rf'<input type="checkbox" name="group_ids" value="{crew.pk}"[^>]* checked', page)

        preview = text(
            client.post(url, form_data(course, group_ids=str(crew.pk), go="preview"), HTTP_HX_REQUEST="true")
        )
        assert re.search(r'id="preview-add">1<', preview) and re.search(r'id="preview-remove">0<', preview)
        assert "Dora Driver — Fire safety" in preview
        assert not AssignmentRule.objects.exists() and not Assignment.objects.exists()

        response = client.post(url, form_data(course, group_ids=str(crew.pk)))
        assert response.status_code == 302, text(response)
        saved = AssignmentRule.objects.get()
        assert (saved.name, saved.certificate, saved.audience) == ("Crew fire safety", True, {"group_ids": [crew.pk]})
        item = saved.items.get()
        assert (item.visibility, item.validity_months) == ("required", 12)
        (held,) = open_for(world["dora"])
        assert held.validity_months == 12 and held.priority == "high"
        detail = text(client.get(response["Location"]))
        assert "Dora Driver" in detail and re.search(r'id="holder-count">1<', detail)
        assert "Created “Crew fire safety”: 1 assignment added" in detail

    def test_errors_show_beside_their_fields_and_nothing_is_written(self, admin, world, course, signed_in):
        client = signed_in(admin)
        response = client.post("/training/new/", form_data(course, name="", departments="Office", due_in_days=""))
        assert response.status_code == 422
        html = text(response)
        assert field_error(html, "name") == "This field is required."
        assert "Give the number of days." in html

        nobody = org_unit(admin.tenant, "site", "Mars")
        response = client.post("/training/new/", form_data(course, sites=nobody.name))
        assert response.status_code == 422
        audience = re.search(r'id="audience-errors">(.*?)</div>', text(response), re.S).group(1)
        assert "matches nobody" in audience

        response = client.post("/training/new/", form_data(course, departments="Office", item_validity="custom"))
        assert "Give the number of months (a whole number)." in text(response)
        response = client.post(
            "/training/new/", form_data(course, departments="Office", item_validity="custom", item_months="601")
        )
        row = re.search(r'<li class="item-row rule-item has-error">.*?</li>', text(response), re.S).group(0)
        assert "Must be a whole number from 1 to 600." in row

        response = client.post(
            "/training/new/",
            form_data(
                course, departments="Office", item_target=[], item_visibility=[], item_validity=[], item_months=[]
            ),
        )
        assert "Training: give at least one item" in text(response)
        assert not AssignmentRule.objects.exists() and not Assignment.objects.exists()

    def test_a_recertification_window_beyond_half_the_validity_shows_beside_its_field(
        self, admin, world, course, signed_in
    ):
        client = signed_in(admin)
        data = form_data(course, departments="Drivers", item_validity="3", recert_window_days="120")
        response = client.post("/training/new/", data)
        assert response.status_code == 422
        assert field_error(text(response), "recert_window_days") == (
            "must be at most half the shortest validity among the items: at most 42 days for 3 months"
        )
        assert not AssignmentRule.objects.exists() and not Assignment.objects.exists()
        response = client.post("/training/new/", {**data, "recert_window_days": "42"})
        assert response.status_code == 302, text(response)
        assert AssignmentRule.objects.get().recert_window_days == 42

    def test_the_item_editor_adds_and_removes_with_htmx_and_without(self, admin, world, course, signed_in):
        other = make_course(admin.tenant, title="First aid")
        client = signed_in(admin)
        rows = text(
            client.post("/training/items/", {"op": "add", "add_target": f"course:{other.pk}"}, HTTP_HX_REQUEST="true")
        )
        assert f'name="item_target" value="course:{other.pk}"' in rows and "First aid" in rows
        assert f'<option value="course:{other.pk}">' not in rows  # no longer offered
        rows = text(
            client.post(
                "/training/items/",
                {"op": f"remove:course:{other.pk}", "item_target": f"course:{other.pk}", "item_visibility": "required"},
            )
        )
        assert 'id="no-items"' in rows
        # Without JavaScript the same button posts the whole form: it is redrawn with the row, nothing saved.
        page = text(client.post("/training/new/", form_data(course, op="add", add_target=f"course:{other.pk}")))
        assert page.count('name="item_target"') == 2 and not AssignmentRule.objects.exists()

    def test_edit_shows_the_timing_policy_and_the_history_says_what_changed(self, admin, world, course, signed_in):
        saved = rule(admin, course, audience={"group_ids": [world["crew"].pk]}, due_in_days=30)
        client = signed_in(admin)
        page = text(client.get(f"/training/{saved.pk}/edit/"))
        assert 'name="timing_policy"' in page and 'value="Crew safety"' in page
        response = client.post(
            f"/training/{saved.pk}/edit/",
            form_data(
                course,
                name="Crew safety",
                certificate="",
                group_ids=str(world["crew"].pk),
                due_in_days="10",
                timing_policy="recompute",
            ),
        )
        assert response.status_code == 302, text(response)
        assert open_for(world["dora"])[0].due_date == dt.date.today() + dt.timedelta(days=10)
        history = text(client.get(f"/training/{saved.pk}/")).split('id="history"', 1)[1]
        assert "Changed</strong> by" in history and "Ada Admin" in history
        assert "Due: 30 days after assignment → 10 days after assignment" in history
        assert "Priority: Medium → High" in history
        assert "Fire safety: no expiry → valid 12 months" in history
        assert "Timing change: open assignments were re-dated from the new timing" in history
        assert "Created</strong>" in history

    def test_a_plan_the_rows_cannot_show_is_kept(self, admin, world, course, signed_in):
        plan = [{"days": d, "recipients": ["learner"]} for d in (14, 7, 3, 1)]
        saved = rule(admin, course, audience={"group_ids": [world["crew"].pk]}, reminders=plan)
        client = signed_in(admin)
        page = text(client.get(f"/training/{saved.pk}/edit/"))
        assert re.search(r'value="keep"[^>]* checked', page)
        data = form_data(course, name="Crew safety", group_ids=str(world["crew"].pk), reminder_mode="keep")
        assert client.post(f"/training/{saved.pk}/edit/", data).status_code == 302
        saved.refresh_from_db()
        assert saved.reminders == plan


class TestHiddenItems:
    def test_hidden_items_notify_nobody_and_releasing_one_notifies_the_learner(self, admin, world, course, signed_in):
        client = signed_in(admin)
        data = form_data(course, group_ids=str(world["crew"].pk), item_visibility="hidden")
        assert client.post("/training/new/", data).status_code == 302
        (held,) = open_for(world["dora"])
        assert held.visibility == "hidden"
        assert not Notification.objects.filter(kind="assigned").exists()

        saved = AssignmentRule.objects.get()
        released = client.post(f"/training/{saved.pk}/edit/", {**data, "item_visibility": "required"})
        assert released.status_code == 302, text(released)
        held.refresh_from_db()
        assert held.visibility == "required"
        assert list(Notification.objects.filter(kind="assigned").values_list("person_id", "assignment_id")) == [
            (world["dora"].pk, held.pk)
        ]


class TestPauseResumeDelete:
    def test_pause_and_resume_need_a_reason_and_go_into_the_history(self, admin, world, course, signed_in):
        saved = rule(admin, course, audience={"group_ids": [world["crew"].pk]})
        client = signed_in(admin)
        response = client.post(f"/training/{saved.pk}/pause/", {"reason": ""})
        assert response.status_code == 422
        assert field_error(text(response), "reason") == "Say why: the reason is kept in the history."
        assert AssignmentRule.objects.get(pk=saved.pk).active

        page = text(client.post(f"/training/{saved.pk}/pause/", {"reason": "Trainer on leave"}, follow=True))
        assert 'id="rule-state">Paused<' in page and "nobody loses anything" in page
        assert len(open_for(world["dora"])) == 1
        history = page.split('id="history"', 1)[1]
        assert "Paused</strong>" in history and "Reason: Trainer on leave" in history

        GroupMember.objects.create(tenant=admin.tenant, group=world["crew"], person=world["otto"])
        page = text(client.post(f"/training/{saved.pk}/resume/", {"reason": "Trainer back"}, follow=True))
        assert 'id="rule-state">Active<' in page and "Resumed" in page
        assert "Reason: Trainer back" in page

    def test_delete_confirms_asks_why_withdraws_and_the_list_forgets_it(self, admin, world, course, signed_in):
        saved = rule(admin, course, audience={"group_ids": [world["crew"].pk]})
        client = signed_in(admin)
        confirm = text(client.get(f"/training/{saved.pk}/delete/"))
        assert "It holds 1 open assignment" in confirm
        response = client.post(f"/training/{saved.pk}/delete/", {"reason": ""})
        assert response.status_code == 422 and field_error(text(response), "reason")
        assert AssignmentRule.objects.get(pk=saved.pk).deleted_at is None

        page = text(client.post(f"/training/{saved.pk}/delete/", {"reason": "Course retired"}, follow=True))
        assert "Deleted “Crew safety”: 1 open assignment" in page
        assert "Crew safety</a>" not in page
        assert open_for(world["dora"]) == []
        assert AuditEvent.objects.get(action="rule.delete").reason == "Course retired"
        detail = text(client.get(f"/training/{saved.pk}/"))
        assert 'id="rule-state">Deleted<' in detail and "Reason: Course retired" in detail
        assert f"/training/{saved.pk}/edit/" not in detail
        assert client.get(f"/training/{saved.pk}/edit/").status_code == 404


class TestWizardKeepsItCurrent:
    def state(self, course, **fields) -> dict:
        return {
            "seen": ["1", "2", "3"],
            "targets": f"course:{course.pk}",
            "due_mode": "days",
            "due_in_days": "20",
            "priority": "high",
            "reminder_mode": "default",
            **fields,
        }

    def post(self, client, **fields):
        return text(client.post("/assign/", fields, HTTP_HX_REQUEST="true"))

    def test_a_group_gets_a_configuration_by_default_and_joiners_get_the_training(
        self, admin, world, course, signed_in
    ):
        client = signed_in(admin)
        step2 = self.post(
            client, step="1", seen="1", go="next", targets=f"course:{course.pk}", due_mode="none", priority="low"
        )
        assert re.search(r'name="mode" value="rule"[^>]* checked', step2)
        state = self.state(course, group_ids=str(world["crew"].pk), mode="rule")
        preview = self.post(client, step="3", go="preview", **state)
        assert 'id="keep-current-summary"' in preview and "Fire safety · Group: Night crew" in preview
        result = self.post(client, step="4", go="confirm", **state)
        saved = AssignmentRule.objects.get()
        assert f'href="/training/{saved.pk}/"' in result and re.search(r'id="result-created">1<', result)
        assert (saved.name, saved.audience, saved.due_in_days, saved.priority) == (
            "Fire safety · Group: Night crew",
            {"group_ids": [world["crew"].pk]},
            20,
            "high",
        )
        GroupMember.objects.create(tenant=admin.tenant, group=world["crew"], person=world["otto"])
        living_rules.rules_reconcile_all(tenant_id=admin.tenant_id)
        assert len(open_for(world["otto"])) == 1

    def test_one_off_stays_available_and_picked_people_alone_are_assigned_once(self, admin, world, course, signed_in):
        client = signed_in(admin)
        state = self.state(course, group_ids=str(world["crew"].pk), mode="once")
        result = self.post(client, step="4", go="confirm", **state)
        assert re.search(r'id="result-created">1<', result) and not AssignmentRule.objects.exists()
        result = self.post(
            client, step="4", go="confirm", **self.state(course, person_ids=str(world["otto"].pk), mode="rule")
        )
        assert re.search(r'id="result-created">1<', result) and not AssignmentRule.objects.exists()

    def test_retake_is_a_one_off_thing(self, admin, world, course, signed_in):
        client = signed_in(admin)
        html = self.post(
            client,
            step="3",
            go="preview",
            **self.state(course, group_ids=str(world["crew"].pk), retake="on", mode="rule"),
        )
        assert "A training configuration cannot re-open completed training" in html
        assert not AssignmentRule.objects.exists()

    def test_an_audience_of_nobody_is_refused_on_the_people_step(self, admin, world, course, signed_in):
        empty = group_create(actor=admin, data=GroupInput(name="Empty", kind="static"))
        client = signed_in(admin)
        html = self.post(client, step="3", go="preview", **self.state(course, group_ids=str(empty.pk), mode="rule"))
        assert "Who should be assigned?" in html and "matches nobody" in html
        assert not AssignmentRule.objects.exists()
