"""The web UI's people pages, as a signed-in person sees them."""

import re

import pytest
from django.test import Client

from duecourse.core.models import AuditEvent
from duecourse.groups.inputs import GroupInput
from duecourse.groups.services import group_create
from duecourse.people.models import ApiToken, Person
from duecourse.people.services import person_set_password
from duecourse.testing.factories import org_unit
from duecourse.testing.web import PASSWORD, field_error, nav_labels


@pytest.fixture
def directory(tenant, make_person, admin):
    logistics, finance = org_unit(tenant, "department", "Logistics"), org_unit(tenant, "department", "Finance")
    leeds = org_unit(tenant, "site", "Leeds")
    boss = make_person(tenant, name="Mona Manager", email="mona@acme.test", department=logistics, job_title="Head")
    alice = make_person(
        tenant, name="Alice Driver", email="alice@acme.test", manager=boss, department=logistics, site=leeds
    )
    bob = make_person(tenant, name="Bob Ledger", email="bob@acme.test", department=finance, job_title="Accountant")
    gone = make_person(tenant, name="Gina Gone", email="gina@acme.test", department=finance, active=False)
    hr = make_person(tenant, roles=("hr",), name="Hana HR", email="hana@acme.test")
    return {"boss": boss, "alice": alice, "bob": bob, "gone": gone, "hr": hr}


# Sign in, sign out, navigation


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    response = Client().get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/people/")


def test_wrong_password_shows_an_error_and_a_right_one_signs_in(admin):
    person_set_password(person=admin, password=PASSWORD)
    client = Client()
    wrong = client.post("/login/", {"email": admin.email, "password": "nope"})
    assert wrong.status_code == 200
    assert "do not match an active account" in wrong.content.decode()
    right = client.post("/login/", {"email": admin.email.upper(), "password": PASSWORD, "next": "/people/"})
    assert right.status_code == 302 and right["Location"] == "/people/"
    assert "Welcome, Ada Admin" in client.get("/").content.decode()


def test_login_ignores_an_off_site_next_url(admin):
    person_set_password(person=admin, password=PASSWORD)
    response = Client().post("/login/", {"email": admin.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_logout_is_a_post_and_ends_the_session(admin, signed_in):
    client = signed_in(admin)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/", follow=True)
    assert "You are signed out." in response.content.decode()
    assert client.get("/").status_code == 302


def test_navigation_shows_only_the_pages_each_role_may_open(admin, directory, signed_in):
    learner = directory["bob"]
    assert nav_labels(signed_in(learner).get("/").content.decode()) == ["Home", "My learning", "Catalog"]
    assert nav_labels(signed_in(directory["boss"]).get("/").content.decode()) == [
        "Home",
        "My learning",
        "Team",
        "People",
        "Catalog",
        "Assign",
        "Certificates",
    ]
    assert nav_labels(signed_in(directory["hr"]).get("/").content.decode()) == [
        "Home",
        "My learning",
        "Team",
        "Compliance",
        "Mandatory tasks",
        "People",
        "Catalog",
        "Configurations",
        "Groups",
        "Certificates",
    ]
    assert nav_labels(signed_in(admin).get("/").content.decode()) == [
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


def test_home_shows_roles_and_the_managers_team(directory, signed_in):
    html = signed_in(directory["boss"]).get("/").content.decode()
    assert "Welcome, Mona Manager" in html
    assert 'class="chip chip-manager">Manager' in html
    assert re.search(r'<span class="stat-number">1</span> direct report\b', html)
    assert "Alice Driver" in html


def test_a_deactivated_persons_session_is_ended(directory, signed_in):
    client = signed_in(directory["bob"])
    Person.objects.filter(pk=directory["bob"].pk).update(active=False)
    assert client.get("/").status_code == 302


# Directory


def test_admin_directory_lists_active_people_by_default(admin, directory, signed_in):
    html = signed_in(admin).get("/people/").content.decode()
    for name in ("Ada Admin", "Alice Driver", "Bob Ledger", "Mona Manager"):
        assert name in html
    assert "Gina Gone" not in html
    assert "Gina Gone" in signed_in(admin).get("/people/", {"active": ""}).content.decode()


def test_directory_filters_and_search(admin, directory, signed_in):
    client = signed_in(admin)
    finance = client.get("/people/", {"department": "Finance", "active": ""}).content.decode()
    assert "Bob Ledger" in finance and "Gina Gone" in finance and "Alice Driver" not in finance
    leeds = client.get("/people/", {"site": "Leeds"}).content.decode()
    assert "Alice Driver" in leeds and "Bob Ledger" not in leeds
    searched = client.get("/people/", {"q": "ledg"}).content.decode()
    assert "Bob Ledger" in searched and "Alice Driver" not in searched
    by_manager = client.get("/people/", {"manager": directory["boss"].pk}).content.decode()
    assert "Alice Driver" in by_manager and "Bob Ledger" not in by_manager
    managers = client.get("/people/", {"role": "manager"}).content.decode()
    assert "Mona Manager" in re.search(r"<tbody>.*</tbody>", managers, re.S).group(0)
    assert "Bob Ledger" not in managers
    deactivated = client.get("/people/", {"active": "false"}).content.decode()
    assert "Gina Gone" in deactivated and "Bob Ledger" not in deactivated


def test_htmx_requests_get_only_the_results_and_an_updated_csv_link(admin, directory, signed_in):
    response = signed_in(admin).get("/people/", {"q": "alice", "site": "Leeds"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "Alice Driver" in html and "1 person" in html
    assert 'href="/api/v1/people?q=alice&amp;site=Leeds&amp;active=true&amp;format=csv"' in html


def test_csv_link_exports_the_filtered_people_with_the_session(admin, directory, signed_in):
    client = signed_in(admin)
    response = client.get("/api/v1/people", {"department": "Finance", "active": "true", "format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert "bob@acme.test" in body and "alice@acme.test" not in body


def test_directory_paginates(admin, tenant, make_person, signed_in):
    for i in range(30):
        make_person(tenant, name=f"Zed {i:02d}")
    client = signed_in(admin)
    first = client.get("/people/").content.decode()
    assert "1–25 of 31" in first and "Page 1 of 2" in first
    second = client.get("/people/", {"page": 2}).content.decode()
    assert "Zed 29" in second and "Zed 00" not in second


def test_a_manager_sees_only_themselves_and_their_reports(directory, signed_in):
    html = signed_in(directory["boss"]).get("/people/").content.decode()
    assert "Alice Driver" in html and "Mona Manager" in html
    assert "Bob Ledger" not in html and "Ada Admin" not in html


def test_the_directory_never_shows_another_tenant(admin, other_tenant, make_person, signed_in):
    make_person(other_tenant, name="Outsider Olga")
    assert "Outsider Olga" not in signed_in(admin).get("/people/", {"q": "Olga"}).content.decode()


# Person page


def test_person_page_shows_fields_manager_reports_and_groups(admin, directory, signed_in):
    group_create(actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[directory["alice"].pk]))
    client = signed_in(admin)
    alice = client.get(f"/people/{directory['alice'].pk}/").content.decode()
    assert "alice@acme.test" in alice and "Logistics" in alice and "Leeds" in alice
    assert f'href="/people/{directory["boss"].pk}/">Mona Manager</a>' in alice
    assert "Drivers" in alice
    boss = client.get(f"/people/{directory['boss'].pk}/").content.decode()
    assert re.search(r"Direct reports <span class=\"count\">1</span>", boss)
    assert "Alice Driver" in boss


def test_a_learner_cannot_open_another_persons_page(directory, signed_in):
    client = signed_in(directory["bob"])
    response = client.get(f"/people/{directory['alice'].pk}/")
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()
    assert client.get(f"/people/{directory['bob'].pk}/").status_code == 200


def test_a_manager_opens_a_report_but_not_a_stranger(directory, signed_in):
    client = signed_in(directory["boss"])
    assert client.get(f"/people/{directory['alice'].pk}/").status_code == 200
    assert client.get(f"/people/{directory['bob'].pk}/").status_code == 404


def test_another_tenants_person_is_not_found_even_for_an_admin(admin, other_tenant, make_person, signed_in):
    outsider = make_person(other_tenant)
    client = signed_in(admin)
    assert client.get(f"/people/{outsider.pk}/").status_code == 404
    assert client.get(f"/people/{outsider.pk}/edit/").status_code == 404
    assert client.post(f"/people/{outsider.pk}/active/", {"active": "false"}).status_code == 404
    assert Person.objects.get(pk=outsider.pk).active


def test_only_admins_see_the_edit_and_deactivate_actions(admin, directory, signed_in):
    hr_view = signed_in(directory["hr"]).get(f"/people/{directory['alice'].pk}/").content.decode()
    assert "Edit details" not in hr_view and "Deactivate" not in hr_view
    admin_view = signed_in(admin).get(f"/people/{directory['alice'].pk}/").content.decode()
    assert "Edit details" in admin_view and "Deactivate" in admin_view


def test_admin_edits_a_person(admin, directory, signed_in):
    client = signed_in(admin)
    alice = directory["alice"]
    form = client.get(f"/people/{alice.pk}/edit/").content.decode()
    assert 'value="alice@acme.test"' in form and 'value="mona@acme.test"' in form
    response = client.post(
        f"/people/{alice.pk}/edit/",
        {
            "name": "Alice Driver-Smith",
            "email": "alice@acme.test",
            "job_title": "Senior driver",
            "department": "Logistics",
            "site": "York",
            "manager_email": "",
            "hire_date": "2024-03-01",
            "timezone": "Europe/London",
            "locale": "en-GB",
            "roles": ["instructor"],
        },
        follow=True,
    )
    assert "Saved Alice Driver-Smith." in response.content.decode()
    alice.refresh_from_db()
    assert (alice.name, alice.site.name, alice.manager_id, alice.is_instructor) == (
        "Alice Driver-Smith",
        "York",
        None,
        True,
    )
    assert str(alice.hire_date) == "2024-03-01"
    assert AuditEvent.objects.filter(action="person.update", object_id=alice.pk, actor_id=admin.pk).exists()


def test_validation_errors_appear_beside_their_fields_and_change_nothing(admin, directory, signed_in):
    client = signed_in(admin)
    boss = directory["boss"]
    response = client.post(
        f"/people/{boss.pk}/edit/",
        {
            "name": "",
            "email": "bob@acme.test",
            "timezone": "Mars/Olympus",
            "manager_email": "alice@acme.test",
            "hire_date": "yesterday",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert field_error(html, "name") == "is required"
    assert "not a known IANA time zone" in field_error(html, "timezone")
    assert "not a date" in field_error(html, "hire_date")
    boss.refresh_from_db()
    assert boss.name == "Mona Manager" and boss.timezone == "UTC"


def test_a_manager_cycle_is_shown_beside_the_manager_field(admin, directory, signed_in):
    boss = directory["boss"]
    response = signed_in(admin).post(
        f"/people/{boss.pk}/edit/", {"name": boss.name, "email": boss.email, "manager_email": "alice@acme.test"}
    )
    assert "reporting cycle" in field_error(response.content.decode(), "manager_email")


def test_duplicate_email_is_shown_beside_the_email_field(admin, directory, signed_in):
    alice = directory["alice"]
    response = signed_in(admin).post(f"/people/{alice.pk}/edit/", {"name": alice.name, "email": "bob@acme.test"})
    assert "already used" in field_error(response.content.decode(), "email")


def test_non_admins_cannot_edit(directory, signed_in):
    client = signed_in(directory["boss"])
    alice = directory["alice"]
    response = client.post(f"/people/{alice.pk}/edit/", {"name": "Hacked", "email": alice.email})
    assert response.status_code == 403
    assert "permission" in response.content.decode()
    alice.refresh_from_db()
    assert alice.name == "Alice Driver"


def test_admin_deactivates_and_reactivates(admin, directory, signed_in):
    client = signed_in(admin)
    bob = directory["bob"]
    page = client.post(f"/people/{bob.pk}/active/", {"active": "false"}, follow=True).content.decode()
    assert "Bob Ledger is deactivated." in page and "Reactivate" in page
    bob.refresh_from_db()
    assert not bob.active and bob.deactivated_at
    client.post(f"/people/{bob.pk}/active/", {"active": "true"})
    bob.refresh_from_db()
    assert bob.active


def test_a_person_creates_their_own_api_token_and_sees_it_once(directory, signed_in):
    bob = directory["bob"]
    client = signed_in(bob)
    response = client.post(f"/people/{bob.pk}/tokens/", {"name": "My script"})
    html = response.content.decode()
    token = re.search(r'<code id="new-token">(dc_[^<]+)</code>', html).group(1)
    assert ApiToken.objects.filter(person=bob, name="My script").count() == 1
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    again = client.get(f"/people/{bob.pk}/").content.decode()
    assert token not in again and "My script" in again


def test_admin_creates_and_revokes_a_token_for_someone_else(admin, directory, signed_in):
    client = signed_in(admin)
    alice = directory["alice"]
    assert "new-token" in client.post(f"/people/{alice.pk}/tokens/", {"name": "LMS"}).content.decode()
    token = ApiToken.objects.get(person=alice)
    client.post(f"/people/{alice.pk}/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_manager_cannot_create_a_token_for_a_report(directory, signed_in):
    client = signed_in(directory["boss"])
    alice = directory["alice"]
    assert "Create API token" not in client.get(f"/people/{alice.pk}/").content.decode()
    assert client.post(f"/people/{alice.pk}/tokens/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.filter(person=alice).exists()


# Audit log and error pages


def test_audit_log_is_for_admins(admin, directory, signed_in):
    signed_in(admin).post(f"/people/{directory['bob'].pk}/active/", {"active": "false"})
    html = signed_in(admin).get("/audit/").content.decode()
    assert "person.update" in html and "Ada Admin" in html
    response = signed_in(directory["hr"]).get("/audit/")
    assert response.status_code == 403
    assert "You don’t have permission" in response.content.decode()


def test_unknown_urls_show_the_404_page(admin, signed_in):
    response = signed_in(admin).get("/people/999999999/")
    assert response.status_code == 404
    assert "Back to home" in response.content.decode()


def test_deactivating_yourself_on_the_page_is_refused_with_a_message_not_a_500(admin, signed_in):
    response = signed_in(admin).post(f"/people/{admin.pk}/active/", {"active": "false"})
    assert response.status_code == 422
    assert 'class="flash flash-error"' in response.content.decode()
    admin.refresh_from_db()
    assert admin.active
