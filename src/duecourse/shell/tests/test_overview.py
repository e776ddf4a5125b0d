"""The home overview for admins, instructors and HR (each figure linking to where it is acted on), the
held and failed emails page behind two of them, and the navigation's Team, Compliance and More."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duecourse.assignments.models import Assignment
from duecourse.assignments.progress import progress_record
from duecourse.core import clock
from duecourse.notifications.models import OutboxMessage
from duecourse.testing.factories import assign, make_course
from duecourse.testing.scheduling import frozen_at, utc
from duecourse.testing.web import nav_labels, phone_menu_labels, signed_in

frozen = frozen_at(utc("2026-06-15T09:00"))


def _email(tenant, state: str, n: int) -> OutboxMessage:
    now = clock.now()
    return OutboxMessage.objects.create(
        tenant=tenant,
        to_email=f"someone{n}@acme.test",
        subject=f"Subject {n}",
        body_text="…",
        dedup_key=f"test:{state}:{n}",
        state=state,
        created_at=now,
        next_attempt_at=now,
        last_error="Template error: unknown variable" if state == "held" else "550 mailbox unavailable",
    )


@pytest.fixture
def org(tenant, other_tenant, admin, make_person):
    hr = make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test")
    instructor = make_person(tenant, roles=("instructor",), name="Ivo Instructor")
    boss = make_person(tenant, name="Mona Manager")
    people = [make_person(tenant, name=f"Person {n}", manager=boss) for n in range(4)]
    course = make_course(tenant)
    items = [
        assign(admin, p, course, due_date=due)
        for p, due in zip(people, ["2026-05-01", "2026-06-01", "2026-06-01", "2026-09-01"], strict=True)
    ]
    progress_record(actor=admin, person_id=people[2].pk, course_id=course.pk, completed_at=utc("2026-05-20"))
    Assignment.objects.filter(pk=items[0].pk).update(compliance_flag=True)
    for n in range(2):
        _email(tenant, OutboxMessage.HELD, n)
    _email(tenant, OutboxMessage.FAILED, 9)
    _email(tenant, OutboxMessage.SENT, 10)
    _email(other_tenant, OutboxMessage.FAILED, 11)
    foreigner = make_person(other_tenant)
    assign(make_person(other_tenant, roles=("admin",)), foreigner, make_course(other_tenant), due_date="2026-05-01")
    return {"admin": admin, "hr": hr, "instructor": instructor, "boss": boss, "learner": people[1]}


def _tile(html: str, tile_id: str) -> tuple[str, str]:
    match = re.search(
        rf'<a class="stat-tile[^"]*" href="([^"]+)" id="{tile_id}"><span class="stat-number">([^<]+)<', html
    )
    assert match is not None, tile_id
    return match.group(1).replace("&amp;", "&"), match.group(2)


@pytest.mark.django_db
class TestHomeOverview:
    def test_admin_sees_every_figure_linking_to_where_it_is_acted_on(self, org):
        html = signed_in(org["admin"]).get("/").content.decode()

        assert _tile(html, "overview-rate") == ("/reports/compliance/", "33 %")  # 1 completed of 3 due or done
        assert _tile(html, "overview-overdue") == ("/tasks/?status=overdue", "2")
        assert _tile(html, "overview-flagged") == ("/tasks/?compliance_flag=yes", "1")
        assert _tile(html, "overview-held") == ("/settings/outbox/?state=held", "2")
        assert _tile(html, "overview-failed") == ("/settings/outbox/?state=failed", "1")

    @pytest.mark.parametrize("role", ["hr", "instructor"])
    def test_hr_and_instructors_see_the_figures_but_not_the_outbox(self, org, role):
        html = signed_in(org[role]).get("/").content.decode()

        assert _tile(html, "overview-overdue")[1] == "2"
        assert 'id="overview-held"' not in html and 'id="overview-failed"' not in html

    @pytest.mark.parametrize("role", ["boss", "learner"])
    def test_managers_and_learners_have_no_overview(self, org, role):
        assert 'id="home-overview"' not in signed_in(org[role]).get("/").content.decode()

    def test_at_risk_counts_what_the_forecast_flags_and_links_to_it(self, org, tenant, make_person):
        html = signed_in(org["admin"]).get("/").content.decode()
        assert _tile(html, "overview-at-risk") == ("/tasks/?at_risk=yes", "0")
        long_course = make_course(tenant, title="Ten-hour course", minutes=600)
        assign(org["admin"], make_person(tenant, name="Short Oftime"), long_course, due_date="2026-06-18")
        client = signed_in(org["admin"])
        assert _tile(client.get("/").content.decode(), "overview-at-risk")[1] == "1"  # 20 days needed, 4 left
        listed = client.get("/tasks/?at_risk=yes").content.decode()
        assert "Short Oftime" in listed and "Person 3" not in listed

    def test_the_figures_link_to_lists_that_agree(self, org):
        client = signed_in(org["admin"])
        overdue = client.get("/tasks/?status=overdue").content.decode()
        assert "Person 0" in overdue and "Person 1" in overdue and "Person 2" not in overdue
        problems = client.get("/settings/outbox/?state=held").content.decode()
        assert "someone0@acme.test" in problems and "Template error" in problems
        assert "someone9@acme.test" not in problems
        everything = client.get("/settings/outbox/").content.decode()
        assert "someone9@acme.test" in everything and "550 mailbox" in everything
        assert "someone10@acme.test" not in everything and "someone11@acme.test" not in everything

    def test_home_is_a_bounded_number_of_queries(self, org, make_person, tenant):
        client = signed_in(org["admin"])
        with CaptureQueriesContext(connection) as before:
            client.get("/")
        for n in range(5):
            _email(tenant, OutboxMessage.HELD, 100 + n)
            assign(org["admin"], make_person(tenant), make_course(tenant), due_date="2026-05-01")
        with CaptureQueriesContext(connection) as after:
            html = client.get("/").content.decode()
        assert _tile(html, "overview-held")[1] == "7"
        assert len(after) == len(before)


@pytest.mark.django_db
class TestNavigation:
    def test_hr_without_reports_is_taken_to_the_manager_chooser_and_with_reports_to_their_team(self, org, make_person):
        def team_link(person) -> str:
            html = signed_in(person).get("/").content.decode()
            match = re.search(r'<a href="([^"]+)"[^>]*>Team</a>', html)
            assert match is not None
            return match.group(1)

        assert team_link(org["hr"]) == "/team/managers/"
        make_person(org["hr"].tenant, manager=org["hr"])
        assert team_link(org["hr"]) == "/team/"
        assert team_link(org["boss"]) == "/team/"

    def test_team_is_the_current_page_on_any_team_page(self, org):
        client = signed_in(org["hr"])
        html = client.get(f"/team/?manager={org['boss'].pk}").content.decode()
        assert re.search(r'<a href="/team/managers/" class="active" aria-current="page">Team</a>', html)

    def test_secondary_entries_go_under_more_when_there_are_several(self, org):
        admin = signed_in(org["admin"]).get("/settings/outbox/").content.decode()
        more = re.search(r'<details class="navmore([^"]*)">.*?</details>', admin, re.S)
        assert more is not None
        assert re.findall(r"<a [^>]*>([^<]+)</a>", more.group(0)) == ["Groups", "Certificates", "Audit log", "Settings"]
        assert more.group(1) == " active"  # /settings/outbox/ is under Settings
        manager = signed_in(org["boss"]).get("/").content.decode()
        assert '<details class="navmore' not in manager and "Certificates" in nav_labels(manager)  # one entry stays

    def test_the_phone_menu_holds_every_entry_of_the_bar_and_more(self, org):
        for person in (org["admin"], org["hr"], org["boss"]):
            html = signed_in(person).get("/").content.decode()
            assert phone_menu_labels(html) == nav_labels(html), person.email
