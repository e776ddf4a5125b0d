"""`managers_assign_down_the_line`: off by default; an admin turns it on by the API or the settings page; then
a manager may assign to, remind and extend for indirect reports too, and not before."""

import re

import pytest
import time_machine
from django.utils import translation

from duecourse.core.models import Tenant
from duecourse.policy.services import tenant_policy
from duecourse.policy.tests.test_views import form_data
from duecourse.testing.factories import assign, make_course, target
from duecourse.testing.scheduling import utc

pytestmark = pytest.mark.usefixtures("api_without_static_files")
NOW = utc("2026-06-15T09:00")


@pytest.fixture
def tree(tenant, make_person, admin):
    boss = make_person(tenant, name="Bea Boss")
    mid = make_person(tenant, name="Max Middle", manager=boss)
    deep = make_person(tenant, name="Dee Deep", manager=mid)
    stranger = make_person(tenant, name="Sam Stranger")
    with time_machine.travel(utc("2026-04-01T09:00"), tick=False):
        item = assign(admin, deep, make_course(tenant), due_date="2026-05-01")
    return {"boss": boss, "mid": mid, "deep": deep, "stranger": stranger, "item": item}


def test_off_by_default_on_and_back_by_the_api(admin_api, tenant):
    settings = admin_api.get("settings").json()
    assert settings["managers_assign_down_the_line"] is False
    assert "managers_assign_down_the_line" in settings["defaults"]
    on = admin_api.patch("settings", {"managers_assign_down_the_line": True})
    assert on.status_code == 200, on.content
    assert on.json()["managers_assign_down_the_line"] is True
    assert "managers_assign_down_the_line" not in on.json()["defaults"]
    tenant.refresh_from_db()
    assert tenant.settings["managers_assign_down_the_line"] is True
    off = admin_api.patch("settings", {"managers_assign_down_the_line": False}).json()
    assert off["managers_assign_down_the_line"] is False and "managers_assign_down_the_line" in off["defaults"]
    tenant.refresh_from_db()
    assert "managers_assign_down_the_line" not in tenant.settings


def test_a_bad_value_is_422_naming_the_setting(admin_api, api_as, tree):
    response = admin_api.patch("settings", {"managers_assign_down_the_line": "sometimes"})
    assert response.status_code == 422 and "managers_assign_down_the_line" in str(response.json())
    assert api_as(tree["boss"]).patch("settings", {"managers_assign_down_the_line": True}).status_code == 403


def checkbox(html: str) -> str:
    return re.search(r'<input type="checkbox" name="managers_assign_down_the_line"[^>]*>', html).group(0)


def test_the_settings_page_shows_and_saves_it(admin, tenant, signed_in):
    client = signed_in(admin)
    html = client.get("/settings/").content.decode()
    assert 'name="managers_assign_down_the_line"' in html and "Managers may assign down the line" in html
    assert "checked" not in checkbox(html)
    assert client.post("/settings/", form_data(managers_assign_down_the_line="on")).status_code == 302
    assert tenant_policy(tenant.pk)["managers_assign_down_the_line"] is True
    assert "checked" in checkbox(client.get("/settings/").content.decode())
    assert client.post("/settings/", form_data()).status_code == 302  # unticked: back to the default
    assert tenant_policy(tenant.pk)["managers_assign_down_the_line"] is False


def test_a_manager_assigns_down_the_line_only_when_it_is_on(api_as, tenant, tree):
    client = api_as(tree["boss"])
    course = make_course(tenant)
    body = {"person_id": tree["deep"].pk, "target": target(course)}
    refused = client.post("assignments", body)
    # Off: the indirect report is not the manager's to assign to, nor to see (people.permissions): 404 as
    # for anyone else the manager may not see.
    assert refused.status_code == 404, refused.content
    assert client.post("assignments", {**body, "person_id": tree["mid"].pk}).status_code == 201  # direct: as ever

    Tenant.objects.filter(pk=tenant.pk).update(settings={"managers_assign_down_the_line": True})
    created = api_as(tree["boss"]).post("assignments", body)
    assert created.status_code == 201, created.content
    extended = api_as(tree["boss"]).patch(f"assignments/{created.json()['id']}", {"due_date": "2026-12-31"})
    assert extended.status_code == 200, extended.content
    # Still nobody outside the sub-tree, nor upwards.
    stranger = api_as(tree["boss"]).post("assignments", {**body, "person_id": tree["stranger"].pk})
    assert stranger.status_code in (403, 404)
    assert api_as(tree["mid"]).post("assignments", {**body, "person_id": tree["boss"].pk}).status_code in (403, 404)


def test_remind_and_extend_follow_the_setting(api_as, tenant, tree):
    item = tree["item"].pk
    with time_machine.travel(NOW, tick=False):
        assert api_as(tree["boss"]).post(f"assignments/{item}/remind").status_code in (403, 404)
        extend = {"action": "extend", "ids": [item], "due_date": "2026-07-31", "reason": "Leave"}
        assert api_as(tree["boss"]).post("assignments/actions", extend).json()["done"] == 0
        Tenant.objects.filter(pk=tenant.pk).update(settings={"managers_assign_down_the_line": True})
        assert api_as(tree["boss"]).post(f"assignments/{item}/remind").status_code == 202
        listed = api_as(tree["boss"]).get("assignments", {"manager_id": tree["boss"].pk, "scope": "subtree"})
        assert item in {i["id"] for i in listed.json()["items"]}


@pytest.fixture
def english_after():
    """The test client leaves the last language active in this thread: English again for later tests."""
    yield
    translation.deactivate()


def test_the_settings_page_speaks_italian_and_german(admin, signed_in, english_after):
    client = signed_in(admin)
    for locale, heading, label in (
        ("it", "Impostazioni dell'organizzazione", "I responsabili possono assegnare lungo tutta la linea"),
        ("de", "Einstellungen der Organisation", "Führungskräfte dürfen über alle Ebenen zuweisen"),
    ):
        type(admin).objects.filter(pk=admin.pk).update(locale=locale)  # not save(): it keeps the sign-in link
        html = client.get("/settings/").content.decode()
        assert f"<h1>{heading}</h1>" in html.replace("&#x27;", "'") and label in html, locale
