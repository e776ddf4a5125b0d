"""People pickers in a real browser: several searches in a row on one page, a pick from each, and the picks are
what gets assigned or saved (issue 10: the wizard's search answered only once per page)."""

import pytest

from duecourse.assignments.models import Assignment
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.core.actors import SystemActor
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group, GroupMember
from duecourse.groups.services import group_create
from duecourse.people.inputs import PersonInput
from duecourse.people.services import person_create
from duecourse.testing.factories import make_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["Olivia Smith", "Luca Rossi", "Hannah Weber", "James Garcia"]


@pytest.fixture
def staff(tenant, ada):
    manager = person_create(
        actor=SystemActor(tenant_id=tenant.pk),
        tenant_id=tenant.pk,
        data=PersonInput(email="maya@acme.test", name="Maya Patel", roles=["manager"], job_title="Shift lead"),
    )
    people = {
        name.split()[0]: person_create(
            actor=SystemActor(tenant_id=tenant.pk),
            tenant_id=tenant.pk,
            data=PersonInput(
                email=f"{name.split()[0].lower()}@acme.test", name=name, job_title="Driver", manager_id=manager.pk
            ),
        )
        for name in NAMES
    }
    course = course_create(
        actor=ada,
        data=CourseInput(code="HS-101", title="Fire safety essentials", estimated_minutes=45, status="active"),
    )
    return {"people": people, "course": course, "manager": manager}


def _search_and_add(page, text, name):
    from playwright.sync_api import expect

    page.locator("#picker-q").fill(text)
    add = page.locator("#picker-results").get_by_role("button", name=f"Add {name}")
    expect(add).to_be_visible()
    add.click()
    expect(add).to_have_count(0)


def _search_finds_nobody(page, text):
    from playwright.sync_api import expect

    page.locator("#picker-q").fill(text)
    expect(page.locator("#picker-results")).to_contain_text(f"match “{text}”")


def _placeholder(page) -> str:
    """What the picked list's CSS :empty placeholder shows ("" when it shows nothing)."""
    content = page.evaluate("getComputedStyle(document.querySelector('#picked'), '::before').content")
    return "" if content in ("none", "normal") else content.strip('"')


def _assigned_names(course) -> set[str]:
    return set(Assignment.objects.filter(target_id=course.pk).values_list("person__name", flat=True))


def _open_people_step(page):
    from playwright.sync_api import expect

    page.goto("/assign/")
    page.get_by_label("Fire safety essentials (HS-101)").check()
    page.get_by_role("button", name="Next: people →").click()
    expect(page.get_by_role("heading", name="Who should be assigned?")).to_be_visible()


def test_the_wizard_search_answers_every_search_and_assigns_every_pick(page, staff, ada, sign_in):
    from playwright.sync_api import expect

    sign_in(ada)
    _open_people_step(page)
    assert _placeholder(page) == "Nobody picked individually."
    _search_and_add(page, "oliv", "Olivia Smith")
    assert _placeholder(page) == ""
    _search_and_add(page, "rossi", "Luca Rossi")
    _search_finds_nobody(page, "oliv")  # someone already picked is not offered again
    _search_and_add(page, "hann", "Hannah Weber")
    expect(page.locator("#picked li")).to_have_text(["Olivia Smith ×", "Luca Rossi ×", "Hannah Weber ×"])

    # Away to the reminders and back: the picks stay, and the search still answers.
    page.get_by_role("button", name="Next: reminders →").click()
    expect(page.get_by_role("heading", name="Who should be reminded, and when?")).to_be_visible()
    page.get_by_role("button", name="← Back").click()
    expect(page.get_by_role("heading", name="Who should be assigned?")).to_be_visible()
    expect(page.locator("#picked li")).to_have_count(3)
    _search_and_add(page, "garc", "James Garcia")
    page.get_by_role("button", name="Remove Luca Rossi").click()

    page.get_by_role("button", name="Next: reminders →").click()
    page.get_by_role("button", name="Preview →").click()
    expect(page.locator("#count-create")).to_have_text("3")
    page.get_by_role("button", name="Confirm and assign 3").click()
    expect(page.locator("#result-created")).to_have_text("3")
    assert _assigned_names(staff["course"]) == {"Olivia Smith", "Hannah Weber", "James Garcia"}


def test_a_manager_finds_each_report_in_turn(page, staff, sign_in):
    from playwright.sync_api import expect

    sign_in(staff["manager"])
    _open_people_step(page)
    _search_and_add(page, "weber", "Hannah Weber")
    page.get_by_role("button", name="Remove Hannah Weber").click()
    expect(page.locator("#picked li")).to_have_count(0)
    assert _placeholder(page) == "Nobody picked individually."  # the list is empty again, and says so
    _search_and_add(page, "hann", "Hannah Weber")
    _search_and_add(page, "james", "James Garcia")
    _search_finds_nobody(page, "ada")  # not a report
    page.get_by_role("button", name="Next: reminders →").click()
    page.get_by_role("button", name="Preview →").click()
    page.get_by_role("button", name="Confirm and assign 2").click()
    expect(page.locator("#result-created")).to_have_text("2")
    assert _assigned_names(staff["course"]) == {"Hannah Weber", "James Garcia"}


def test_the_group_editor_picks_from_several_searches(page, staff, ada, sign_in):
    from playwright.sync_api import expect

    sign_in(ada)
    page.goto("/groups/new/?kind=static")
    page.get_by_label("Name").fill("Night shift")
    assert _placeholder(page) == "Nobody yet: search above and press Add."
    _search_and_add(page, "oliv", "Olivia Smith")
    _search_and_add(page, "luca", "Luca Rossi")
    _search_and_add(page, "james", "James Garcia")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Night shift", level=1)).to_be_visible()
    group = Group.objects.get(name="Night shift")
    members = set(GroupMember.objects.filter(group=group).values_list("person__name", flat=True))
    assert members == {"Olivia Smith", "Luca Rossi", "James Garcia"}


def test_the_group_page_adds_from_several_searches(page, staff, ada, sign_in):
    from playwright.sync_api import expect

    group = group_create(actor=ada, data=GroupInput(name="Day shift", kind="static", member_ids=[]))
    sign_in(ada)
    page.goto(f"/groups/{group.pk}/")
    _search_and_add(page, "hannah", "Hannah Weber")
    expect(page.locator("#members")).to_contain_text("Hannah Weber")
    _search_and_add(page, "rossi", "Luca Rossi")
    expect(page.locator("#members")).to_contain_text("Luca Rossi")
    _search_finds_nobody(page, "hannah")  # already a member
    members = set(GroupMember.objects.filter(group=group).values_list("person__name", flat=True))
    assert members == {"Hannah Weber", "Luca Rossi"}


def test_the_catalog_filter_hides_headings_with_nothing_left_under_them(page, staff, ada, sign_in):
    from playwright.sync_api import expect

    make_path(ada.tenant, [(staff["course"], True)], title="Warehouse induction")
    sign_in(ada)
    page.goto("/assign/")
    headings = page.locator("#target-list .check-group")
    expect(headings.filter(visible=True)).to_have_text(["Courses", "Learning paths"])
    page.get_by_placeholder("Filter the catalog").fill("fire")
    expect(headings.filter(visible=True)).to_have_text(["Courses"])
    page.get_by_placeholder("Filter the catalog").fill("induction")
    expect(headings.filter(visible=True)).to_have_text(["Learning paths"])
    page.get_by_placeholder("Filter the catalog").fill("")
    expect(headings.filter(visible=True)).to_have_text(["Courses", "Learning paths"])
