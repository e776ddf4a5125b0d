"""The course checklist on a path's or skill's page counts only the current cycle (issue 10).

A recurring assignment in cycle 2 or later ignores completions up to the end of the previous cycle
(`completions_after`); the checklist, the progress and the Begin button all ask `domain.required_done_at`,
so the page can never tick a course that the status does not count."""

import datetime as dt
import re

import pytest

from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.assignments.sweeps import assignments_start_new_cycles
from duecourse.core import clock
from duecourse.testing.factories import assign, make_course, make_path, make_skill
from duecourse.testing.web import text


def checklist(html: str) -> tuple[str, list[str]]:
    """The checklist's count and the titles of its ticked courses."""
    count = re.search(r'<span class="count" id="checklist-count">([^<]+)</span>', html).group(1)
    block = html.split('id="checklist"', 1)[1].split("</ol>", 1)[0]
    done = re.findall(r'<li class="path-step is-done">.*?<span class="strong">([^<]+)</span>', block, re.S)
    return count, sorted(done)


def listed(html: str) -> list[str]:
    block = html.split('id="checklist"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<span class="strong">([^<]+)</span>', block)


def launch_href(html: str) -> str:
    return re.search(r'<a class="btn btn-primary" href="([^"]+)"', html).group(1)


def completed_in_cycle_one(admin, person, target, courses) -> Assignment:
    """A recurring assignment due a week ago, every course completed before that, then its next cycle."""
    now = clock.now()
    a = assign(admin, person, target, due_date=(now - dt.timedelta(days=7)).date().isoformat(), recurrence_weeks=4)
    for n, course in enumerate(courses):
        progress_record(
            actor=admin, person_id=person.pk, course_id=course.pk, completed_at=now - dt.timedelta(days=10 - n)
        )
    a.refresh_from_db()
    assert a.completed_at is not None and a.cycle == 1
    assert assignments_start_new_cycles(now=now) == 1
    a.refresh_from_db()
    assert (a.cycle, a.completed_at, a.progress) == (2, None, 0)
    return a


@pytest.fixture
def courses(tenant):
    return [
        make_course(tenant, title="Manual handling", launch_url="https://lms.example.com/handling"),
        make_course(tenant, title="Ladder safety", launch_url="https://lms.example.com/ladders"),
    ]


@pytest.mark.parametrize("kind", ["path", "skill"])
def test_a_new_cycle_starts_with_nothing_ticked_and_counts_this_cycles_completions(
    kind, tenant, admin, learner, courses, signed_in, api_as
):
    first, second = courses
    target = make_path(tenant, [(first, True), (second, True)]) if kind == "path" else make_skill(tenant, courses)
    a = completed_in_cycle_one(admin, learner, target, courses)
    client = signed_in(learner)

    page = text(client.get(f"/learning/{a.pk}/"))
    assert checklist(page) == ("0 of 2 done", [])
    assert listed(page) == ["Manual handling", "Ladder safety"]  # in the order the Begin button takes them
    assert "cycle 2" in page
    assert launch_href(page) == "https://lms.example.com/handling"
    body = api_as(learner).get(f"/api/v1/assignments/{a.pk}").json()
    assert (body["cycle"], body["progress"], body["status"]) == (2, 0, "assigned")

    progress_record(actor=admin, person_id=learner.pk, course_id=first.pk, progress=100)

    page = text(client.get(f"/learning/{a.pk}/"))
    assert checklist(page) == ("1 of 2 done", ["Manual handling"])
    assert launch_href(page) == "https://lms.example.com/ladders"  # Continue opens the course still to do
    body = api_as(learner).get(f"/api/v1/assignments/{a.pk}").json()
    assert (body["progress"], body["status"], body["completed_at"]) == (50, "in_progress", None)

    progress_record(actor=admin, person_id=learner.pk, course_id=second.pk, progress=100)

    page = text(client.get(f"/learning/{a.pk}/"))
    assert checklist(page) == ("2 of 2 done", ["Ladder safety", "Manual handling"])
    body = api_as(learner).get(f"/api/v1/assignments/{a.pk}").json()
    assert (body["progress"], body["status"]) == (100, "completed")


def test_optional_courses_are_listed_but_not_counted(tenant, admin, learner, signed_in):
    required = make_course(tenant, title="Induction")
    optional = make_course(tenant, title="Further reading")
    path = make_path(tenant, [(required, True), (optional, False)])
    a = assign(admin, learner, path, due_in_days=30)
    progress_record(actor=admin, person_id=learner.pk, course_id=optional.pk, progress=100)

    assert checklist(text(signed_in(learner).get(f"/learning/{a.pk}/"))) == ("0 of 1 done", ["Further reading"])
