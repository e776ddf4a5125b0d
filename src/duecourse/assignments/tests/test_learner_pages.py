"""What a learner sees of their own training outside My learning's to-do list: the catalog marks the items
they are assigned (status, due date, Begin / Continue, or when completed with the score), and the completion
history (every cycle's completion, with its score) on My learning and on a person's page."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.catalog.models import Course
from duecourse.core import clock
from duecourse.testing.factories import assign, make_course, make_path
from duecourse.testing.web import text

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def shown(day: dt.date) -> str:
    """A date as the pages write it ("j M Y")."""
    return f"{day.day} {day:%b %Y}"


def row(html: str, attribute: str, pk: int) -> str:
    """The table row of one catalog item."""
    match = re.search(rf'<tr[^>]*{attribute}="{pk}".*?</tr>', html, re.S)
    assert match, f"no row {attribute}={pk}"
    return match.group(0)


def history(html: str) -> str:
    return html.split('id="completion-history"', 1)[1]


@pytest.fixture
def people(tenant, make_person):
    boss = make_person(tenant, name="Mona Manager", email="mona@acme.test")
    alice = make_person(tenant, name="Alice Driver", email="alice@acme.test", manager=boss)
    bob = make_person(tenant, name="Bob Ledger", email="bob@acme.test")
    return {"boss": boss, "alice": alice, "bob": bob}


# --- the catalog's marks -------------------------------------------------------------------------
def test_the_catalog_marks_what_the_viewer_is_assigned_and_nothing_else(tenant, admin, people, signed_in):
    alice, bob = people["alice"], people["bob"]
    fresh = make_course(tenant, title="Fire safety")
    Course.objects.filter(pk=fresh.pk).update(launch_url="")  # no launch URL: Begin opens the assignment
    started = make_course(tenant, title="Forklift licence", launch_url="https://lms.example.com/fork")
    done = make_course(tenant, title="Data protection")
    free = make_course(tenant, title="Expense policy")
    due = TODAY + dt.timedelta(days=20)
    a_fresh = assign(admin, alice, fresh, due_date=str(due))
    assign(admin, alice, started, due_date=str(due))
    assign(admin, alice, done)
    assign(admin, bob, free, due_date=str(due))  # someone else's: never on Alice's page
    progress_record(actor=admin, person_id=alice.pk, course_id=started.pk, progress=40)
    progress_record(actor=admin, person_id=alice.pk, course_id=done.pk, progress=100, score=87.5)

    page = text(signed_in(alice).get("/catalog/"))

    begin = row(page, "data-course", fresh.pk)
    assert '<span class="badge badge-assigned">Assigned</span>' in begin
    assert f"Due {shown(due)}" in begin
    assert re.search(rf'href="/learning/{a_fresh.pk}/">Begin<', begin)
    going = row(page, "data-course", started.pk)
    assert '<span class="badge badge-in_progress">In progress</span>' in going and f"Due {shown(due)}" in going
    assert re.search(r'href="https://lms.example.com/fork"[^>]*>Continue<', going)
    completed = row(page, "data-course", done.pk)
    assert f"Completed {shown(clock.now().date())}" in completed and "Score 87.5" in completed
    assert "Begin" not in completed and "Continue" not in completed
    nothing = row(page, "data-course", free.pk)
    assert "catalog-mark" not in nothing and "Due" not in nothing

    # Bob sees his own, and none of Alice's.
    bobs = text(signed_in(bob).get("/catalog/"))
    assert "catalog-mark" in row(bobs, "data-course", free.pk)
    assert all("catalog-mark" not in row(bobs, "data-course", c.pk) for c in (fresh, started, done))


def test_the_marks_are_read_once_for_the_page_not_per_row(tenant, admin, learner, signed_in):
    courses = [make_course(tenant, title=f"Course {n}") for n in range(6)]
    assign(admin, learner, courses[0])
    client = signed_in(learner)
    client.get("/catalog/")  # warm up (session, caches)
    with CaptureQueriesContext(connection) as one:
        client.get("/catalog/")
    for course in courses[1:]:
        assign(admin, learner, course)
    with CaptureQueriesContext(connection) as six:
        page = text(client.get("/catalog/"))
    assert page.count('class="actions catalog-mark') == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_course_and_path_pages_mark_them_too(tenant, admin, learner, signed_in):
    first, second = make_course(tenant, title="Fire safety"), make_course(tenant, title="First aid")
    path = make_path(tenant, [(first, True), (second, True)], title="Onboarding")
    due = TODAY + dt.timedelta(days=9)
    assign(admin, learner, path, due_date=str(due))
    progress_record(actor=admin, person_id=learner.pk, course_id=first.pk, progress=100)
    client = signed_in(learner)

    path_page = text(client.get(f"/catalog/paths/{path.pk}/"))
    assert "badge-in_progress" in path_page and f"Due {shown(due)}" in path_page and ">Continue<" in path_page
    assert "catalog-mark" in row(text(client.get("/catalog/paths/")), "data-path", path.pk)
    # The path's courses were not assigned one by one: their own pages carry no mark.
    assert "catalog-mark" not in text(client.get(f"/catalog/courses/{second.pk}/"))

    assign(admin, learner, second, due_date=str(due))
    course_page = text(client.get(f"/catalog/courses/{second.pk}/"))
    assert "badge-assigned" in course_page and ">Begin<" in course_page


# --- completion history --------------------------------------------------------------------------
def test_my_learning_lists_every_completion_with_its_score_newest_first(tenant, admin, learner, signed_in):
    course = make_course(tenant, title="Manual handling")
    lapsed = make_course(tenant, title="Ladder safety")
    now = clock.now()
    assign(admin, learner, course)
    progress_record(
        actor=admin, person_id=learner.pk, course_id=course.pk, completed_at=now - dt.timedelta(days=40), score=92
    )
    assign(admin, learner, course, retake=True)  # a new cycle; the first completion stays in the history
    progress_record(actor=admin, person_id=learner.pk, course_id=course.pk, progress=100, score=75.5)
    assign(admin, learner, lapsed, validity_months=1)
    progress_record(actor=admin, person_id=learner.pk, course_id=lapsed.pk, completed_at=now - dt.timedelta(days=70))
    assert Assignment.objects.get(person=learner, target_id=lapsed.pk).cycle == 1

    page = text(signed_in(learner).get("/learning/"))

    past = history(page)
    assert re.search(r'<span class="count">3</span>', past)
    rows = re.findall(r"<tr data-completion=.*?</tr>", past, re.S)
    assert ["Manual handling" in r for r in rows] == [True, True, False]
    assert shown(now.date()) in rows[0] and "75.5" in rows[0]
    assert shown((now - dt.timedelta(days=40)).date()) in rows[1] and ">92<" in rows[1]
    assert "Ladder safety" in rows[2] and shown((now - dt.timedelta(days=70)).date()) in rows[2]
    assert "API, by " in rows[0]  # how it was recorded, and by whom


def test_a_long_history_shows_the_newest_ten_then_all_on_request(tenant, admin, learner, signed_in):
    course = make_course(tenant, title="Daily check")
    now = clock.now()
    for n in range(12):
        progress_record(
            actor=admin, person_id=learner.pk, course_id=course.pk, completed_at=now - dt.timedelta(days=n + 1)
        )
    client = signed_in(learner)
    capped = history(text(client.get("/learning/")))
    assert capped.count("<tr data-completion=") == 10 and "Show all 12" in capped
    everything = history(text(client.get("/learning/", {"history": "all"})))
    assert everything.count("<tr data-completion=") == 12 and "Show all" not in everything


def test_the_person_page_shows_the_history_to_their_manager_not_to_a_colleague(tenant, admin, people, signed_in):
    alice, bob, boss = people["alice"], people["bob"], people["boss"]
    course = make_course(tenant, title="Hazardous goods")
    assign(admin, alice, course)
    progress_record(actor=admin, person_id=alice.pk, course_id=course.pk, progress=100, score=64)
    url = f"/assign/person/{alice.pk}/training/"

    managers = history(text(signed_in(boss).get(url)))
    assert "Hazardous goods" in managers and ">64<" in managers

    colleague = signed_in(bob).get(url)
    assert colleague.status_code == 404 and "Hazardous goods" not in text(colleague)
    # Nor on Bob's own My learning or catalog.
    assert "Hazardous goods" not in history(text(signed_in(bob).get("/learning/")))


def test_the_completion_history_selector_gives_nothing_to_someone_who_may_not_see_the_person(tenant, admin, people):
    from duecourse.assignments.selectors import completion_history

    alice, bob, boss = people["alice"], people["bob"], people["boss"]
    course = make_course(tenant)
    progress_record(actor=admin, person_id=alice.pk, course_id=course.pk, progress=100, score=50)
    assert completion_history(actor=bob, person_id=alice.pk).count() == 0
    assert [c.score for c in completion_history(actor=boss, person_id=alice.pk)] == [50]
    assert completion_history(actor=alice, person_id=alice.pk).count() == 1
