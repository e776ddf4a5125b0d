"""Adding a person and importing a CSV from the browser: the same services and guarantees as the API."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duecourse.core.models import AuditEvent
from duecourse.people import import_staging
from duecourse.people.models import OrgUnit, Person
from duecourse.testing.web import field_error


@pytest.fixture(autouse=True)
def staging_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def boss(tenant, make_person):
    return make_person(tenant, name="Mona Manager", email="mona@acme.test")


GOOD = {
    "name": "Nina New",
    "email": "Nina@Acme.test",
    "external_id": "E77",
    "job_title": "Driver",
    "department": "Logistics",
    "site": "Leeds",
    "region": "EMEA",
    "manager_email": "mona@acme.test",
    "hire_date": "2026-03-01",
    "timezone": "Europe/London",
    "locale": "en-GB",
    "active": "on",
    "roles": ["instructor", "hr"],
}


# Add a person


def test_admin_adds_a_person_with_every_field(admin, boss, signed_in):
    client = signed_in(admin)
    page = client.get("/people/new/").content.decode()
    assert 'name="email"' in page and 'id="id_manager_email"' in page and 'name="active"' in page
    response = client.post("/people/new/", GOOD)
    nina = Person.objects.get(email="nina@acme.test")
    assert response.status_code == 302 and response["Location"] == f"/people/{nina.pk}/"
    assert (nina.name, nina.external_id, nina.job_title, nina.manager_id) == ("Nina New", "E77", "Driver", boss.pk)
    assert (nina.department.name, nina.site.name, nina.region.name) == ("Logistics", "Leeds", "EMEA")
    assert (str(nina.hire_date), nina.timezone, nina.locale, nina.active) == (
        "2026-03-01",
        "Europe/London",
        "en-GB",
        True,
    )
    assert (nina.is_instructor, nina.is_hr, nina.is_admin) == (True, True, False)
    assert AuditEvent.objects.filter(action="person.create", object_id=nina.pk, actor_id=admin.pk).exists()
    assert "Added Nina New." in client.get(response["Location"]).content.decode()


def test_a_person_added_without_manager_or_active_tick_has_none_and_is_inactive(admin, signed_in):
    response = signed_in(admin).post("/people/new/", {"name": "Sam Starter", "email": "sam@acme.test"})
    sam = Person.objects.get(email="sam@acme.test")
    assert response.status_code == 302
    assert (sam.manager_id, sam.active, sam.timezone, sam.locale) == (None, False, "UTC", "en")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "is required"),
        ("email", "not-an-address", "is not a valid email address"),
        ("email", "mona@acme.test", "already used by another person"),
        ("name", "", "is required"),
        ("manager_email", "ghost@acme.test", "no person with email ghost@acme.test"),
        ("hire_date", "01/03/2026", "is not a date"),
        ("timezone", "Mars/Olympus", "is not a known IANA time zone"),
        ("locale", "english please", "is not a locale"),
        ("external_id", "x" * 101, "is longer than 100 characters"),
        ("department", "d" * 201, "is longer than 200 characters"),
    ],
)
def test_each_bad_input_is_shown_beside_its_field_and_nothing_is_written(admin, boss, signed_in, field, value, message):
    client = signed_in(admin)
    people, units, events = Person.objects.count(), OrgUnit.objects.count(), AuditEvent.objects.count()
    response = client.post("/people/new/", {**GOOD, field: value})
    assert response.status_code == 422
    assert message in field_error(response.content.decode(), field)
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, events)
    assert OrgUnit.objects.count() == units  # the department in the form was not created either


def test_a_bad_role_is_refused_by_the_form(admin, signed_in):
    response = signed_in(admin).post("/people/new/", {**GOOD, "manager_email": "", "roles": ["owner"]})
    assert response.status_code == 422
    assert re.search(r'<p class="field-error" id="id_roles_error">Select a valid choice', response.content.decode())
    assert not Person.objects.filter(email="nina@acme.test").exists()


def test_the_manager_picker_finds_active_people_and_its_chip_carries_their_email(admin, boss, make_person, signed_in):
    make_person(admin.tenant, name="Mona Gone", email="gone@acme.test", active=False)
    client = signed_in(admin)
    results = client.get("/people/manager-picker/", {"q": "mona"}).content.decode()
    assert "Mona Manager" in results and "Mona Gone" not in results
    chip = client.get("/people/manager-chip/", {"person_id": boss.pk}).content.decode()
    assert 'name="manager_email" value="mona@acme.test"' in chip
    assert client.get("/people/manager-chip/", {"person_id": "x"}).status_code == 404


def test_a_rejected_form_keeps_the_chosen_manager(admin, boss, signed_in):
    response = signed_in(admin).post("/people/new/", {**GOOD, "email": ""})
    assert 'name="manager_email" value="mona@acme.test"' in response.content.decode()


def test_the_people_list_offers_add_and_import_to_admins_only(admin, learner, make_person, signed_in):
    hr = make_person(admin.tenant, roles=("hr",))
    assert "Add person" in signed_in(admin).get("/people/").content.decode()
    hr_page = signed_in(hr).get("/people/").content.decode()
    assert "Add person" not in hr_page and "Import CSV" not in hr_page


# Import


CSV = (
    "email,name,external_id,department,manager_email,roles\n"
    "ivy@acme.test,Ivy Import,I1,Logistics,mona@acme.test,\n"
    "mona@acme.test,Mona Manager,,Logistics,,instructor\n"
    "broken,Bad Row,I3,,,\n"
)


def _upload(client, content: str = CSV, **extra):
    file = SimpleUploadedFile("staff.csv", content.encode(), content_type="text/csv")
    return client.post("/people/import/", {"file": file, **extra})


def _token(response) -> str:
    match = re.match(r"^/people/import/([^/]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def _sha(page: str) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)


def test_preview_then_confirm_imports_exactly_the_previewed_file(admin, boss, make_person, signed_in):
    leaver = make_person(admin.tenant, name="Leo Leaver", email="leo@acme.test")
    client = signed_in(admin)
    response = _upload(client, deactivate_missing="on")
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    counts = re.findall(r'<span class="stat-number">(\d+)</span>', preview)
    assert counts == ["1", "1", "0", "1", "1"]  # created, updated, unchanged, deactivated, failed rows
    assert "Dry run of staff.csv" in preview and "nothing has been written yet" in preview
    assert re.search(r"<td>4</td><td><code>email</code></td><td>&#x27;broken&#x27; is not a valid email", preview)
    assert not Person.objects.filter(email="ivy@acme.test").exists()  # a dry run writes nothing
    assert Person.objects.get(pk=leaver.pk).active

    token = _token(response)
    done = client.post(f"/people/import/{token}/confirm/", {"sha256": _sha(preview)})
    assert done.status_code == 302 and done["Location"] == f"/people/import/{token}/"
    ivy = Person.objects.get(email="ivy@acme.test")
    assert (ivy.manager_id, ivy.department.name) == (boss.pk, "Logistics")
    assert Person.objects.get(pk=boss.pk).is_instructor
    assert not Person.objects.get(pk=leaver.pk).active and Person.objects.get(pk=admin.pk).active
    event = AuditEvent.objects.get(action="people.import")
    assert event.actor_id == admin.pk and event.after["created"] == 1 and event.after["failed"] == 1
    result = client.get(done["Location"]).content.decode()
    assert "Imported staff.csv" in result and "1 created, 1 updated, 1 deactivated, 1 rows failed" in result
    assert "Confirm import" not in result

    again = client.post(f"/people/import/{token}/confirm/", {"sha256": _sha(preview)})  # a second click
    assert AuditEvent.objects.filter(action="people.import").count() == 1
    assert "already been imported" in client.get(again["Location"]).content.decode()


def test_a_changed_file_cannot_be_confirmed_with_a_stale_preview(admin, boss, signed_in):
    client = signed_in(admin)
    response = _upload(client)
    token = _token(response)
    sha = _sha(client.get(response["Location"]).content.decode())
    (import_staging.staging_dir() / f"{token}.csv").write_text(CSV + "eve@acme.test,Eve Extra,,,,admin\n")
    refused = client.post(f"/people/import/{token}/confirm/", {"sha256": sha}, follow=True)
    assert "the file changed since its preview" in refused.content.decode()
    assert not Person.objects.filter(email__in=["ivy@acme.test", "eve@acme.test"]).exists()
    assert not AuditEvent.objects.filter(action="people.import").exists()


def test_a_confirm_naming_another_file_hash_writes_nothing(admin, boss, signed_in):
    client = signed_in(admin)
    first, second = _upload(client), _upload(client, CSV.replace("Ivy", "Ivo"))
    second_sha = _sha(client.get(second["Location"]).content.decode())
    refused = client.post(f"/people/import/{_token(first)}/confirm/", {"sha256": second_sha}, follow=True)
    assert "the file changed since its preview" in refused.content.decode()
    assert not Person.objects.filter(email="ivy@acme.test").exists()


def test_a_staged_import_belongs_to_the_admin_who_uploaded_it(admin, make_person, signed_in):
    other_admin = make_person(admin.tenant, roles=("admin",))
    client = signed_in(admin)
    response = _upload(client)
    sha = _sha(client.get(response["Location"]).content.decode())
    token = _token(response)
    other = signed_in(other_admin)
    assert other.get(f"/people/import/{token}/")["Location"] == "/people/import/"
    other.post(f"/people/import/{token}/confirm/", {"sha256": sha})
    assert other.get(f"/people/import/{token}/failures.csv").status_code == 404
    assert not Person.objects.filter(email="ivy@acme.test").exists()


def test_an_expired_preview_cannot_be_confirmed(admin, boss, signed_in, monkeypatch):
    client = signed_in(admin)
    response = _upload(client)
    sha = _sha(client.get(response["Location"]).content.decode())
    monkeypatch.setattr(import_staging, "STAGE_TTL", import_staging.STAGE_TTL * 0)
    refused = client.post(f"/people/import/{_token(response)}/confirm/", {"sha256": sha}, follow=True)
    assert "unknown or has expired" in refused.content.decode()
    assert not Person.objects.filter(email="ivy@acme.test").exists()


def test_the_failures_table_is_capped_and_the_csv_has_every_failure(admin, signed_in, monkeypatch):
    monkeypatch.setattr("duecourse.people.views.IMPORT_PREVIEW_FAILURES", 3)
    bad = "email,name\n" + "".join(f"bad{i},Bad {i}\n" for i in range(5)) + "=cmd@acme.test,\n"
    client = signed_in(admin)
    response = _upload(client, bad)
    page = client.get(response["Location"]).content.decode()
    assert len(re.findall(r"<tr><td>\d+</td>", page)) == 3
    assert "The first 3 problems are shown; 3 more are in the CSV." in page
    failures = b"".join(client.get(f"/people/import/{_token(response)}/failures.csv").streaming_content).decode()
    lines = failures.splitlines()
    assert lines[0] == "row,line,field,message" and len(lines) == 1 + 6
    assert lines[1].startswith("0,2,email,")
    assert lines[-1] == "5,7,name,is required"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The submitted file is empty."),
        ("\n\n", "is empty: the first line must name the columns"),
        ("email,shoe_size\na@acme.test,9\n", "Shoe size: is not a known column"),
        ("name\nAda\n", "column is required"),
        ("\x00\x01binary", "is not a text CSV file"),
    ],
)
def test_a_file_that_is_no_people_csv_is_refused_beside_the_file_field(admin, signed_in, content, message):
    response = _upload(signed_in(admin), content)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not list(import_staging.staging_dir().iterdir())


def test_the_htmx_upload_answers_with_a_redirect_header_and_errors_in_a_swappable_page(admin, signed_in):
    client = signed_in(admin)
    file = SimpleUploadedFile("staff.csv", b"email,name\na@acme.test,A\n", content_type="text/csv")
    response = client.post("/people/import/", {"file": file}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/people/import/")
    empty = client.post("/people/import/", {}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 200 and 'id="import-card"' in empty.content.decode()
