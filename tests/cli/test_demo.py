"""The demo company `duecourse serve --demo` loads: realistic, loaded once, every printed login works."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from duecourse.core.models import Tenant
from duecourse.groups.models import Group, GroupMember
from duecourse.people.models import Person
from duecourse.people.services import api_token_authenticate
from duecourse.shell.demo import DYNAMIC_GROUPS, LOGINS, PASSWORD, TENANT_NAME, demo_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return demo_load()


def test_the_demo_company_is_a_realistic_directory(demo):
    people = Person.objects.filter(tenant=demo.tenant).select_related("department", "site", "region")
    assert 190 <= demo.people == people.count() <= 210
    assert {p.department.name for p in people} >= {"Logistics", "Sales", "Engineering", "Finance", "HR", "Operations"}
    assert {p.site.name for p in people} >= {"Leeds", "Milan", "Berlin", "Austin"}
    assert {p.region.name for p in people} == {"EMEA", "Americas"}
    assert {p.timezone for p in people} >= {"Europe/London", "Europe/Rome", "Europe/Berlin", "America/Chicago"}
    assert people.filter(hire_date__gte=dt.date(2026, 1, 1)).count() >= 10
    assert people.filter(active=False).exists()
    assert all(p.job_title for p in people)
    # One CEO at the top; everyone else has a manager, and the chain is CEO -> director -> manager -> staff.
    (ceo,) = people.filter(manager__isnull=True)
    directors = people.filter(manager=ceo)
    assert directors.count() >= 6
    managers = people.filter(manager__in=directors, reports__isnull=False).distinct()
    assert managers.count() >= 15
    assert people.filter(manager__in=managers).count() >= 120


def test_every_printed_login_works_with_the_printed_password(demo):
    assert demo.password == PASSWORD == "demo1234"
    roles = {}
    for login in demo.logins:
        user = authenticate(RequestFactory().post("/login/"), email=login.email, password=PASSWORD)
        assert user is not None, login.email
        roles[login.role] = Person.objects.get(user=user).role_names
    assert "admin" in roles["admin"]
    assert "instructor" in roles["instructor"]
    assert "hr" in roles["hr"]
    assert "manager" in roles["manager"]
    assert roles["learner"] == ["learner"]
    manager = Person.objects.get(email=LOGINS[3].email)
    assert manager.reports.filter(active=True).count() >= 5


def test_the_printed_token_acts_as_the_admin(demo):
    ((email, token),) = demo.tokens.items()
    person = api_token_authenticate(token)
    assert person is not None and person.email == email and person.is_admin


def test_static_and_dynamic_groups_hold_the_right_people(demo):
    groups = {g.name: g for g in Group.objects.filter(tenant=demo.tenant)}
    assert groups["Fire wardens"].kind == groups["First aiders"].kind == "static"
    assert set(DYNAMIC_GROUPS) <= {name for name, g in groups.items() if g.kind == "dynamic"}
    for group in groups.values():
        assert GroupMember.objects.filter(group=group).exists(), group.name
    members = Person.objects.filter(
        pk__in=GroupMember.objects.filter(group=groups["Leeds Logistics"]).values("person_id")
    ).select_related("department", "site")
    assert members and {(p.department.name, p.site.name) for p in members} == {("Logistics", "Leeds")}
    starters = Person.objects.filter(
        pk__in=GroupMember.objects.filter(group=groups["2026 starters"]).values("person_id")
    )
    assert starters and all(p.hire_date > dt.date(2025, 12, 31) for p in starters)
    assert LOGINS[4].email in {p.email for p in starters}


def test_loading_again_duplicates_nothing_and_prints_a_fresh_token(demo):
    counts = (Person.objects.count(), Group.objects.count(), GroupMember.objects.count())
    again = demo_load()
    assert (demo.created, again.created) == (True, False)
    assert again.tenant == demo.tenant and Tenant.objects.filter(name=TENANT_NAME).count() == 1
    assert (Person.objects.count(), Group.objects.count(), GroupMember.objects.count()) == counts
    assert again.tokens != demo.tokens
    assert api_token_authenticate(next(iter(again.tokens.values()))) is not None
    assert api_token_authenticate(next(iter(demo.tokens.values()))) is not None


def test_the_demo_has_a_past_every_page_can_show(demo):
    """A year replayed: a trend of about 52 weeks that rises, overdue items at each escalation tier,
    flagged and at-risk items, completions spread over months, certificates."""
    from django.db.models import Count

    from duecourse.assignments.models import Assignment, Completion
    from duecourse.assignments.selectors import (
        at_risk_filter,
        tenant_escalation_tiers,
        tenant_learning_minutes_per_day,
        with_escalation,
        with_status,
    )
    from duecourse.certificates.models import Certificate
    from duecourse.core import clock
    from duecourse.reports.snapshots import compliance_trend

    hr = Person.objects.get(email=LOGINS[2].email)
    trend = [i for i in compliance_trend(actor=hr, by="region", weeks=52)]
    weeks = sorted({i["week"] for i in trend})
    assert len(weeks) >= 50

    def rate(week):
        items = [i for i in trend if i["week"] == week]
        return sum(i["completed"] for i in items) / max(1, sum(i["required_due"] for i in items))

    assert rate(weeks[0]) < 0.3 < 0.6 < rate(weeks[-1])
    now = clock.now()
    items = Assignment.objects.filter(tenant=demo.tenant)
    tiers = tenant_escalation_tiers(demo.tenant.pk)
    reached = set(with_escalation(with_status(items, now), tiers, now).values_list("escalation_tier", flat=True))
    assert reached >= {0, 1, 2, 3}
    assert items.filter(at_risk_filter(now, tenant_learning_minutes_per_day(demo.tenant.pk))).count() >= 5
    months = Completion.objects.filter(tenant=demo.tenant).values("completed_at__month").annotate(n=Count("id"))
    assert len(months) >= 10
    assert Certificate.objects.filter(tenant=demo.tenant).count() >= 20
