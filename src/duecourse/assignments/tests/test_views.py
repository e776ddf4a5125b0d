"""The assignment pages as people see them: My learning, an assignment, a person's training, the wizard."""

import datetime as dt
import re

import pytest

from duecourse.assignments.inputs import BulkAssignInput
from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.assignments.services import bulk_assign
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import GroupMember
from duecourse.groups.services import group_create
from duecourse.testing.factories import assign, make_course, make_path
from duecourse.testing.web import field_error, nav_labels, text

TODAY = dt.date.today()


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def titles_in_order(html: str, container_id: str) -> list[str]:
    block = html.split(f'id="{container_id}"', 1)[1]
    return re.findall(r'<h3 class="learning-title"><a [^>]*>([^<]+)</a>', block)


@pytest.fixture
def team(tenant, make_person, admin):
    boss = make_person(tenant, name="Mona Manager", email="mona@acme.test")
    alice = make_person(tenant, name="Alice Driver", email="alice@acme.test", manager=boss)
    bob = make_person(tenant, name="Bob Ledger", email="bob@acme.test")
    return {"boss": boss, "alice": alice, "bob": bob}


# My learning


def test_my_learning_puts_overdue_first_then_priority_then_due_date(tenant, admin, team, signed_in):
    alice = team["alice"]
    late = make_course(tenant, title="Fire safety")
    low_soon = make_course(tenant, title="Expense policy")
    high_later = make_course(tenant, title="Forklift licence")
    medium_soon = make_course(tenant, title="Data protection")
    done = make_course(tenant, title="Welcome to Acme")
    assign(admin, alice, low_soon, due_date=days(3), priority="low")
    assign(admin, alice, high_later, due_date=days(40), priority="high")
    assign(admin, alice, medium_soon, due_date=days(5))
    assign(admin, alice, late, due_date="2020-01-31", priority="low")
    assign(admin, alice, done, due_date=days(9))
    progress_record(actor=admin, person_id=alice.pk, course_id=done.pk, progress=100)

    page = text(signed_in(alice).get("/learning/"))

    assert titles_in_order(page, "todo-list") == [
        "Fire safety",
        "Forklift licence",
        "Data protection",
        "Expense policy",
    ]
    history = page.split('id="history-table"', 1)[1]
    assert "Welcome to Acme" in history and "Fire safety" not in history
    assert '<span class="badge badge-overdue">Overdue</span>' in page
    assert '<span class="badge badge-assigned">Assigned</span>' in page
    assert '<span class="badge badge-completed">Completed</span>' in page


def test_my_learning_explains_why_and_offers_begin_then_continue(tenant, admin, team, signed_in):
    alice = team["alice"]
    course = make_course(tenant, title="Manual handling", launch_url="https://lms.example.com/mh")
    group = group_create(actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[alice.pk]))
    client = signed_in(admin)
    client.post(
        "/assign/",
        {
            "step": "4",
            "seen": ["1", "2", "3"],
            "go": "confirm",
            "targets": [f"course:{course.pk}"],
            "due_mode": "date",
            "due_date": days(14),
            "priority": "medium",
            "note": "Book the warehouse slot first.",
            "group_ids": [str(group.pk)],
            "mode": "once",  # assigned to today's members: the group is the source
            "reminder_mode": "default",
        },
    )
    assign(admin, alice, course, due_date=days(30))

    page = text(signed_in(alice).get("/learning/"))
    assert "Why:</span> Group: Drivers; Individual by Ada Admin" in page
    assert "Book the warehouse slot first." in page
    assert "Group: Drivers: fixed date" in page  # where the due date came from
    assert re.search(r'href="https://lms.example.com/mh"[^>]*>Begin', page)

    progress_record(actor=admin, person_id=alice.pk, course_id=course.pk, progress=40)
    page = text(signed_in(alice).get("/learning/"))
    assert '<span class="badge badge-in_progress">In progress</span>' in page
    assert re.search(r'href="https://lms.example.com/mh"[^>]*>Continue', page)
    assert re.search(r'<progress [^>]*value="40"', page)  # a native <progress>: no inline style under the CSP


def test_a_path_begins_with_its_next_incomplete_required_course(tenant, admin, team, signed_in):
    alice = team["alice"]
    first = make_course(tenant, title="Intro", launch_url="https://lms.example.com/intro")
    extra = make_course(tenant, title="Extra reading", launch_url="https://lms.example.com/extra")
    second = make_course(tenant, title="Hands-on", launch_url="https://lms.example.com/hands-on")
    path = make_path(tenant, [(first, True), (extra, False), (second, True)], title="Onboarding")
    a = assign(admin, alice, path, due_in_days=30)
    progress_record(actor=admin, person_id=alice.pk, course_id=first.pk, progress=100)

    page = text(signed_in(alice).get("/learning/"))
    assert re.search(r'href="https://lms.example.com/hands-on"[^>]*>Continue', page)
    assert "Next: Hands-on" in page

    detail = text(signed_in(alice).get(f"/learning/{a.pk}/"))
    assert "Completed " in detail and "Intro" in detail and "Not completed yet" in detail


def test_the_home_page_summarises_my_learning(tenant, admin, team, signed_in):
    assign(admin, team["alice"], make_course(tenant, title="Fire safety"), due_date="2020-01-31")
    client = signed_in(team["alice"])
    assert "/learning/summary/" in text(client.get("/"))
    summary = text(client.get("/learning/summary/", HTTP_HX_REQUEST="true"))
    assert "Fire safety" in summary and "1 overdue" in summary


# One assignment


def test_a_learner_cannot_open_someone_elses_assignment(tenant, admin, team, make_person, other_tenant, signed_in):
    theirs = assign(admin, team["bob"], make_course(tenant))
    client = signed_in(team["alice"])
    assert client.get(f"/learning/{theirs.pk}/").status_code == 404
    outsider = make_person(other_tenant, email="eve@globex.test")
    assert signed_in(outsider).get(f"/learning/{theirs.pk}/").status_code == 404
    assert client.post(f"/learning/{theirs.pk}/withdraw/").status_code == 404


def test_the_assignment_page_explains_itself_and_learners_cannot_change_it(tenant, admin, team, signed_in):
    a = assign(admin, team["alice"], make_course(tenant, title="Fire safety"), due_in_days=10, reason="Audit 2026")
    page = text(signed_in(team["alice"]).get(f"/learning/{a.pk}/"))
    assert "Why this is assigned" in page and "Individual by Ada Admin" in page
    assert "Individual by Ada Admin: 10 days after assignment" in page
    assert "Withdraw" not in page and "Audit 2026" not in page
    assert signed_in(team["alice"]).post(f"/learning/{a.pk}/withdraw/").status_code == 403


def test_an_admin_edits_the_due_date_and_the_page_says_it_was_set_by_hand(tenant, admin, team, signed_in):
    a = assign(admin, team["alice"], make_course(tenant), due_in_days=10)
    client = signed_in(admin)
    response = client.post(f"/learning/{a.pk}/edit/", {"due_date": days(20), "priority": "high", "note": ""})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.due_date.isoformat(), a.priority) == (days(20), "high")
    assert "set by hand by Ada Admin" in text(client.get(f"/learning/{a.pk}/"))

    bad = client.post(f"/learning/{a.pk}/edit/", {"due_date": "31/02/2026", "priority": "high"})
    assert bad.status_code == 422
    assert field_error(text(bad), "due_date") == "Enter a valid date."


def test_withdrawing_completed_training_is_a_conflict_with_a_clear_message(tenant, admin, team, signed_in):
    course = make_course(tenant, title="Fire safety")
    a = assign(admin, team["alice"], course)
    progress_record(actor=admin, person_id=team["alice"].pk, course_id=course.pk, progress=100)
    response = signed_in(admin).post(f"/learning/{a.pk}/withdraw/")
    assert response.status_code == 409
    assert "A completed assignment cannot be withdrawn" in text(response)
    a.refresh_from_db()
    assert a.withdrawn_at is None


# A person's training and assigning to one person


def test_a_manager_assigns_to_a_report_but_not_to_others(tenant, admin, team, signed_in):
    course = make_course(tenant, title="Fire safety")
    client = signed_in(team["boss"])
    section = text(client.get(f"/assign/person/{team['alice'].pk}/training/", HTTP_HX_REQUEST="true"))
    assert "Assign training" in section

    response = client.post(
        f"/assign/person/{team['alice'].pk}/",
        {
            "targets": f"course:{course.pk}",
            "due_mode": "days",
            "due_in_days": "14",
            "priority": "high",
            "note": "Please",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Assigned Fire safety to Alice Driver." in text(response)
    a = Assignment.objects.get(person=team["alice"])
    assert (a.priority, a.note, a.due_date.isoformat()) == ("high", "Please", days(14))
    assert "Individual by Mona Manager" in text(response)

    other = client.post(f"/assign/person/{team['bob'].pk}/", {"targets": f"course:{course.pk}", "due_mode": "none"})
    assert other.status_code in (403, 404)
    assert not Assignment.objects.filter(person=team["bob"]).exists()
    assert "Assign training" not in text(signed_in(team["bob"]).get(f"/assign/person/{team['bob'].pk}/training/"))


def test_assign_form_errors_show_beside_their_fields(tenant, admin, team, signed_in):
    draft = make_course(tenant, title="Not ready", status="draft")
    client = signed_in(admin)
    missing = client.post(f"/assign/person/{team['alice'].pk}/", {"due_mode": "date", "priority": "high"})
    assert missing.status_code == 422
    html = text(missing)
    assert "Pick at least one course, path or skill." in html
    assert "Choose the due date." in html
    draft_choice = client.post(
        f"/assign/person/{team['alice'].pk}/", {"targets": f"course:{draft.pk}", "due_mode": "none", "priority": "low"}
    )
    assert draft_choice.status_code == 422
    assert "Select a valid choice" in text(draft_choice)
    assert not Assignment.objects.exists()


def test_the_person_page_lists_training_with_sources_and_lets_a_manager_withdraw_their_own(
    tenant, admin, team, signed_in
):
    course = make_course(tenant, title="Fire safety")
    a = assign(team["boss"], team["alice"], course, due_in_days=5)
    client = signed_in(team["boss"])
    page = text(client.get(f"/people/{team['alice'].pk}/"))
    assert f'hx-get="/assign/person/{team["alice"].pk}/training/"' in page
    section = text(client.get(f"/assign/person/{team['alice'].pk}/training/", HTTP_HX_REQUEST="true"))
    assert "Fire safety" in section and "Individual by Mona Manager" in section and "Withdraw" in section

    response = client.post(f"/learning/{a.pk}/withdraw/", {"from": "person"}, HTTP_HX_REQUEST="true")
    assert "Withdrew the assignment from Alice Driver" in text(response)
    a.refresh_from_db()
    assert a.withdrawn_at is not None


# The bulk wizard


def wizard_post(client, **fields):
    return client.post("/assign/", fields, HTTP_HX_REQUEST="true")


def test_the_wizard_walks_through_its_steps_keeping_state(tenant, admin, team, signed_in):
    course = make_course(tenant, title="Fire safety")
    client = signed_in(admin)
    first = text(client.get("/assign/"))
    assert "Training &amp; timing" in first and "Fire safety" in first

    empty = text(
        wizard_post(client, step="1", seen="1", go="next", due_mode="days", due_in_days="30", priority="medium")
    )
    assert "Pick at least one course, path or skill." in empty

    step2 = text(
        wizard_post(
            client,
            step="1",
            seen="1",
            go="next",
            targets=f"course:{course.pk}",
            due_mode="days",
            due_in_days="30",
            priority="medium",
        )
    )
    assert "Who should be assigned?" in step2
    assert f'type="hidden" name="targets" value="course:{course.pk}"' in step2

    nobody = text(
        wizard_post(
            client,
            step="2",
            seen=["1", "2"],
            go="next",
            targets=f"course:{course.pk}",
            due_mode="days",
            due_in_days="30",
            priority="medium",
        )
    )
    assert "Choose who to assign to" in nobody


def test_the_wizard_preview_flags_overloaded_people_then_assigns(tenant, admin, team, signed_in):
    heavy = make_course(tenant, title="Leadership bootcamp", minutes=700)
    course = make_course(tenant, title="Fire safety", minutes=30)
    assign(admin, team["alice"], heavy, due_in_days=10)
    assign(admin, team["bob"], course, due_in_days=10)
    client = signed_in(admin)
    state = {
        "seen": ["1", "2", "3"],
        "targets": f"course:{course.pk}",
        "due_mode": "days",
        "due_in_days": "20",
        "priority": "high",
        "person_ids": [str(team["alice"].pk), str(team["bob"].pk), str(team["boss"].pk)],
        "reminder_mode": "default",
    }
    preview = text(wizard_post(client, step="3", go="preview", **state))
    assert Assignment.objects.filter(target_id=course.pk).count() == 1  # a dry run writes nothing
    assert re.search(r'id="count-create">2<', preview) and re.search(r'id="count-skip">1<', preview)
    assert re.search(r'id="count-overloaded">1<', preview)
    alice_row = re.search(r'<tr class="row-warning">.*?</tr>', preview, re.S).group(0)
    assert "Alice Driver" in alice_row and "Overloaded" in alice_row and "11 h 40 min" in alice_row
    assert "Already assigned" in preview

    result = text(wizard_post(client, step="4", go="confirm", **state))
    assert re.search(r'id="result-created">2<', result) and re.search(r'id="result-skipped">1<', result)
    assert Assignment.objects.filter(target_id=course.pk, target_type="course").count() == 3


def test_a_manager_wizard_reaches_only_direct_reports(tenant, admin, team, signed_in):
    course = make_course(tenant, title="Fire safety")
    client = signed_in(team["boss"])
    assert "All my direct reports" in text(
        wizard_post(
            client, step="1", seen="1", go="next", targets=f"course:{course.pk}", due_mode="none", priority="low"
        )
    )
    picker = text(client.get("/assign/people-picker/", {"picker_q": "e"}))
    assert "Alice Driver" in picker and "Bob Ledger" not in picker
    result = text(
        wizard_post(
            client,
            step="4",
            seen=["1", "2", "3"],
            go="confirm",
            targets=f"course:{course.pk}",
            due_mode="none",
            priority="low",
            person_ids=[str(team["alice"].pk), str(team["bob"].pk)],
            reminder_mode="none",
        )
    )
    assert re.search(r'id="result-created">1<', result)
    assert "you may assign only to your direct reports" in result
    assert not Assignment.objects.filter(person=team["bob"]).exists()
    assert signed_in(team["bob"]).get("/assign/").status_code == 403


def test_the_team_view_lists_reports_and_overdue_action_items(tenant, admin, team, signed_in):
    assign(team["boss"], team["alice"], make_course(tenant, title="Fire safety"), due_date="2020-01-31")
    assign(admin, team["bob"], make_course(tenant, title="Secret"), due_date="2020-01-31")
    client = signed_in(team["boss"])
    page = text(client.get("/team/"))
    assert "Alice Driver" in page and "Bob Ledger" not in page and "Secret" not in page
    overdue = page.split('id="overdue-actions"', 1)[1].split("</ul>", 1)[0]
    assert "Fire safety" in overdue
    filtered = text(client.get("/team/", {"status": "completed"}, HTTP_HX_REQUEST="true"))
    assert "No training matches." in filtered
    assert signed_in(team["bob"]).get("/team/").status_code == 403


def test_navigation_depends_on_roles(admin, team, signed_in):
    def labels(client):
        return nav_labels(text(client.get("/")))

    assert labels(signed_in(team["bob"])) == ["Home", "My learning", "Catalog"]
    assert labels(signed_in(team["boss"])) == [
        "Home",
        "My learning",
        "Team",
        "People",
        "Catalog",
        "Assign",
        "Certificates",
    ]
    assert labels(signed_in(admin)) == [
        "Home",
        "My learning",
        "Team",
        "Compliance",
        "Mandatory tasks",
        "People",
        "Catalog",
        "Assign",
        "Configurations",
        "Groups",
        "Certificates",
        "Audit log",
        "Settings",
    ]


# Exemptions


def _group_held(tenant, admin, person, course, **fields):
    group = group_create(actor=admin, data=GroupInput(name="Night shift", kind="static"))
    GroupMember.objects.create(tenant=tenant, group=group, person=person)
    bulk_assign(
        actor=admin,
        data=BulkAssignInput.model_validate(
            {"targets": [{"type": "course", "id": course.pk}], "assignees": {"group_ids": [group.pk]}, **fields}
        ),
    )
    return Assignment.objects.get(person=person, target_id=course.pk, withdrawn_at__isnull=True)


def test_an_admin_exempts_from_the_assignment_page_and_the_chip_says_exempt(tenant, admin, team, signed_in):
    a = _group_held(tenant, admin, team["alice"], make_course(tenant, title="Fire safety"), due_date=days(-3))
    client = signed_in(admin)
    page = text(client.get(f"/learning/{a.pk}/"))
    assert "Exempt…" in page and 'class="badge badge-overdue"' in page
    response = client.post(f"/learning/{a.pk}/exempt/", {"exempt-reason": "Medical leave", "exempt-until": days(30)})
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert 'class="badge badge-exempt">Exempt<' in page
    assert "Medical leave" in page and "End exemption" in page
    assert 'badge-exempt">Exempt<' in text(signed_in(team["alice"]).get("/learning/"))

    ended = client.post(f"/learning/{a.pk}/exempt/end/")
    assert ended.status_code == 302
    assert 'class="badge badge-overdue"' in text(client.get(f"/learning/{a.pk}/"))


def test_exempting_without_a_reason_shows_the_error_beside_the_field(tenant, admin, team, signed_in):
    a = _group_held(tenant, admin, team["alice"], make_course(tenant))
    response = signed_in(admin).post(f"/learning/{a.pk}/exempt/", {"exempt-reason": "", "exempt-until": ""})
    assert response.status_code == 422
    assert field_error(text(response), "exempt-reason") == "This field is required."
    a.refresh_from_db()
    assert a.exempt_at is None


def test_an_individual_assignment_cannot_be_exempted_and_the_page_says_withdraw_instead(tenant, admin, team, signed_in):
    a = assign(admin, team["alice"], make_course(tenant))
    response = signed_in(admin).post(f"/learning/{a.pk}/exempt/", {"exempt-reason": "Leave"})
    assert response.status_code == 409
    assert "withdraw it instead" in text(response)
    a.refresh_from_db()
    assert a.exempt_at is None


def test_learners_and_managers_are_not_offered_an_exemption(tenant, admin, team, signed_in):
    a = _group_held(tenant, admin, team["alice"], make_course(tenant))
    for person in (team["alice"], team["boss"]):
        client = signed_in(person)
        assert "Exempt…" not in text(client.get(f"/learning/{a.pk}/"))
        assert client.post(f"/learning/{a.pk}/exempt/", {"exempt-reason": "x"}).status_code == 403
