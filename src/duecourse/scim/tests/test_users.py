"""SCIM Users: the mapping to a person, list/filter/pagination, POST, PUT, PATCH forms, DELETE (the leaver)."""

import pytest

from duecourse.core.models import AuditEvent
from duecourse.people.models import Person
from duecourse.testing.factories import org_unit
from duecourse.testing.scim import ENTERPRISE, ERROR, USER, new_user

pytestmark = pytest.mark.django_db


def create(scim, user_name="ann@acme.test", **extra):
    response = scim.post("Users", new_user(user_name, **extra))
    assert response.status_code == 201, response.content
    return response.json()


class TestCreateAndRead:
    def test_post_maps_every_attribute_to_the_person(self, scim, admin):
        body = create(
            scim,
            "Ann.Smith@ACME.test",
            externalId="e-1",
            name={"givenName": "Ann", "familyName": "Smith"},
            title="Nurse",
            timezone="Europe/Rome",
            locale="it",
            **{ENTERPRISE: {"department": "Ward 1", "employeeNumber": "77", "manager": {"value": str(admin.pk)}}},
        )
        person = Person.objects.get(pk=body["id"])
        assert (person.email, person.name, person.external_id, person.job_title) == (
            "ann.smith@acme.test",
            "Ann Smith",
            "e-1",
            "Nurse",
        )
        assert (person.department.name, person.manager_id, person.timezone, person.locale) == (
            "Ward 1",
            admin.pk,
            "Europe/Rome",
            "it",
        )
        assert body["userName"] == "ann.smith@acme.test"
        assert body[ENTERPRISE] == {
            "employeeNumber": "77",
            "department": "Ward 1",
            "manager": {"value": str(admin.pk), "$ref": f"http://127.0.0.1:8000/scim/v2/Users/{admin.pk}"},
        }
        assert body["meta"]["location"] == f"http://127.0.0.1:8000/scim/v2/Users/{person.pk}"
        assert body["meta"]["resourceType"] == "User" and body["meta"]["created"] and body["meta"]["lastModified"]

    def test_created_answers_201_with_location_and_scim_content_type(self, scim):
        response = scim.post("Users", new_user("bo@acme.test", displayName="Bo"))
        assert response.status_code == 201
        assert response["Content-Type"] == "application/scim+json"
        assert response["Location"] == response.json()["meta"]["location"]
        assert scim.get(response["Location"].split("/scim/v2/")[1]).json()["displayName"] == "Bo"

    def test_plain_json_is_accepted_too(self, scim):
        assert scim.post("Users", new_user("js@acme.test"), content_type="application/json").status_code == 201

    def test_a_directory_time_zone_duecourse_does_not_know_is_kept_but_does_not_change_the_person(self, scim):
        body = create(scim, timezone="Pacific Standard Time", locale="en-US")
        person = Person.objects.get(pk=body["id"])
        assert (person.timezone, person.locale) == ("UTC", "en-US")
        assert body["timezone"] == "Pacific Standard Time"

    def test_a_zone_changed_in_duecourse_shows_as_it_is_now(self, scim, learner, admin):
        from duecourse.people.inputs import PersonInput
        from duecourse.people.services import person_update

        body = create(scim, timezone="Europe/Rome")
        person_update(actor=admin, person=Person.objects.get(pk=body["id"]), data=PersonInput(timezone="Asia/Tokyo"))
        assert scim.get(f"Users/{body['id']}").json()["timezone"] == "Asia/Tokyo"

    def test_people_made_in_duecourse_show_their_login_email_as_work_email(self, scim, learner):
        body = scim.get(f"Users/{learner.pk}").json()
        assert body["emails"] == [{"value": learner.email, "type": "work", "primary": True}]
        assert body["displayName"] == learner.name


class TestUniquenessAndBadInput:
    def test_a_user_name_or_external_id_in_use_is_409_uniqueness(self, scim, learner):
        create(scim, "a@acme.test", externalId="x1")
        for clash in (new_user(learner.email.upper()), new_user("b@acme.test", externalId="x1")):
            response = scim.post("Users", clash)
            assert response.status_code == 409, response.content
            assert response.json()["scimType"] == "uniqueness"
        assert Person.objects.filter(email="b@acme.test").count() == 0

    @pytest.mark.parametrize(
        ("extra", "attribute"),
        [
            ({"userName": "not an email"}, "userName"),
            ({"title": "x" * 201}, "title"),
            ({ENTERPRISE: {"manager": {"value": "999999"}}}, f"{ENTERPRISE}:manager.value"),
            ({ENTERPRISE: {"manager": {"value": "boss"}}}, f"{ENTERPRISE}:manager.value"),
        ],
    )
    def test_bad_input_is_400_naming_the_attribute_and_changes_nothing(self, scim, extra, attribute):
        before = Person.objects.count()
        response = scim.post("Users", {**new_user("c@acme.test"), **extra})
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["schemas"] == [ERROR] and body["status"] == "400" and body["scimType"] == "invalidValue"
        assert attribute in body["detail"]
        assert Person.objects.count() == before

    def test_a_body_that_is_not_a_user_is_400(self, scim):
        for body in ([1, 2], {"schemas": [USER]}, {"schemas": [USER], "userName": "d@acme.test", "active": "maybe"}):
            response = scim.post("Users", body)
            assert response.status_code == 400, (body, response.content)
            assert response.json()["schemas"] == [ERROR]
        response = scim.client.post(
            "/scim/v2/Users", "{not json", content_type="application/scim+json", headers=scim.headers
        )
        assert response.status_code == 400 and response.json()["scimType"] == "invalidSyntax"


class TestListAndFilter:
    @pytest.fixture
    def people(self, scim):
        return [
            create(scim, "amy@acme.test", externalId="E-1", emails=[{"value": "amy@acme.test", "type": "work"}]),
            create(scim, "ben@acme.test", externalId="E-2"),
            create(scim, "cat@acme.test", externalId="E-3"),
        ]

    @pytest.mark.parametrize(
        ("expression", "names"),
        [
            ('userName eq "AMY@acme.test"', ["amy@acme.test"]),
            ('externalId eq "E-2"', ["ben@acme.test"]),
            ('emails[type eq "work"].value eq "cat@acme.test"', ["cat@acme.test"]),
            ('userName eq "amy@acme.test" or externalId eq "E-3"', ["amy@acme.test", "cat@acme.test"]),
            ('userName eq "amy@acme.test" and externalId eq "E-3"', []),
            ('externalId eq "e-2"', []),  # caseExact
        ],
    )
    def test_filters(self, scim, people, expression, names):
        body = scim.get("Users", filter=expression).json()
        assert [r["userName"] for r in body["Resources"]] == names
        assert body["totalResults"] == len(names)

    def test_a_nul_character_matches_nothing(self, scim, people):
        response = scim.get("Users", filter='userName eq "amy\u0000@acme.test"')
        assert response.status_code in (200, 400), response.content
        assert response.json().get("totalResults", 0) == 0

    def test_id_filter(self, scim, people):
        body = scim.get("Users", filter=f'id eq "{people[1]["id"]}"').json()
        assert [r["userName"] for r in body["Resources"]] == ["ben@acme.test"]

    @pytest.mark.parametrize(
        "expression", ['userName co "a"', "title pr", 'name.givenName eq "x"', "userName eq", 'not (userName eq "a")']
    )
    def test_unsupported_or_broken_filters_are_400_invalid_filter(self, scim, people, expression):
        response = scim.get("Users", filter=expression)
        assert response.status_code == 400, response.content
        assert response.json()["scimType"] == "invalidFilter"

    def test_pagination_is_one_based_with_a_total(self, scim, people, admin):
        everyone = scim.get("Users").json()
        assert everyone["totalResults"] == 4 and everyone["startIndex"] == 1  # the admin too
        page = scim.get("Users", startIndex="2", count="2").json()
        assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (4, 2, 2)
        assert [r["id"] for r in page["Resources"]] == [r["id"] for r in everyone["Resources"][1:3]]
        counted = scim.get("Users", count="0").json()
        assert (counted["totalResults"], counted["itemsPerPage"], counted.get("Resources", [])) == (4, 0, [])
        assert scim.get("Users", count="many").status_code == 400

    def test_a_list_is_a_fixed_number_of_queries(
        self, scim, people, django_assert_max_num_queries, make_person, tenant
    ):
        for i in range(20):
            make_person(tenant, manager_id=people[0]["id"], department=org_unit(tenant, "department", f"D{i}"))
        with django_assert_max_num_queries(6):
            body = scim.get("Users", count="50").json()
        assert len(body["Resources"]) == 24


class TestPatch:
    def test_entra_forms(self, scim, admin):
        user = create(scim, name={"givenName": "Ann", "familyName": "Old"})
        ops = [
            {"op": "Replace", "path": "name.givenName", "value": "Anna"},
            {"op": "Replace", "path": "name.familyName", "value": "New"},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "anna@acme.test"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Ward 2"},
            {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(admin.pk)}},
            {"op": "Replace", "path": "active", "value": "False"},
        ]
        body = scim.patch(f"Users/{user['id']}", *ops).json()
        person = Person.objects.get(pk=user["id"])
        assert (person.name, person.department.name, person.manager_id, person.active) == (
            "Anna New",
            "Ward 2",
            admin.pk,
            False,
        )
        assert body["emails"] == [{"value": "anna@acme.test", "type": "work"}]
        assert (
            scim.patch(f"Users/{user['id']}", {"op": "Replace", "path": "active", "value": "True"}).json()["active"]
            is True
        )
        person.refresh_from_db()
        assert person.active and person.deactivated_at is None

    def test_without_a_path_with_enterprise_attributes_by_urn(self, scim, admin):
        user = create(scim)
        body = scim.patch(
            f"Users/{user['id']}",
            {
                "op": "replace",
                "value": {
                    "displayName": "Ann Smith",
                    "title": "Sister",
                    f"{ENTERPRISE}:employeeNumber": "12",
                    ENTERPRISE: {"department": "ICU"},
                },
            },
        ).json()
        person = Person.objects.get(pk=user["id"])
        assert (person.name, person.job_title, person.department.name) == ("Ann Smith", "Sister", "ICU")
        assert body[ENTERPRISE]["employeeNumber"] == "12"

    def test_remove_manager_and_title(self, scim, admin):
        user = create(scim, title="Nurse", **{ENTERPRISE: {"manager": {"value": str(admin.pk)}}})
        scim.patch(
            f"Users/{user['id']}", {"op": "Remove", "path": f"{ENTERPRISE}:manager"}, {"op": "remove", "path": "title"}
        )
        person = Person.objects.get(pk=user["id"])
        assert (person.manager_id, person.job_title) == (None, "")

    def test_a_manager_named_by_email_as_okta_may_send_it(self, scim, admin):
        user = create(scim, **{ENTERPRISE: {"manager": {"value": admin.email.upper()}}})
        assert Person.objects.get(pk=user["id"]).manager_id == admin.pk
        assert user[ENTERPRISE]["manager"]["value"] == str(admin.pk)
        response = scim.patch(
            f"Users/{user['id']}", {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": "nobody@acme.test"}
        )
        assert response.status_code == 400 and f"{ENTERPRISE}:manager.value" in response.json()["detail"]

    def test_a_manager_cycle_is_refused_and_nothing_changes(self, scim):
        boss = create(scim, "boss@acme.test")
        worker = create(scim, "w@acme.test", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
        response = scim.patch(
            f"Users/{boss['id']}",
            {"op": "replace", "path": "title", "value": "CEO"},
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": worker["id"]}},
        )
        assert response.status_code == 400 and "manager.value" in response.json()["detail"]
        boss_person = Person.objects.get(pk=boss["id"])
        assert (boss_person.manager_id, boss_person.job_title) == (None, "")

    @pytest.mark.parametrize(
        ("operation", "scim_type"),
        [
            ({"op": "jump", "path": "title", "value": "x"}, "invalidValue"),
            ({"op": "remove"}, "noTarget"),
            ({"op": "replace", "path": "active", "value": "perhaps"}, "invalidValue"),
            ({"op": "replace", "path": "userName", "value": "nope"}, "invalidValue"),
        ],
    )
    def test_bad_operations_are_400(self, scim, operation, scim_type):
        user = create(scim)
        response = scim.patch(f"Users/{user['id']}", operation)
        assert response.status_code == 400, response.content
        assert response.json()["scimType"] == scim_type
        assert Person.objects.get(pk=user["id"]).email == "ann@acme.test"

    def test_a_patch_that_changes_nothing_writes_no_audit_entry(self, scim):
        user = create(scim, title="Nurse")
        count = AuditEvent.objects.count()
        scim.patch(f"Users/{user['id']}", {"op": "replace", "path": "title", "value": "Nurse"})
        assert AuditEvent.objects.count() == count


class TestReplace:
    def test_put_replaces_and_clears_what_is_left_out(self, scim, admin):
        user = create(scim, title="Nurse", externalId="e9", **{ENTERPRISE: {"department": "Ward 1"}})
        response = scim.put(f"Users/{user['id']}", new_user("ann@acme.test", displayName="Ann Replaced"))
        assert response.status_code == 200, response.content
        person = Person.objects.get(pk=user["id"])
        assert (person.name, person.job_title, person.external_id, person.department_id) == (
            "Ann Replaced",
            "",
            None,
            None,
        )


class TestDelete:
    def test_delete_deactivates_keeps_history_and_hides_the_user(self, scim):
        user = create(scim, "leaver@acme.test")
        assert scim.delete(f"Users/{user['id']}").status_code == 204
        person = Person.objects.get(pk=user["id"])
        assert not person.active and person.deactivated_at is not None
        assert scim.get(f"Users/{user['id']}").status_code == 404
        assert scim.patch(f"Users/{user['id']}", {"op": "replace", "path": "title", "value": "x"}).status_code == 404
        assert scim.delete(f"Users/{user['id']}").status_code == 404
        assert scim.get("Users", filter='userName eq "leaver@acme.test"').json()["totalResults"] == 0
        assert user["id"] not in [r["id"] for r in scim.get("Users").json()["Resources"]]

    def test_a_deleted_user_created_again_is_the_same_person_back(self, scim):
        user = create(scim, "rehire@acme.test")
        scim.delete(f"Users/{user['id']}")
        again = create(scim, "rehire@acme.test", displayName="Back Again")
        assert again["id"] == user["id"] and again["active"] is True
        assert Person.objects.get(pk=user["id"]).name == "Back Again"


class TestAdmins:
    """A SCIM token cannot take an organisation's admin over or lock the organisation out (review 13 #9)."""

    def test_the_last_active_admin_is_neither_deactivated_nor_deleted(self, scim, admin):
        for response in (
            scim.patch(f"Users/{admin.pk}", {"op": "replace", "path": "active", "value": False}),
            scim.put(f"Users/{admin.pk}", {"schemas": [USER], "userName": admin.email, "active": False}),
            scim.delete(f"Users/{admin.pk}"),
        ):
            assert response.status_code == 400, response.content
            body = response.json()
            assert body["scimType"] == "invalidValue" and "last active admin" in body["detail"]
            assert body["detail"].startswith("active")
        admin.refresh_from_db()
        assert admin.active and scim.get(f"Users/{admin.pk}").status_code == 200

    def test_an_admin_with_another_admin_beside_is_deactivated(self, scim, admin, tenant, make_person):
        make_person(tenant, roles=["admin"])
        assert scim.delete(f"Users/{admin.pk}").status_code == 204
        admin.refresh_from_db()
        assert not admin.active

    @pytest.mark.parametrize("role", ["admin", "hr", "instructor"])
    def test_the_email_of_a_role_holder_is_not_changed_by_scim(self, scim, tenant, make_person, role):
        holder = make_person(tenant, email=f"{role}.holder@acme.test", roles=[role])
        for response in (
            scim.patch(f"Users/{holder.pk}", {"op": "replace", "path": "userName", "value": "evil@attacker.test"}),
            scim.put(f"Users/{holder.pk}", {"schemas": [USER], "userName": "evil@attacker.test"}),
        ):
            assert response.status_code == 400, response.content
            assert response.json()["detail"].startswith("userName") and "role" in response.json()["detail"]
        holder.refresh_from_db()
        assert holder.email == f"{role}.holder@acme.test"

    def test_a_learners_email_follows_the_identity_provider(self, scim, learner):
        response = scim.patch(f"Users/{learner.pk}", {"op": "replace", "path": "userName", "value": "new@acme.test"})
        assert response.status_code == 200, response.content
        learner.refresh_from_db()
        assert learner.email == "new@acme.test"
