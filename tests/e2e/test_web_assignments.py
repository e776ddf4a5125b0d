"""End to end in a real browser: an admin assigns a course to a group with the bulk wizard, and a learner
sees it in My learning with its source."""

import datetime as dt
import re

import pytest

from duecourse.assignments.inputs import AssignmentInput
from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.assignments.services import assignment_create
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.core.actors import SystemActor
from duecourse.groups.inputs import GroupInput
from duecourse.groups.services import group_create
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRIVERS = ["Olivia Smith", "Luca Rossi", "Hannah Weber", "James Garcia", "Amelia Taylor", "Matteo Ricci"]
COURSES = [
    ("HS-101", "Fire safety essentials", 45),
    ("LOG-210", "Forklift safety refresher", 90),
    ("HR-050", "Code of conduct", 30),
    ("LOG-300", "Dangerous goods handling", 600),
    ("IT-120", "Phishing awareness", 20),
]


@pytest.fixture
def company(tenant, ada):
    drivers = []
    for index, name in enumerate(DRIVERS):
        person = person_create(
            actor=SystemActor(tenant_id=tenant.pk),
            tenant_id=tenant.pk,
            data=PersonInput(
                email=f"{name.split()[0].lower()}@acme.test",
                name=name,
                department="Logistics",
                site="Leeds",
                region="EMEA",
                job_title="Forklift driver",
                hire_date=f"202{index % 5}-03-01",
            ),
        )
        drivers.append(person)
    courses = {
        code: course_create(
            actor=ada,
            data=CourseInput(
                code=code,
                title=title,
                estimated_minutes=minutes,
                status="active",
                launch_url=f"https://lms.acme.test/{code.lower()}",
                description=f"{title}: what everyone in the warehouse must know.",
            ),
        )
        for code, title, minutes in COURSES
    }
    group_create(actor=ada, data=GroupInput(name="Forklift drivers", kind="static", member_ids=[p.pk for p in drivers]))
    today = dt.date.today()
    olivia, luca = drivers[0], drivers[1]
    # Luca already carries a heavy load; Olivia has some history and work in progress.
    assignment_create(
        actor=ada,
        data=AssignmentInput.model_validate(
            {"person_id": luca.pk, "target": {"type": "course", "id": courses["LOG-300"].pk}, "due_in_days": 12}
        ),
    )
    for code, fields in (
        ("HR-050", {"due_date": (today - dt.timedelta(days=4)).isoformat(), "priority": "high"}),
        ("IT-120", {"due_in_days": 20, "priority": "low", "note": "Takes 20 minutes; do it before your next shift."}),
        ("HS-101", {"due_in_days": 60}),
    ):
        assignment_create(
            actor=ada,
            data=AssignmentInput.model_validate(
                {"person_id": olivia.pk, "target": {"type": "course", "id": courses[code].pk}, **fields}
            ),
        )
    progress_record(actor=ada, person_id=olivia.pk, course_id=courses["IT-120"].pk, progress=40)
    progress_record(actor=ada, person_id=olivia.pk, course_id=courses["HS-101"].pk, progress=100)
    return {"admin": ada, "olivia": olivia, "courses": courses}


def test_admin_assigns_a_course_to_a_group_and_the_learner_sees_why(page, company, sign_in, screenshot):
    from playwright.sync_api import expect

    sign_in(company["admin"])
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    click_nav(page, "Assign")
    expect(page.get_by_role("heading", name="Assign training", level=1)).to_be_visible()

    page.get_by_label("Forklift safety refresher (LOG-210)").check()
    page.get_by_label("On a date").check()
    due = dt.date.today() + dt.timedelta(days=21)
    page.get_by_label("Due date", exact=True).fill(due.isoformat())
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Note to the learner").fill("Required before you drive in the new Leeds warehouse.")
    page.get_by_role("button", name="Next: people →").click()

    expect(page.get_by_role("heading", name="Who should be assigned?")).to_be_visible()
    page.get_by_label("Forklift drivers").check()
    page.get_by_label("One-off: assign to today's members only").check()  # the group itself is the source
    page.get_by_role("button", name="Next: reminders →").click()
    expect(page.get_by_role("heading", name="Who should be reminded, and when?")).to_be_visible()
    page.get_by_role("button", name="Preview →").click()

    expect(page.locator("#count-create")).to_have_text("6")
    expect(page.locator("#count-overloaded")).to_have_text("1")
    overloaded = page.locator("#preview-table tr.row-warning")
    expect(overloaded).to_have_count(1)
    expect(overloaded).to_contain_text("Luca Rossi")
    expect(overloaded).to_contain_text("Overloaded")
    screenshot(page, "bulk-wizard.png")
    assert not Assignment.objects.filter(target_id=company["courses"]["LOG-210"].pk).exists()

    page.get_by_role("button", name="Confirm and assign 6").click()
    expect(page.locator("#result-created")).to_have_text("6")
    assert Assignment.objects.filter(target_id=company["courses"]["LOG-210"].pk).count() == 6

    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(company["olivia"])
    expect(page.locator("#bell .bell-count")).to_be_visible()
    click_nav(page, "My learning")

    cards = page.locator("#todo-list .learning-item")
    expect(cards.locator(".learning-title")).to_have_text(
        ["Code of conduct", "Forklift safety refresher", "Phishing awareness"]
    )
    forklift = cards.filter(has_text="Forklift safety refresher")
    expect(forklift).to_contain_text("Group: Forklift drivers")
    expect(forklift).to_contain_text("Required before you drive in the new Leeds warehouse.")
    expect(forklift.get_by_role("link", name=re.compile("Begin"))).to_have_attribute(
        "href", "https://lms.acme.test/log-210"
    )
    expect(cards.first.locator(".badge")).to_have_text("Overdue")
    expect(page.locator("#history-table")).to_contain_text("Fire safety essentials")
    screenshot(page, "my-learning.png")

    forklift.get_by_role("link", name="Forklift safety refresher").click()
    expect(page.get_by_role("heading", name="Why this is assigned")).to_be_visible()
    expect(page.get_by_text("Group: Forklift drivers: fixed date")).to_be_visible()
