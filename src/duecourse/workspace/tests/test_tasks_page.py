"""The Mandatory tasks page: filters, sort, paging, URL state, CSV, actions on a selection or on
everything matched, saved views, and its query count."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign, make_course, make_person, org_unit
from duecourse.testing.web import signed_in
from duecourse.workspace.models import SavedView

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def w(tenant, admin):
    logistics = org_unit(tenant, "department", "Logistics")
    sales = org_unit(tenant, "department", "Sales")
    manager = make_person(tenant, name="Mona Manager", email="mona@acme.test", department=logistics)
    course = make_course(tenant, title="Forklift safety", code="FORK")
    other_course = make_course(tenant, title="Data protection", code="GDPR")
    people = {
        "lars": make_person(
            tenant,
            name="Lars Loader",
            email="lars@acme.test",
            department=logistics,
            manager=manager,
            hire_date=dt.date(2024, 3, 1),
        ),
        "liv": make_person(tenant, name="Liv Lift", email="liv@acme.test", department=logistics, manager=manager),
        "sam": make_person(tenant, name="Sam Seller", email="sam@acme.test", department=sales),
    }
    items = {
        "lars_overdue": assign(admin, people["lars"], course, due_date="2026-06-01"),
        "liv_overdue": assign(admin, people["liv"], course, due_date="2026-06-05"),
        "sam_overdue": assign(admin, people["sam"], course, due_date="2026-06-02"),
        "lars_open": assign(admin, people["lars"], other_course, due_date="2026-07-01"),
    }
    return {
        "admin": admin,
        "manager": manager,
        "course": course,
        "instructor": make_person(tenant, roles=("instructor",), name="Ines Instructor", email="ines@acme.test"),
        "hr": make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test"),
        **people,
        **items,
    }


def rows(html: str) -> list[str]:
    """The names of the people in the list's rows, in order."""
    body = html.split('id="tasks-table"', 1)[1].split("</tbody>", 1)[0]
    return [chunk.split("</a>", 1)[0].rsplit(">", 1)[-1] for chunk in body.split('#training">')[1:]]


class TestList:
    def test_default_is_everything_to_do_by_due_date(self, w):
        html = signed_in(w["instructor"]).get("/tasks/").content.decode()
        assert rows(html) == ["Lars Loader", "Sam Seller", "Liv Lift", "Lars Loader"]
        assert "4 assignments" in html

    def test_overdue_in_logistics_combines_filters(self, w):
        html = signed_in(w["instructor"]).get("/tasks/?status=overdue&department=Logistics").content.decode()
        assert rows(html) == ["Lars Loader", "Liv Lift"]
        assert "2 assignments" in html
        # the filter state is in the form, so the bookmarked URL shows what it filters
        assert '<option value="Logistics" selected>' in html

    def test_the_address_bar_keeps_only_the_filters_in_use(self, w):
        sent = "/tasks/?q=&status=overdue&escalation_tier=&department=Logistics&group_id=&sort=due"
        response = signed_in(w["admin"]).get(sent, HTTP_HX_REQUEST="true")
        assert response["HX-Push-Url"] == "/tasks/?status=overdue&department=Logistics&sort=due"

    def test_search_then_a_second_search(self, w):
        client = signed_in(w["admin"])
        assert rows(client.get("/tasks/?q=lars", HTTP_HX_REQUEST="true").content.decode()) == ["Lars Loader"] * 2
        assert rows(client.get("/tasks/?q=SAM@", HTTP_HX_REQUEST="true").content.decode()) == ["Sam Seller"]

    def test_sort_by_person_and_department(self, w):
        client = signed_in(w["admin"])
        assert rows(client.get("/tasks/?sort=person").content.decode()) == [
            "Lars Loader",
            "Lars Loader",
            "Liv Lift",
            "Sam Seller",
        ]
        by_department = rows(client.get("/tasks/?status=overdue&sort=department").content.decode())
        assert by_department == ["Lars Loader", "Liv Lift", "Sam Seller"]

    def test_manager_filter_by_email_and_target(self, w):
        client = signed_in(w["admin"])
        html = client.get(f"/tasks/?manager=mona@acme.test&target=course:{w['course'].pk}").content.decode()
        assert rows(html) == ["Lars Loader", "Liv Lift"]

    def test_bad_filter_names_the_field_and_lists_nothing(self, w):
        client = signed_in(w["admin"])
        html = client.get("/tasks/?manager=nobody@acme.test").content.decode()
        assert "Manager&#x27;s email: Nobody in your organisation has this email." in html
        assert 'id="tasks-table"' not in html
        html = client.get("/tasks/?status=bogus&due_after=2026-07-01&due_before=2026-06-01").content.decode()
        assert "status:" in html and "due_before:" in html

    def test_paging_keeps_the_filters(self, w, tenant, admin):
        for i in range(55):
            assign(admin, make_person(tenant, name=f"Extra {i:02}"), w["course"], due_date="2026-08-01")
        html = signed_in(w["admin"]).get("/tasks/?status=assigned&sort=person").content.decode()
        assert "1–50 of 56" in html
        assert "?status=assigned&amp;sort=person&amp;page=2" in html
        second = signed_in(w["admin"]).get("/tasks/?status=assigned&sort=person&page=2").content.decode()
        assert rows(second) == ["Extra 50", "Extra 51", "Extra 52", "Extra 53", "Extra 54", "Lars Loader"]

    def test_hr_reads_without_actions(self, w):
        html = signed_in(w["hr"]).get("/tasks/").content.decode()
        assert len(rows(html)) == 4
        assert 'name="ids"' not in html and "Apply to ticked" not in html

    def test_query_count_does_not_grow_with_rows(self, w, tenant, admin):
        client = signed_in(w["admin"])
        client.get("/tasks/")  # warm the session
        with CaptureQueriesContext(connection) as few:
            client.get("/tasks/")
        for i in range(30):
            assign(admin, make_person(tenant, name=f"More {i}"), w["course"], due_date="2026-08-01")
        with CaptureQueriesContext(connection) as many:
            assert len(rows(client.get("/tasks/").content.decode())) == 34
        assert len(many) == len(few)
        assert len(many) <= 22


class TestCsv:
    def test_exactly_what_is_shown_with_the_person_context(self, w):
        response = signed_in(w["hr"]).get("/tasks/export.csv?status=overdue&department=Logistics&sort=person")
        assert response["Content-Type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [r["person_name"] for r in table] == ["Lars Loader", "Liv Lift"]
        lars = table[0]
        assert lars["department"] == "Logistics"
        assert lars["manager_name"] == "Mona Manager" and lars["manager_email"] == "mona@acme.test"
        assert lars["hire_date"] == "2024-03-01"
        # 14 days overdue: the default policy's second tier (7 and 14 days)
        assert lars["status"] == "overdue" and lars["escalation_tier"] == "2"
        assert "Ada Admin" in lars["sources"]

    def test_bad_filter_is_a_400_naming_it(self, w):
        response = signed_in(w["admin"]).get("/tasks/export.csv?escalation_tier=x")
        assert response.status_code == 400
        assert "escalation_tier" in response.content.decode()


class TestActions:
    def test_extend_the_ticked_with_a_reason(self, w):
        client = signed_in(w["instructor"])
        ids = [w["lars_overdue"].pk, w["liv_overdue"].pk]
        response = client.post(
            "/tasks/actions/",
            {
                "action": "extend",
                "ids": ids,
                "due_date": "2026-07-15",
                "reason": "Forklift trainer was ill",
                "query": "status=overdue&department=Logistics",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "/tasks/?status=overdue&department=Logistics"
        assert (
            sorted(Assignment.objects.filter(pk__in=ids).values_list("due_date", flat=True))
            == [dt.date(2026, 7, 15)] * 2
        )
        assert Assignment.objects.get(pk=w["sam_overdue"].pk).due_date == dt.date(2026, 6, 2)
        audit = AuditEvent.objects.filter(action="assignment.update", object_id__in=ids)
        assert {e.reason for e in audit} == {"Forklift trainer was ill"}
        told = Notification.objects.filter(assignment_id__in=ids, kind="due_date_changed")
        assert told.count() == 2
        page = client.get(response["Location"]).content.decode()
        assert "Extended the due date of 2 items." in page

    def test_extend_without_a_date_names_the_field_and_changes_nothing(self, w):
        response = signed_in(w["admin"]).post(
            "/tasks/actions/", {"action": "extend", "ids": [w["lars_overdue"].pk], "reason": "x", "query": ""}
        )
        assert response.status_code == 422
        assert "New due date: is required to extend" in response.content.decode()
        assert Assignment.objects.get(pk=w["lars_overdue"].pk).due_date == dt.date(2026, 6, 1)

    def test_nothing_ticked_is_an_error(self, w):
        response = signed_in(w["admin"]).post("/tasks/actions/", {"action": "remind", "query": ""})
        assert response.status_code == 422
        assert "Tick at least one item" in response.content.decode()

    def test_remind_everything_the_filter_matches(self, w):
        client = signed_in(w["admin"])
        response = client.post(
            "/tasks/actions/", {"action": "remind", "everything": "1", "query": "status=overdue&department=Logistics"}
        )
        assert response.status_code == 302
        reminded = Notification.objects.filter(kind="reminder", data__manual=True)
        assert sorted(reminded.values_list("assignment_id", flat=True)) == sorted(
            [w["lars_overdue"].pk, w["liv_overdue"].pk]
        )
        again = client.post(
            "/tasks/actions/", {"action": "remind", "everything": "1", "query": "status=overdue&department=Logistics"}
        )
        page = client.get(again["Location"]).content.decode()
        assert "Sent a reminder for 0 items. 2 not: reminded in the last 24 hours (2)." in page
        assert reminded.count() == 2

    def test_withdraw_refuses_what_a_rule_holds_and_does_the_rest(self, w):
        response = signed_in(w["admin"]).post(
            "/tasks/actions/", {"action": "withdraw", "ids": [w["sam_overdue"].pk], "reason": "left", "query": ""}
        )
        assert response.status_code == 302
        assert Assignment.objects.get(pk=w["sam_overdue"].pk).withdrawn_at is not None

    def test_hr_and_managers_may_not_act(self, w):
        for who in ("hr", "manager"):
            response = signed_in(w[who]).post(
                "/tasks/actions/", {"action": "remind", "ids": [w["lars_overdue"].pk], "query": ""}
            )
            assert response.status_code == 403
        assert not Notification.objects.filter(kind="reminder", data__manual=True).exists()


class TestSavedViews:
    def test_save_open_replace_and_delete(self, w):
        client = signed_in(w["instructor"])
        response = client.post(
            "/tasks/views/", {"name": "  Logistics   overdue ", "query": "status=overdue&department=Logistics&page=3"}
        )
        assert response["Location"] == "/tasks/?status=overdue&department=Logistics"
        view = SavedView.objects.get(person=w["instructor"])
        assert (view.name, view.query) == ("Logistics overdue", "status=overdue&department=Logistics")
        page = client.get("/tasks/").content.decode()
        assert 'href="/tasks/?status=overdue&amp;department=Logistics">Logistics overdue</a>' in page
        client.post("/tasks/views/", {"name": "Logistics overdue", "query": "status=overdue&department=Sales"})
        assert SavedView.objects.get(person=w["instructor"]).query == "status=overdue&department=Sales"
        # someone else's view does not exist for them
        assert signed_in(w["admin"]).post(f"/tasks/views/{view.pk}/delete/").status_code == 404
        assert client.post(f"/tasks/views/{view.pk}/delete/").status_code == 302
        assert not SavedView.objects.exists()

    def test_a_view_needs_a_name(self, w):
        client = signed_in(w["instructor"])
        response = client.post("/tasks/views/", {"name": "   ", "query": "status=overdue"}, follow=True)
        assert "The view was not saved: name: give the view a name" in response.content.decode()
        assert not SavedView.objects.exists()

    def test_views_are_per_person(self, w):
        signed_in(w["instructor"]).post("/tasks/views/", {"name": "Mine", "query": "status=overdue"})
        assert "Mine</a>" not in signed_in(w["hr"]).get("/tasks/").content.decode()


def test_a_long_list_counts_up_to_a_cap(w, monkeypatch):
    monkeypatch.setattr("duecourse.workspace.views.COUNT_CAP", 3)
    monkeypatch.setattr("duecourse.workspace.views.PAGE_SIZE", 2)
    html = signed_in(w["admin"]).get("/tasks/").content.decode()
    assert "3+ assignments" in html and "1–2 of 3+" in html
    assert "All 3+ matching the filter" in html
    html = signed_in(w["admin"]).get("/tasks/?department=Sales").content.decode()
    assert "1 assignment<" in html


def test_the_person_page_shows_the_tier_and_flag_as_every_list_does(w):
    section = signed_in(w["manager"]).get(f"/assign/person/{w['lars'].pk}/training/", HTTP_HX_REQUEST="true")
    html = section.content.decode()
    assert 'policy">Tier 2</span>' in html and "Escalation tier 2 of the organisation" in html
