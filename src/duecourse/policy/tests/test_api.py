"""The organisation's settings: admins read and change them, bad values are refused by name, and the
product follows what is set (bulk preview overload, default reminder plan, escalation tiers)."""

import datetime as dt

import pytest

from duecourse.core.models import AuditEvent, Tenant
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, inbox, pending_reminders, tick, utc

pytestmark = pytest.mark.usefixtures("api_without_static_files")

DEFAULTS = {
    "overload_minutes_30d": 600,
    "default_reminder_plan": [{"days": 3, "recipients": ["learner"], "template": None}],
    "escalation": [
        {"after_days": 0, "to": "manager", "flag": False},
        {"after_days": 8, "to": "hr", "flag": False},
        {"after_days": 15, "to": None, "flag": True},
    ],
    "recert_window_days": 30,
    "learning_minutes_per_day": 30,
    "timezone": "UTC",
    "managers_assign_down_the_line": False,
    "defaults": [
        "default_reminder_plan",
        "escalation",
        "learning_minutes_per_day",
        "managers_assign_down_the_line",
        "overload_minutes_30d",
        "recert_window_days",
        "timezone",
    ],
}


def test_admin_sees_the_defaults_then_changes_one_setting_and_puts_it_back(admin_api, admin, tenant):
    assert admin_api.get("settings").json() == DEFAULTS

    response = admin_api.patch("settings", {"overload_minutes_30d": 240})
    assert response.status_code == 200, response.content
    assert response.json()["overload_minutes_30d"] == 240
    assert response.json()["defaults"] == [
        "default_reminder_plan",
        "escalation",
        "learning_minutes_per_day",
        "managers_assign_down_the_line",
        "recert_window_days",
        "timezone",
    ]
    assert admin_api.get("settings").json()["overload_minutes_30d"] == 240
    [event] = AuditEvent.objects.filter(action="tenant.settings_changed")
    assert (event.actor_id, event.before, event.after) == (
        admin.pk,
        {"overload_minutes_30d": None},
        {"overload_minutes_30d": 240},
    )

    assert admin_api.patch("settings", {"overload_minutes_30d": None}).json() == DEFAULTS
    tenant.refresh_from_db()
    assert "overload_minutes_30d" not in tenant.settings
    # Saving what is already there changes nothing and audits nothing.
    admin_api.patch("settings", {})
    assert AuditEvent.objects.filter(action="tenant.settings_changed").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"overload_minutes_30d": 0}, "overload_minutes_30d"),
        ({"overload_minutes_30d": "lots"}, "overload_minutes_30d"),
        ({"default_reminder_plan": [{"days": 400}]}, "days"),
        ({"default_reminder_plan": [{"days": 3, "recipients": ["boss"]}]}, "recipients"),
        ({"default_reminder_plan": [{"days": 3, "recipients": []}]}, "recipients"),
        ({"escalation": [{"after_days": -1, "to": "hr"}]}, "after_days"),
        ({"escalation": [{"after_days": 3, "to": "ceo"}]}, "to"),
        ({"escalation": [{"after_days": 3}]}, "escalation.0"),
        ({"escalation": [{"after_days": 3, "to": "hr"}, {"after_days": 3, "to": "hr"}]}, "escalation"),
        ({"escalation": [{"after_days": 3, "to": "hr", "cc": "x"}]}, "cc"),
        ({"recert_window_days": -1}, "recert_window_days"),
        ({"recert_window_days": 366}, "recert_window_days"),
        ({"recert_window_days": "soon"}, "recert_window_days"),
        ({"learning_minutes_per_day": 0}, "learning_minutes_per_day"),
        ({"learning_minutes_per_day": 481}, "learning_minutes_per_day"),
        ({"learning_minutes_per_day": "an hour"}, "learning_minutes_per_day"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 12}, "timezone"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_are_refused_naming_the_field_and_nothing_changes(admin_api, tenant, body, field):
    response = admin_api.patch("settings", body)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.settings == {}
    assert not AuditEvent.objects.filter(action="tenant.settings_changed").exists()


@pytest.mark.parametrize("role", ["instructor", "hr", "manager", "learner"])
def test_only_admins_see_or_change_the_settings(api_as, tenant, make_person, role):
    person = make_person(tenant, roles=(role,))
    api = api_as(person)
    assert api.get("settings").status_code == 403
    assert api.patch("settings", {"overload_minutes_30d": 5}).status_code == 403
    assert Tenant.objects.get(pk=tenant.pk).settings == {}


def test_one_tenants_settings_never_touch_another(admin_api, api_as, other_tenant, make_person):
    other_admin = make_person(other_tenant, roles=("admin",))
    admin_api.patch("settings", {"overload_minutes_30d": 30})
    assert Tenant.objects.get(pk=other_tenant.pk).settings == {}
    assert api_as(other_admin).get("settings").json()["overload_minutes_30d"] == 600


def test_anonymous_callers_are_turned_away(api_as):
    assert api_as(None).get("settings").status_code == 401


def test_the_default_reminder_plan_applies_to_new_assignments_without_their_own(admin_api, admin, tenant, make_person):
    manager = make_person(tenant, name="Mia Manager")
    learner = make_person(tenant, manager=manager)
    plan = [{"days": 7, "recipients": ["learner", "manager"]}]
    assert admin_api.patch("settings", {"default_reminder_plan": plan}).status_code == 200

    assignment = assign_at(utc("2026-03-01T09:00"), admin, learner, make_course(tenant), due_date="2026-03-20")
    assert [(kind, at) for _, kind, at in pending_reminders(assignment) if at.date() < dt.date(2026, 3, 20)] == [
        ("learner", utc("2026-03-13T00:00")),
        ("manager", utc("2026-03-13T00:00")),
    ]


def test_escalation_tiers_set_through_the_api_decide_who_hears(admin_api, admin, tenant, make_person):
    manager = make_person(tenant, name="Mia Manager")
    learner = make_person(tenant, manager=manager)
    hr = make_person(tenant, roles=("hr",))
    response = admin_api.patch("settings", {"escalation": [{"after_days": 2, "to": "hr"}]})
    assert response.json()["escalation"] == [{"after_days": 2, "to": "hr", "flag": False}]

    assign_at(utc("2026-03-01T09:00"), admin, learner, make_course(tenant), due_date="2026-03-20")
    for day in range(0, 4):
        tick(utc("2026-03-21T01:00") + dt.timedelta(days=day))
    assert inbox(manager, "escalation") == []
    assert len(inbox(hr, "escalation")) == 1


def test_learning_minutes_per_day_is_set_and_put_back(admin_api):
    response = admin_api.patch("settings", {"learning_minutes_per_day": 480})
    assert response.status_code == 200, response.content
    assert response.json()["learning_minutes_per_day"] == 480
    assert "learning_minutes_per_day" not in response.json()["defaults"]
    assert admin_api.patch("settings", {"learning_minutes_per_day": None}).json()["learning_minutes_per_day"] == 30


def test_the_organisations_time_zone_decides_the_day_of_its_compliance_snapshot(admin_api, tenant):
    from duecourse.reports.snapshots import tenant_today

    response = admin_api.patch("settings", {"timezone": "Pacific/Auckland"})
    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Pacific/Auckland" and "timezone" not in response.json()["defaults"]
    tenant.refresh_from_db()
    sunday_evening_utc = utc("2026-06-14T12:10")  # 00:10 on Monday the 15th in Auckland
    assert tenant_today(tenant.settings, sunday_evening_utc) == dt.date(2026, 6, 15)
    assert admin_api.patch("settings", {"timezone": None}).json()["timezone"] == "UTC"
