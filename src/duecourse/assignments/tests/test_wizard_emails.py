"""The bulk wizard's paste box: pasted email addresses are counted and checked on review, then assigned."""

import re

import pytest

from duecourse.assignments.forms import BulkPeopleForm
from duecourse.assignments.models import Assignment
from duecourse.groups.models import Group
from duecourse.testing.factories import make_course
from duecourse.testing.web import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(tenant, other_tenant, make_person):
    return {
        "ana": make_person(tenant, name="Ana Lopez", email="ana@acme.test"),
        "bo": make_person(tenant, name="Bo Berg", email="bo@acme.test"),
        "gone": make_person(tenant, name="Gone Away", email="gone@acme.test", active=False),
        "zed": make_person(other_tenant, name="Zed Other", email="zed@globex.test"),
    }


def wizard_post(client, **fields):
    return client.post("/assign/", fields, HTTP_HX_REQUEST="true")


def state(course, emails: str, **more) -> dict:
    return {
        "seen": ["1", "2", "3"],
        "targets": f"course:{course.pk}",
        "due_mode": "days",
        "due_in_days": "14",
        "priority": "medium",
        "emails": emails,
        "reminder_mode": "default",
        **more,
    }


PASTED = "ANA@acme.test, bo@acme.test;\nnobody@acme.test\ngone@acme.test\nzed@globex.test\nana@acme.test"


def test_the_form_splits_the_paste_box_and_counts_it_as_a_choice_of_people():
    form = BulkPeopleForm({"emails": "a@x.test;b@x.test\nA@x.test"})
    assert form.is_valid(), form.errors
    assert form.assignees().emails == ["a@x.test", "b@x.test"]
    assert not BulkPeopleForm({"emails": " ;, \n"}).is_valid()  # nothing pasted is nobody chosen


def test_review_counts_the_recognised_and_lists_the_others_then_assigns(tenant, admin, crew, signed_in):
    course = make_course(tenant, title="Fire safety")
    client = signed_in(admin)
    step2 = text(wizard_post(client, step="1", go="next", **{**state(course, ""), "seen": "1"}))
    assert 'name="emails"' in step2 and "Paste email addresses" in step2

    preview = text(wizard_post(client, step="3", go="preview", **state(course, PASTED)))
    assert not Assignment.objects.exists()
    assert "2 of 5 pasted addresses recognised." in preview
    unrecognised = re.search(r'id="pasted-unrecognised">(.*?)</ul>', preview, re.S).group(1)
    assert re.findall(r'<span class="strong">([^<]+)</span>: ([^<]+)</li>', unrecognised) == [
        ("nobody@acme.test", "no such person"),
        ("gone@acme.test", "person is deactivated"),
        ("zed@globex.test", "no such person"),
    ]
    assert "Zed Other" not in preview  # another organisation's person is never named
    assert re.search(r'id="count-create">2<', preview) and re.search(r'id="count-failed">3<', preview)
    assert "5 pasted email addresses" in preview

    result = text(wizard_post(client, step="4", go="confirm", **state(course, PASTED)))
    assert re.search(r'id="result-created">2<', result) and re.search(r'id="result-failed">3<', result)
    failed = re.search(r'id="failed-table">(.*?)</table>', result, re.S).group(1)
    assert "<td>nobody@acme.test</td><td>Fire safety</td><td>no such person</td>" in failed
    assert "<td>gone@acme.test</td><td>Fire safety</td><td>person is deactivated</td>" in failed
    assert set(Assignment.objects.values_list("person_id", flat=True)) == {crew["ana"].pk, crew["bo"].pk}


def test_a_malformed_address_is_shown_beside_the_box_and_nothing_is_assigned(tenant, admin, crew, signed_in):
    course = make_course(tenant)
    response = wizard_post(signed_in(admin), step="4", go="confirm", **state(course, "ana@acme.test\nana(at)acme"))
    page = text(response)
    errors = re.search(r'id="id_emails_error">(.*?)</ul>', page, re.S).group(1)
    assert "ana(at)acme" in errors and "not a valid email address" in errors
    assert "Who should be assigned?" in page  # back on the people step, the paste kept
    assert "ana(at)acme</textarea>" in page
    assert not Assignment.objects.exists()


def test_pasted_addresses_cannot_join_a_kept_current_configuration(tenant, admin, crew, signed_in):
    course = make_course(tenant)
    drivers = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
    page = text(
        wizard_post(
            signed_in(admin), step="3", go="preview", **state(course, "ana@acme.test", group_ids=[str(drivers.pk)])
        )
    )
    assert "Pasted addresses are assigned once" in page
    assert not Assignment.objects.exists()
    one_off = text(
        wizard_post(
            signed_in(admin),
            step="4",
            go="confirm",
            **state(course, "ana@acme.test", group_ids=[str(drivers.pk)], mode="once"),
        )
    )
    assert re.search(r'id="result-created">1<', one_off)


def test_a_manager_pasting_a_peer_sees_it_refused(tenant, make_person, crew, signed_in):
    boss = make_person(tenant, name="Mona Manager")
    mine = make_person(tenant, email="mine@acme.test", manager=boss)
    course = make_course(tenant)
    page = text(wizard_post(signed_in(boss), step="3", go="preview", **state(course, "mine@acme.test\nana@acme.test")))
    assert "1 of 2 pasted addresses recognised." in page
    assert "ana@acme.test</span>: you may assign only to your direct reports" in page
    assert not Assignment.objects.filter(person=mine).exists()
