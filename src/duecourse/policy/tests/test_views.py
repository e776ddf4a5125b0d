"""The organisation-settings page: admins see and change the policy; others are turned away."""

import pytest

from duecourse.core.models import AuditEvent, Tenant
from duecourse.policy.services import tenant_policy


def form_data(**overrides) -> dict:
    data = {
        "overload_minutes_30d": "600",
        "plan-reminder_mode": "default",
        "esc-e1_after_days": "0",
        "esc-e1_to": "manager",
        "esc-e2_after_days": "8",
        "esc-e2_to": "hr",
        "esc-e3_after_days": "15",
        "esc-e3_to": "",
        "esc-e3_flag": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_sees_the_policy_in_force_and_the_menu_entry(admin, signed_in):
    page = signed_in(admin).get("/settings/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/settings/"' in html and "Organisation settings" in html
    assert 'name="overload_minutes_30d" value="600"' in html
    assert 'name="esc-e2_after_days" value="8"' in html
    assert '<option value="hr" selected>' in html


def test_admin_changes_workload_reminders_and_escalation(admin, tenant, signed_in):
    client = signed_in(admin)
    response = client.post(
        "/settings/",
        form_data(
            overload_minutes_30d="240",
            **{
                "plan-reminder_mode": "custom",
                "plan-r1_days": "7",
                "plan-r1_when": "before",
                "plan-r1_recipients": ["learner", "manager"],
                "plan-r2_days": "",
                "plan-r3_days": "2",
                "plan-r3_when": "after",
                "plan-r3_recipients": ["learner"],
                "esc-e1_after_days": "2",
                "esc-e1_to": "hr",
                "esc-e2_after_days": None,
                "esc-e3_after_days": "10",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = tenant_policy(tenant.pk)
    assert policy["overload_minutes_30d"] == 240
    assert policy["default_reminder_plan"] == [
        {"days": 7, "recipients": ["learner", "manager"]},
        {"days": -2, "recipients": ["learner"]},
    ]
    assert policy["escalation"] == [
        {"after_days": 2, "to": "hr", "flag": False},
        {"after_days": 10, "to": None, "flag": True},
    ]
    assert AuditEvent.objects.filter(action="tenant.settings_changed", actor_id=admin.pk).count() == 1
    page = client.get("/settings/").content.decode()
    assert "Saved the organisation" in page
    assert 'name="plan-r1_days" value="7"' in page and 'name="plan-r2_days" value="2"' in page


def test_a_tier_that_does_nothing_is_refused_and_nothing_is_saved(admin, tenant, signed_in):
    response = signed_in(admin).post("/settings/", form_data(**{"esc-e3_flag": None}))
    assert response.status_code == 422
    assert "must notify someone (to) or set the compliance flag" in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).settings == {}


def test_an_out_of_range_threshold_is_shown_beside_its_field(admin, tenant, signed_in):
    response = signed_in(admin).post("/settings/", form_data(overload_minutes_30d="0"))
    assert response.status_code == 422
    assert "greater than or equal to 1" in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).settings == {}


@pytest.mark.parametrize("role", ["instructor", "hr", "manager", "learner"])
def test_only_admins_reach_the_page(tenant, make_person, role, signed_in):
    person = make_person(tenant, roles=(role,), email=f"{role}@acme.test")
    client = signed_in(person)
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", form_data(overload_minutes_30d="5")).status_code == 403
    assert 'href="/settings/"' not in client.get("/").content.decode()
    assert Tenant.objects.get(pk=tenant.pk).settings == {}


def test_the_recertification_window_is_set_on_the_page_and_empty_means_the_default(admin, tenant, signed_in):
    client = signed_in(admin)
    html = client.get("/settings/").content.decode()
    assert 'name="recert_window_days"' in html and 'placeholder="30"' in html
    assert 'name="recert_window_days" value=' not in html  # at its default: shown empty

    assert client.post("/settings/", form_data(recert_window_days="14")).status_code == 302
    assert tenant_policy(tenant.pk)["recert_window_days"] == 14
    assert 'name="recert_window_days" value="14"' in client.get("/settings/").content.decode()

    assert client.post("/settings/", form_data(recert_window_days="")).status_code == 302
    policy = tenant_policy(tenant.pk)
    assert (policy["recert_window_days"], "recert_window_days" in policy["defaults"]) == (30, True)


def test_an_out_of_range_recertification_window_is_shown_beside_its_field(admin, tenant, signed_in):
    response = signed_in(admin).post("/settings/", form_data(recert_window_days="400"))
    assert response.status_code == 422
    assert "less than or equal to 365" in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).settings == {}


def test_learning_minutes_per_day_is_set_on_the_page_and_checked(admin, tenant, signed_in):
    client = signed_in(admin)
    html = client.get("/settings/").content.decode()
    assert 'name="learning_minutes_per_day"' in html and 'name="learning_minutes_per_day" value=' not in html
    assert client.post("/settings/", form_data(learning_minutes_per_day="45")).status_code == 302
    assert tenant_policy(tenant.pk)["learning_minutes_per_day"] == 45
    response = client.post("/settings/", form_data(learning_minutes_per_day="500"))
    assert response.status_code == 422
    assert "less than or equal to 480" in response.content.decode()
    assert tenant_policy(tenant.pk)["learning_minutes_per_day"] == 45


def test_the_organisation_time_zone_is_picked_on_the_page_and_checked(admin, tenant, signed_in):
    client = signed_in(admin)
    html = client.get("/settings/").content.decode()
    assert 'name="timezone"' in html and '<option value="Europe/London">' in html  # the zones to pick from
    assert client.post("/settings/", form_data(timezone="Europe/Berlin")).status_code == 302
    assert tenant_policy(tenant.pk)["timezone"] == "Europe/Berlin"
    assert 'name="timezone" value="Europe/Berlin"' in client.get("/settings/").content.decode()
    response = client.post("/settings/", form_data(timezone="Berlin"))
    assert response.status_code == 422
    assert "&#x27;Berlin&#x27; is not a known IANA time zone" in response.content.decode()
    assert tenant_policy(tenant.pk)["timezone"] == "Europe/Berlin"
    assert client.post("/settings/", form_data(timezone="")).status_code == 302  # empty: back to UTC
    assert tenant_policy(tenant.pk)["timezone"] == "UTC"
