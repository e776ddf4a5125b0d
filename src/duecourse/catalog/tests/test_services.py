"""Catalog services with typed inputs: the API and the forms build the same input, and an update
changes exactly the fields given (PATCH), with None meaning what the contract says."""

import pytest
from django.http import QueryDict

from duecourse.catalog import services
from duecourse.catalog.forms import CourseForm, PathForm
from duecourse.catalog.inputs import CourseInput, PathInput, PathItemInput
from duecourse.catalog.schemas import CourseIn, CoursePatch, PathIn
from duecourse.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_the_api_schema_and_the_form_build_the_same_course_input():
    schema = CourseIn(code="FIRE-1", title="Fire safety", estimated_minutes=45, status="active")
    form = CourseForm(
        {"code": "FIRE-1", "title": "Fire safety", "estimated_minutes": "45", "status": "active", "description": ""}
    )
    assert form.is_valid(), form.errors
    assert form.to_input().given() == schema.to_input().given()


def test_the_api_schema_and_the_editor_build_the_same_path_input():
    schema = PathIn(title="Induction", status="active", items=[{"course_id": 7}, {"course_id": 8, "required": False}])
    form = PathForm(QueryDict("title=Induction&status=active&description="))
    assert form.is_valid(), form.errors
    assert form.to_input([(7, True), (8, False)]).given() == schema.to_input().given()


def test_a_patch_gives_only_the_fields_sent():
    assert CoursePatch.model_validate({"title": "New"}).to_input().given() == {"title": "New"}
    assert CoursePatch.model_validate({"estimated_minutes": None}).to_input().given() == {"estimated_minutes": None}


def test_an_update_changes_only_the_fields_given(admin):
    course = services.course_create(
        actor=admin, data=CourseIn(code="FIRE-1", title="Fire", description="Why", estimated_minutes=45).to_input()
    )

    services.course_update(actor=admin, course=course, data=CourseInput(title="Fire safety"))
    course.refresh_from_db()
    assert (course.code, course.title, course.description, course.estimated_minutes) == (
        "FIRE-1",
        "Fire safety",
        "Why",
        45,
    )

    services.course_update(actor=admin, course=course, data=CourseInput(estimated_minutes=None, description=None))
    course.refresh_from_db()
    assert (course.estimated_minutes, course.description) == (0, "")


def test_a_bad_status_and_missing_items_are_field_errors(admin):
    course = services.course_create(actor=admin, data=CourseInput(code="A", title="A"))
    with pytest.raises(ValidationFailed) as exc:
        services.course_update(actor=admin, course=course, data=CourseInput(status="gone"))
    assert [e.field for e in exc.value.errors] == ["status"]

    path = services.path_create(
        actor=admin, data=PathInput(title="P", items=[PathItemInput(course_id=course.pk, required=True)])
    )
    with pytest.raises(ValidationFailed) as exc:
        services.path_update(actor=admin, path=path, data=PathInput(items=None))
    assert [e.field for e in exc.value.errors] == ["items"]
