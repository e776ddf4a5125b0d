"""Ids that cannot exist (0, negative, beyond 64 bits) are refused with a 422 naming the field, never a 500."""

import pytest

from duecourse.catalog.models import LearningPath

pytestmark = pytest.mark.usefixtures("api_without_static_files")


@pytest.mark.parametrize("bad_id", [0, -5, 2**70])
def test_a_path_item_with_an_impossible_course_id_names_the_field(admin_api, bad_id):
    response = admin_api.post("paths", {"title": "Onboarding", "items": [{"course_id": bad_id}]})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "items.0.course_id"
    assert not LearningPath.objects.exists()


def test_a_huge_person_id_in_a_bulk_audience_names_the_field(admin_api):
    body = {"targets": [{"type": "course", "id": 1}], "assignees": {"person_ids": [2**64]}, "dry_run": True}
    response = admin_api.post("assignments/bulk", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assignees.person_ids.0"


def test_a_huge_filter_id_is_a_422_not_a_server_error(admin_api):
    response = admin_api.get("assignments", {"person_id": str(2**70)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "person_id"
