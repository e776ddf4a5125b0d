"""An admin cannot lock themself out: no removing their own admin role, no deactivating themself,
by an edit or by an import. Another admin can."""

import pytest

from duecourse.people.models import Person

pytestmark = pytest.mark.usefixtures("api_without_static_files")


def test_an_admin_cannot_drop_their_own_admin_role_or_deactivate_themself(admin, admin_api):
    response = admin_api.patch(f"people/{admin.pk}", {"roles": ["hr"]})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "roles",
        "message": "you cannot remove your own admin role; ask another admin",
    }
    response = admin_api.patch(f"people/{admin.pk}", {"active": False})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "active"
    admin.refresh_from_db()
    assert admin.is_admin and admin.active and not admin.is_hr
    # Their other fields and roles they add stay theirs to change.
    assert admin_api.patch(f"people/{admin.pk}", {"roles": ["admin", "hr"]}).status_code == 200


def test_another_admin_can(admin, api_as, tenant, make_person):
    second = make_person(tenant, roles=("admin",))
    assert api_as(second).patch(f"people/{admin.pk}", {"roles": ["hr"]}).status_code == 200
    admin.refresh_from_db()
    assert not admin.is_admin and admin.is_hr


def test_an_import_that_would_demote_the_importer_fails_that_row_and_keeps_the_rest(admin, admin_api):
    rows = [
        {"email": admin.email, "name": admin.name, "roles": ["instructor"]},
        {"email": "new.hire@acme.test", "name": "New Hire"},
    ]
    body = admin_api.post("people/import", {"rows": rows}).json()
    assert [f["row"] for f in body["failed"]] == [0]
    assert body["failed"][0]["errors"][0]["field"] == "roles"
    admin.refresh_from_db()
    assert admin.is_admin and not admin.is_instructor
    assert Person.objects.filter(email="new.hire@acme.test").exists()
    # Nor deactivated for being absent from a full sync that deactivates everyone else missing.
    sync = {"rows": [{"email": "other@acme.test", "name": "Other"}], "deactivate_missing": True}
    assert admin_api.post("people/import", sync).json()["deactivated"] == 1
    admin.refresh_from_db()
    assert admin.active
    assert not Person.objects.get(email="new.hire@acme.test").active
