"""Assigning one person from their page: several items, recurrence, validity and any number of reminders,
each bad input beside its field and nothing saved."""

import re

import pytest
from django.http import QueryDict

from duecourse.assignments.forms import AssignForm, reminder_plan_from_rows, reminder_rows_from_post
from duecourse.assignments.limits import MAX_REMINDER_DAYS, MAX_REMINDER_RULES, MAX_VALIDITY_MONTHS
from duecourse.assignments.models import Assignment, AssignmentSource
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import make_course, make_path
from duecourse.testing.web import field_error, text

pytestmark = pytest.mark.django_db


def post(client, person, **fields):
    return client.post(f"/assign/person/{person.pk}/", fields, HTTP_HX_REQUEST="true")


def nothing_written() -> bool:
    return not (Assignment.objects.exists() or AssignmentSource.objects.exists())


@pytest.fixture
def courses(tenant):
    return make_course(tenant, title="Fire safety"), make_course(tenant, title="First aid")


class TestReminderRows:
    def test_rows_are_read_in_the_order_they_were_added_and_blank_ones_skipped(self):
        post = QueryDict(
            "reminder-10-days=2&reminder-10-when=after&reminder-10-recipients=learner&reminder-10-recipients=manager"
            "&reminder-2-days=7&reminder-2-when=before&reminder-2-recipients=learner"
            "&reminder-5-days=&reminder-5-recipients=learner"
        )
        rows = reminder_rows_from_post(post)
        assert [r.key for r in rows] == [2, 5, 10]
        assert reminder_plan_from_rows(rows) == [
            {"days": 7, "recipients": ["learner"]},
            {"days": -2, "recipients": ["learner", "manager"]},
        ]

    def test_an_unreadable_row_says_why_on_the_row(self):
        rows = reminder_rows_from_post(
            QueryDict(f"reminder-1-days=x&reminder-1-recipients=learner&reminder-2-days={MAX_REMINDER_DAYS + 1}")
        )
        assert reminder_plan_from_rows(rows) is None
        assert rows[0].errors == [f"Give a whole number of days from 0 to {MAX_REMINDER_DAYS}."]
        assert rows[1].errors == [
            f"Give a whole number of days from 0 to {MAX_REMINDER_DAYS}.",
            "Choose who receives this reminder.",
        ]

    def test_the_form_builds_one_input_per_item_with_the_same_terms(self):
        form = AssignForm(
            QueryDict(
                "targets=course:5&targets=course:6&due_mode=days&due_in_days=14&priority=high&recurrence_weeks=52"
                "&validity_months=12&reminder_mode=custom&reminder-1-days=7&reminder-1-recipients=learner"
            ),
            targets=[("Courses", [("course:5", "A"), ("course:6", "B")])],
        )
        assert form.is_valid(), form.errors
        built = form.to_inputs(3)
        assert [(i.target.id, i.recurrence_weeks, i.validity_months, i.reminders) for i in built] == [
            (5, 52, 12, [{"days": 7, "recipients": ["learner"]}]),
            (6, 52, 12, [{"days": 7, "recipients": ["learner"]}]),
        ]


class TestThePage:
    def test_two_items_with_recurrence_validity_and_two_reminders(self, tenant, admin, learner, courses, signed_in):
        client = signed_in(admin)
        section = text(client.get(f"/assign/person/{learner.pk}/training/", HTTP_HX_REQUEST="true"))
        assert "data-filter-checklist" in section and 'data-add-row="#reminder-row-template"' in section
        assert 'name="reminder-__n__-days"' in section  # the blank row app.js copies
        response = post(
            client,
            learner,
            targets=[f"course:{c.pk}" for c in courses],
            due_mode="days",
            due_in_days="30",
            priority="high",
            recurrence_weeks="52",
            validity_months="12",
            note="Before the audit",
            reminder_mode="custom",
            **{
                "reminder-1-days": "7",
                "reminder-1-when": "before",
                "reminder-1-recipients": ["learner"],
                "reminder-4-days": "3",
                "reminder-4-when": "after",
                "reminder-4-recipients": ["learner", "manager"],
            },
        )
        page = text(response)
        assert "Assigned Fire safety to Lena Learner. Assigned First aid to Lena Learner." in page
        made = list(Assignment.objects.order_by("target_id"))
        assert [a.target_id for a in made] == [c.pk for c in courses]
        for a in made:
            assert (a.priority, a.recurrence_weeks, a.validity_months, a.note) == ("high", 52, 12, "Before the audit")
            assert a.reminder_plan == [
                {"days": 7, "recipients": ["learner"]},
                {"days": -3, "recipients": ["learner", "manager"]},
            ]

    def test_no_reminders_and_the_standard_plan(self, tenant, admin, learner, courses, signed_in):
        client = signed_in(admin)
        post(client, learner, targets=f"course:{courses[0].pk}", due_mode="none", priority="low", reminder_mode="none")
        post(client, learner, targets=f"course:{courses[1].pk}", due_mode="none", priority="low")
        plans = dict(Assignment.objects.values_list("target_id", "reminder_plan"))
        assert plans == {courses[0].pk: [], courses[1].pk: None}

    def test_bad_inputs_are_shown_beside_their_fields_and_nothing_is_saved(
        self, tenant, admin, learner, courses, signed_in
    ):
        client = signed_in(admin)
        base = {"targets": f"course:{courses[0].pk}", "due_mode": "none", "priority": "low"}
        bad_validity = post(client, learner, **base, validity_months=str(MAX_VALIDITY_MONTHS + 1))
        assert "Ensure this value is less than or equal to" in text(bad_validity)
        assert field_error(text(bad_validity), "validity_months")
        bad_recurrence = post(client, learner, **base, recurrence_weeks="0")
        assert field_error(text(bad_recurrence), "recurrence_weeks")

        bad_row = text(
            post(
                client,
                learner,
                **base,
                reminder_mode="custom",
                **{"reminder-1-days": "7", "reminder-1-recipients": ["learner"], "reminder-2-days": "soon"},
            )
        )
        assert re.search(r'id="reminder-2-error">Give a whole number of days', bad_row)
        assert 'id="reminder-1-error"' not in bad_row
        assert "A reminder cannot be read: see its row." in bad_row
        assert 'value="soon"' in bad_row  # what was typed stays

        empty_plan = text(post(client, learner, **base, reminder_mode="custom", **{"reminder-1-days": ""}))
        assert "Add at least one reminder, or choose “No reminders”." in empty_plan
        assert nothing_written() and not AuditEvent.objects.filter(action__startswith="assignment").exists()

    def test_the_services_plan_rules_apply_too(self, tenant, admin, learner, courses, signed_in):
        rows = {}
        for n in range(1, MAX_REMINDER_RULES + 2):
            rows.update({f"reminder-{n}-days": str(n), f"reminder-{n}-recipients": ["learner"]})
        page = text(
            post(
                signed_in(admin),
                learner,
                targets=f"course:{courses[0].pk}",
                due_mode="none",
                priority="low",
                reminder_mode="custom",
                **rows,
            )
        )
        assert f"at most {MAX_REMINDER_RULES} reminder rules" in page
        assert nothing_written()

    def test_one_refused_item_saves_none_of_them(self, tenant, admin, learner, courses, signed_in):
        empty_path = make_path(tenant, [], title="Empty path")
        page = text(
            post(
                signed_in(admin),
                learner,
                targets=[f"course:{courses[0].pk}", f"path:{empty_path.pk}"],
                due_mode="none",
                priority="low",
            )
        )
        assert "has no required course" in re.search(r'id="id_targets_error">([^<]*)<', page).group(1)
        assert nothing_written()

    def test_a_manager_assigns_several_to_a_report_only(self, tenant, make_person, courses, signed_in):
        boss = make_person(tenant, name="Mona Manager")
        report = make_person(tenant, manager=boss)
        peer = make_person(tenant)
        client = signed_in(boss)
        targets = [f"course:{c.pk}" for c in courses]
        post(client, report, targets=targets, due_mode="none", priority="low")
        assert Assignment.objects.filter(person=report).count() == 2
        refused = post(client, peer, targets=targets, due_mode="none", priority="low")
        assert refused.status_code in (403, 404)
        assert not Assignment.objects.filter(person=peer).exists()

    def test_learner_and_hr_cannot_assign_from_a_page(self, tenant, make_person, learner, courses, signed_in):
        for person in (make_person(tenant), make_person(tenant, roles=("hr",))):
            response = post(signed_in(person), learner, targets=f"course:{courses[0].pk}", due_mode="none")
            assert response.status_code in (403, 404)
        assert nothing_written()
