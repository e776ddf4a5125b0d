"""People import through the API (JSON rows and CSV bodies) and through people_import itself."""

import pytest

from duecourse.core.models import AuditEvent
from duecourse.groups.models import Group, GroupMember
from duecourse.people.imports import people_import
from duecourse.people.models import OrgUnit, Person

pytestmark = pytest.mark.usefixtures("api_without_static_files")

HEADER = "external_id,email,name,manager_email,department,site,job_title,hire_date,timezone,active,roles\n"
COMPANY_CSV = HEADER + (
    "E1,lena@acme.test,Lena Lead,,Logistics,Leeds,Head of logistics,2020-03-01,Europe/London,true,\n"
    "E2,dave@acme.test,Dave Driver,lena@acme.test,Logistics,Leeds,Driver,2026-02-01,Europe/London,true,\n"
    "E3,sam@acme.test,Sam Seller,,Sales,York,Seller,2021-06-01,Europe/Rome,true,instructor\n"
)


def import_csv(client, text: str, **flags):
    query = "&".join(f"{k}={'true' if v else 'false'}" for k, v in flags.items())
    return client.post(f"people/import{'?' + query if query else ''}", text, content_type="text/csv")


def counts(body: dict) -> tuple[int, int, int, int, int]:
    return body["created"], body["updated"], body["unchanged"], body["deactivated"], len(body["failed"])


def directory_state(tenant) -> list[tuple]:
    return list(
        Person.objects.filter(tenant=tenant)
        .order_by("email")
        .values_list("email", "name", "external_id", "manager_id", "department_id", "active", "is_instructor")
    )


# --- CSV body -----------------------------------------------------------------------------------


def test_csv_import_creates_people_with_managers_and_org_units(admin_api, tenant):
    response = import_csv(admin_api, COMPANY_CSV)

    assert response.status_code == 200, response.content
    assert counts(response.json()) == (3, 0, 0, 0, 0)
    dave = Person.objects.get(tenant=tenant, email="dave@acme.test")
    assert dave.manager.email == "lena@acme.test"
    assert dave.department.name == "Logistics"
    assert str(dave.hire_date) == "2026-02-01"
    assert Person.objects.get(email="sam@acme.test").is_instructor
    assert set(OrgUnit.objects.filter(tenant=tenant, kind="department").values_list("name", flat=True)) == {
        "Logistics",
        "Sales",
    }


def test_a_second_identical_import_changes_nothing(admin_api, tenant):
    import_csv(admin_api, COMPANY_CSV)
    before = list(Person.objects.filter(tenant=tenant).order_by("id").values())
    audit_count = AuditEvent.objects.filter(tenant=tenant).count()

    response = import_csv(admin_api, COMPANY_CSV)

    assert counts(response.json()) == (0, 0, 3, 0, 0)
    assert list(Person.objects.filter(tenant=tenant).order_by("id").values()) == before  # updated_at too
    assert AuditEvent.objects.filter(tenant=tenant).count() == audit_count


def test_rows_are_keyed_by_external_id_then_email(admin_api, tenant):
    import_csv(admin_api, COMPANY_CSV)
    lena_id = Person.objects.get(email="lena@acme.test").pk

    # E1 changed email: same person. A row without external_id is matched by email.
    response = import_csv(
        admin_api,
        "external_id,email,name\nE1,lena.lead@acme.test,Lena Lead\n,SAM@acme.test,Samuel Seller\n",
    )

    assert counts(response.json()) == (0, 2, 0, 0, 0)
    assert Person.objects.get(pk=lena_id).email == "lena.lead@acme.test"
    assert Person.objects.get(email="sam@acme.test").name == "Samuel Seller"
    assert Person.objects.filter(tenant=tenant).count() == 4  # the admin and the three


def test_dry_run_reports_the_counts_of_the_real_run_and_writes_nothing(admin_api, tenant):
    import_csv(admin_api, COMPANY_CSV)
    change = (
        COMPANY_CSV.replace("Dave Driver", "David Driver")
        + "E4,nina@acme.test,Nina New,dave@acme.test,Logistics,Leeds,Driver,,UTC,true,\n"
        + "E5,bad-email,Broken,,,,,,,true,\n"
    )
    state = directory_state(tenant)

    dry = import_csv(admin_api, change, dry_run=True, deactivate_missing=True).json()

    assert dry["dry_run"] is True
    assert directory_state(tenant) == state
    assert not OrgUnit.objects.filter(name="Nina's team").exists()
    real = import_csv(admin_api, change, deactivate_missing=True).json()
    assert real["dry_run"] is False
    assert counts(dry) == counts(real) == (1, 1, 2, 0, 1)
    assert dry["failed"] == real["failed"]
    assert Person.objects.get(email="nina@acme.test").manager.email == "dave@acme.test"


def test_deactivate_missing_keeps_history_and_never_the_importing_admin(admin_api, admin, tenant):
    import_csv(admin_api, COMPANY_CSV)
    sam = Person.objects.get(email="sam@acme.test")

    response = import_csv(admin_api, HEADER + COMPANY_CSV.splitlines(keepends=True)[1], deactivate_missing=True)

    assert counts(response.json()) == (0, 0, 1, 2, 0)
    sam.refresh_from_db()
    assert sam.active is False and sam.deactivated_at is not None
    assert Person.objects.filter(tenant=tenant).count() == 4  # nobody deleted
    admin.refresh_from_db()
    assert admin.active is True


def test_deactivate_missing_only_touches_the_callers_tenant(admin_api, other_tenant, make_person):
    outsider = make_person(other_tenant)

    import_csv(admin_api, COMPANY_CSV, deactivate_missing=True)

    outsider.refresh_from_db()
    assert outsider.active is True


def test_a_bad_row_fails_alone_with_its_index_and_field(admin_api, tenant):
    text = HEADER + (
        "E1,lena@acme.test,Lena,,,,,,UTC,true,\n"
        "E2,not-an-email,Bad Email,,,,,,UTC,true,\n"
        "E3,tz@acme.test,Bad Zone,,,,,,Moon/Base,true,\n"
        "E4,date@acme.test,Bad Date,,,,,2026-13-01,UTC,true,\n"
        "E5,boss@acme.test,No Boss,ghost@acme.test,,,,,UTC,true,\n"
        "E6,LENA@acme.test,Duplicate,,,,,,UTC,true,\n"
        "E7,ok@acme.test,Fine,lena@acme.test,,,,,UTC,true,\n"
    )

    body = import_csv(admin_api, text).json()

    assert counts(body) == (2, 0, 0, 0, 5)
    failures = {f["row"]: [e["field"] for e in f["errors"]] for f in body["failed"]}
    assert failures == {1: ["email"], 2: ["timezone"], 3: ["hire_date"], 4: ["manager_email"], 5: ["email"]}
    assert set(Person.objects.filter(tenant=tenant).values_list("email", flat=True)) == {
        "admin@acme.test",
        "lena@acme.test",
        "ok@acme.test",
    }


def test_a_reporting_cycle_inside_the_file_fails_the_closing_row(admin_api, tenant):
    text = "email,name,manager_email\na@acme.test,A,b@acme.test\nb@acme.test,B,a@acme.test\nc@acme.test,C,c@acme.test\n"

    body = import_csv(admin_api, text).json()

    assert {f["row"] for f in body["failed"]} == {1, 2}
    assert all(f["errors"][0]["field"] == "manager_email" for f in body["failed"])
    a = Person.objects.get(tenant=tenant, email="a@acme.test")
    assert a.manager_id is None  # b was not written, so a keeps no dangling manager


def test_unknown_columns_fail_the_whole_file(admin_api):
    response = import_csv(admin_api, "email,name,salary\nx@acme.test,X,100\n")

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["salary"]
    assert not Person.objects.filter(email="x@acme.test").exists()


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"email,name\nx@acme.test,\xff\xfe broken\n", "file"),
        (b"\n", "file"),
        (b"email,name\x00\n", "file"),
        (b"name\nX\n", "email"),
    ],
)
def test_unreadable_csv_is_422(admin_api, content, field):
    response = admin_api.post("people/import", content, content_type="text/csv")

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_row_with_more_cells_than_columns_fails_alone(admin_api):
    body = import_csv(admin_api, 'email,name\nx@acme.test,X,surplus\ny@acme.test,"Y"\n').json()

    assert counts(body) == (1, 0, 0, 0, 1)
    assert body["failed"][0]["row"] == 0


def test_csv_with_a_byte_order_mark_and_quoted_cells(admin_api):
    text = '\ufeffemail,name,job_title\nq@acme.test,"Quinn, Q.","Driver ""senior"""\n'

    assert counts(import_csv(admin_api, text).json()) == (1, 0, 0, 0, 0)
    person = Person.objects.get(email="q@acme.test")
    assert (person.name, person.job_title) == ("Quinn, Q.", 'Driver "senior"')


def test_oversized_body_is_413_and_writes_nothing(admin_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = import_csv(admin_api, HEADER + "E9,big@acme.test,Big,,,,,,UTC,true,\n" * 40)

    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert not Person.objects.filter(email="big@acme.test").exists()


def test_bad_query_flag_is_422(admin_api):
    response = admin_api.post("people/import?dry_run=perhaps", "email,name\n", content_type="text/csv")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dry_run"


# --- JSON rows ----------------------------------------------------------------------------------


def test_json_rows_import(admin_api, admin):
    response = admin_api.post(
        "people/import",
        {
            "rows": [
                {"email": "a@acme.test", "name": "A", "department": "Ops", "roles": ["hr"]},
                {"email": "b@acme.test", "name": "B", "manager_email": "a@acme.test", "hire_date": "2026-05-01"},
                {"email": "c@acme.test", "name": "C", "manager_id": admin.pk},
            ],
            "dry_run": False,
        },
    )

    assert response.status_code == 200, response.content
    assert counts(response.json()) == (3, 0, 0, 0, 0)
    assert Person.objects.get(email="b@acme.test").manager.email == "a@acme.test"
    assert Person.objects.get(email="c@acme.test").manager_id == admin.pk
    assert Person.objects.get(email="a@acme.test").is_hr


def test_json_row_errors_name_row_and_field(admin_api):
    body = admin_api.post(
        "people/import",
        {"rows": [{"email": "ok@acme.test", "name": "Ok"}, {"email": "x@acme.test", "name": "X", "shoe": 4}, "row"]},
    ).json()

    assert counts(body) == (1, 0, 0, 0, 2)
    assert body["failed"][0] == {"row": 1, "errors": [{"field": "shoe", "message": "is not a person field"}]}
    assert body["failed"][1]["row"] == 2


def test_a_partial_json_row_keeps_the_fields_it_does_not_carry(admin_api):
    admin_api.post("people", {"email": "p@acme.test", "name": "P", "department": "Ops", "timezone": "Asia/Tokyo"})

    body = admin_api.post("people/import", {"rows": [{"email": "p@acme.test", "name": "Pat"}]}).json()

    assert counts(body) == (0, 1, 0, 0, 0)
    person = Person.objects.get(email="p@acme.test")
    assert (person.name, person.department.name, person.timezone) == ("Pat", "Ops", "Asia/Tokyo")


@pytest.mark.parametrize(
    "body",
    [{"rows": "nope"}, {"rows": [], "dry_run": "perhaps"}, {}, {"rows": [], "extra": 1}],
)
def test_malformed_json_import_request_is_422(admin_api, body):
    assert admin_api.post("people/import", body).status_code == 422


def test_import_of_invalid_json_text_is_422(admin_api):
    assert admin_api.post("people/import", "{oops", content_type="application/json").status_code == 422


# --- groups follow imports ----------------------------------------------------------------------


def test_imported_and_deactivated_people_join_and_leave_dynamic_groups(admin, admin_api):
    group = admin_api.post(
        "groups",
        {
            "name": "Logistics",
            "kind": "dynamic",
            "rule": {"all": [{"field": "department", "op": "eq", "value": "Logistics"}]},
        },
    ).json()
    import_csv(admin_api, COMPANY_CSV)
    assert admin_api.get(f"groups/{group['id']}").json()["member_count"] == 2

    import_csv(
        admin_api, COMPANY_CSV.replace("Dave Driver,lena@acme.test,Logistics", "Dave Driver,lena@acme.test,Sales")
    )
    members = admin_api.get(f"groups/{group['id']}/members").json()
    assert [p["email"] for p in members["items"]] == ["lena@acme.test"]

    import_csv(admin_api, HEADER + COMPANY_CSV.splitlines(keepends=True)[3], deactivate_missing=True)
    assert GroupMember.objects.filter(group_id=group["id"]).count() == 0


# --- the service itself -------------------------------------------------------------------------


def test_people_import_refuses_non_admins(tenant, make_person):
    from duecourse.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        people_import(actor=make_person(tenant, roles=("hr",)), rows=[])


def test_large_import_is_set_based(admin, tenant, django_assert_max_num_queries):
    Group.objects.create(
        tenant=tenant, name="All ops", kind="dynamic", rule={"all": [{"field": "site", "op": "eq", "value": "S1"}]}
    )
    rows = [
        {
            "email": f"p{i}@acme.test",
            "name": f"P {i}",
            "department": f"D{i % 7}",
            "site": f"S{i % 3}",
            "manager_email": "p0@acme.test" if i else "",
        }
        for i in range(3000)
    ]

    with django_assert_max_num_queries(60):
        result = people_import(actor=admin, rows=rows)

    assert (result.created, result.failed) == (3000, [])
    assert Person.objects.filter(tenant=tenant, manager__email="p0@acme.test").count() == 2999
    assert GroupMember.objects.filter(group__name="All ops").count() == 1000
    again = people_import(actor=admin, rows=rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3000)
