"""The certificate endpoints: lists and filters, CSV, one certificate, its PDF, revoke."""

import csv
import datetime as dt
import io

import pytest
import time_machine

from duecourse.certificates.models import Certificate
from duecourse.certificates.sweeps import certificates_repair
from duecourse.certificates.tests.conftest import START, complete, item, live, make_config
from duecourse.core.models import AuditEvent
from duecourse.notifications.models import Notification
from duecourse.testing.factories import assign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_without_static_files")]
DAY = dt.timedelta(days=1)
NOW = START + 30 * DAY


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(admin, tenant, make_person, courses):
    boss = make_person(tenant, name="Boss")
    zoe = make_person(tenant, name="Zoë Brandt", manager=boss)
    jose = make_person(tenant, name="José Álvarez")
    theory, practice, _ = courses
    forklift = make_config(admin, [zoe, jose], [item(theory, validity_months=12)], name="Forklift licence")
    ladders = make_config(admin, [zoe], [item(practice, validity_months=1)], name="Ladders")
    complete(admin, zoe, theory, START + DAY)
    complete(admin, jose, theory, START + 2 * DAY)
    complete(admin, zoe, practice, START + DAY)  # runs out after a month: invalid (expired) by NOW + 5 days
    return {"boss": boss, "zoe": zoe, "jose": jose, "forklift": forklift, "ladders": ladders}


def test_the_list_filters_by_person_rule_and_status(admin_api, world):
    zoe, forklift, ladders = world["zoe"], world["forklift"], world["ladders"]
    everything = admin_api.get("certificates").json()
    assert everything["count"] == 3
    assert [c["person_name"] for c in everything["items"]] == [
        "José Álvarez",
        "Zoë Brandt",
        "Zoë Brandt",
    ]  # newest first

    mine = admin_api.get("certificates", {"person_id": zoe.pk}).json()
    assert {c["rule_id"] for c in mine["items"]} == {forklift.pk, ladders.pk}
    assert admin_api.get("certificates", {"rule_id": forklift.pk}).json()["count"] == 2
    with time_machine.travel(START + 40 * DAY, tick=False):  # the ladders certificate ran out
        invalid = admin_api.get("certificates", {"status": "invalid"}).json()["items"]
        valid = admin_api.get("certificates", {"status": "valid"}).json()["items"]
    assert [(c["rule_id"], c["status"], c["invalid_reason"]) for c in invalid] == [(ladders.pk, "invalid", "expired")]
    assert {c["rule_id"] for c in valid} == {forklift.pk}
    assert admin_api.get("certificates", {"status": "lost"}).status_code == 422
    assert admin_api.get("certificates", {"person_id": 0}).status_code == 422


def test_one_certificate_carries_what_the_api_promises(admin_api, world, courses):
    cert = live(world["zoe"], world["forklift"])
    body = admin_api.get(f"certificates/{cert.pk}").json()
    assert body == {
        "id": cert.pk,
        "number": cert.number,
        "code": cert.code,
        "person_id": world["zoe"].pk,
        "person_name": "Zoë Brandt",
        "rule_id": world["forklift"].pk,
        "title": "Forklift licence",
        "status": "valid",
        "issued_at": "2026-03-03T09:00:00Z",
        "valid_until": "2027-03-03T09:00:00Z",
        "invalidated_at": None,
        "invalid_reason": None,
        "revoke_reason": None,
        "items": [
            {
                "target": {"type": "course", "id": courses[0].pk, "title": "Forklift theory"},
                "completed_at": "2026-03-03T09:00:00Z",
            }
        ],
        "verify_url": f"http://127.0.0.1:8000/verify/{cert.code}",
        "pdf_error": None,
    }


def test_csv_export_lists_the_filtered_certificates(admin_api, world):
    response = admin_api.get("certificates", {"format": "csv", "rule_id": world["forklift"].pk})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["person_name"] for r in rows) == ["José Álvarez", "Zoë Brandt"]
    assert {r["status"] for r in rows} == {"valid"} and {r["items"] for r in rows} == {"Forklift theory"}
    # Times read the same as in the JSON answer.
    as_json = {c["person_name"]: c["issued_at"] for c in admin_api.get("certificates").json()["items"]}
    assert {r["person_name"]: r["issued_at"] for r in rows}.items() <= as_json.items()
    assert all("T" in r["issued_at"] and r["issued_at"].endswith("Z") for r in rows)


def test_a_manager_sees_their_reports_and_a_learner_their_own(api_as, world):
    boss_sees = api_as(world["boss"]).get("certificates").json()["items"]
    assert {c["person_id"] for c in boss_sees} == {world["zoe"].pk}
    jose = api_as(world["jose"])
    assert [c["person_id"] for c in jose.get("certificates").json()["items"]] == [world["jose"].pk]
    zoes = live(world["zoe"], world["forklift"])
    assert jose.get(f"certificates/{zoes.pk}").status_code == 404
    assert jose.get(f"certificates/{zoes.pk}/pdf").status_code == 404


def test_the_pdf_downloads(api_as, world):
    cert = live(world["jose"], world["forklift"])
    response = api_as(world["jose"]).get(f"certificates/{cert.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{cert.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_revoke_needs_a_reason_and_a_valid_certificate(admin_api, admin, world):
    cert = live(world["jose"], world["forklift"])
    assert admin_api.post(f"certificates/{cert.pk}/revoke", {"reason": "  "}).status_code == 422
    assert admin_api.post(f"certificates/{cert.pk}/revoke", {}).status_code == 422
    assert Certificate.objects.get(pk=cert.pk).invalidated_at is None

    response = admin_api.post(f"certificates/{cert.pk}/revoke", {"reason": "Completed by someone else"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["invalid_reason"], body["revoke_reason"]) == (
        "invalid",
        "revoked",
        "Completed by someone else",
    )
    assert body["invalidated_at"] == "2026-04-01T09:00:00Z"
    event = AuditEvent.objects.get(action="certificate.revoke")
    assert (event.actor_id, event.object_id, event.reason) == (admin.pk, cert.pk, "Completed by someone else")
    (told,) = Notification.objects.filter(person=world["jose"], kind="certificate_invalidated")
    assert told.data["note"] == "Revoked by an administrator: Completed by someone else"

    again = admin_api.post(f"certificates/{cert.pk}/revoke", {"reason": "Twice"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "status"


def test_a_revoked_certificate_comes_back_only_after_a_new_completion(admin_api, admin, world, courses):
    jose, forklift = world["jose"], world["forklift"]
    cert = live(jose, forklift)
    admin_api.post(f"certificates/{cert.pk}/revoke", {"reason": "Completed by someone else"})
    certificates_repair(now=NOW + DAY)
    assert live(jose, forklift) is None
    complete(admin, jose, courses[0], NOW + 2 * DAY)  # an extra completion changes nothing: still complete
    assert live(jose, forklift) is None
    with time_machine.travel(NOW + 3 * DAY, tick=False):  # a retake re-opens it; redoing it earns a new one
        assign(admin, jose, courses[0], retake=True, due_in_days=7)
    complete(admin, jose, courses[0], NOW + 4 * DAY)
    renewed = live(jose, forklift)
    assert renewed is not None and renewed.pk != cert.pk
