"""A manager's home shows what needs their action in their team: overdue, at risk and not started, each with
"Send reminder now" and "Assign"; the same lists as the team page; others have none."""

import re

import pytest
import time_machine

from duecourse.testing.factories import assign, make_course
from duecourse.testing.scheduling import utc
from duecourse.testing.web import signed_in

pytestmark = pytest.mark.django_db
NOW = utc("2026-06-15T09:00")


@pytest.fixture
def team(tenant, make_person, admin):
    boss = make_person(tenant, name="Mona Manager", email="mona@acme.test", timezone="UTC")
    ann = make_person(tenant, name="Ann Late", manager=boss, timezone="UTC")
    bob = make_person(tenant, name="Bob Rushed", manager=boss, timezone="UTC")
    cid = make_person(tenant, name="Cid Idle", manager=boss, timezone="UTC")
    with time_machine.travel(utc("2026-05-01T09:00"), tick=False):
        assign(admin, ann, make_course(tenant, title="Fire safety"), due_date="2026-06-01")  # overdue
        assign(admin, cid, make_course(tenant, title="Data protection"), due_date="2026-09-01")  # not started
    with time_machine.travel(NOW, tick=False):
        assign(admin, bob, make_course(tenant, title="Forklift", minutes=900), due_date="2026-06-17")  # at risk
    return boss, ann, bob, cid


def test_a_managers_home_loads_the_action_lists_of_their_team(team, make_person, tenant):
    boss, ann, bob, cid = team
    client = signed_in(boss)
    with time_machine.travel(NOW, tick=False):
        home = client.get("/").content.decode()
        actions = client.get("/team/actions/").content.decode()
        team_page = client.get("/team/").content.decode()
    assert 'hx-get="/team/actions/"' in home
    overdue = re.search(r'id="overdue-actions">(.*?)</ul>', actions, re.S).group(1)
    at_risk = re.search(r'id="at-risk-actions">(.*?)</ul>', actions, re.S).group(1)
    stalled = re.search(r'id="stalled-actions">(.*?)</ul>', actions, re.S).group(1)
    assert "Ann Late" in overdue and "Fire safety" in overdue and "Send reminder now" in overdue
    assert "Bob Rushed" in at_risk and "not started; needs 15 h; 3 working days left" in at_risk
    assert "Cid Idle" in stalled and "Data protection" in stalled
    assert f'href="/assign/person/{ann.pk}/">Assign<span class="sr-only"> to Ann Late</span>' in overdue
    for section in ("overdue-actions", "at-risk-actions", "stalled-actions"):  # the team page's own lists
        assert re.search(rf'id="{section}">(.*?)</ul>', team_page, re.S).group(1).count("<li>") == len(
            re.findall("<li>", re.search(rf'id="{section}">(.*?)</ul>', actions, re.S).group(1))
        )


def test_someone_without_reports_has_no_action_lists(tenant, make_person):
    learner = make_person(tenant, name="Lone Learner")
    client = signed_in(learner)
    assert "/team/actions/" not in client.get("/").content.decode()
    assert client.get("/team/actions/").status_code == 404
