"""The catalog API: courses, learning paths, skills and equivalences, as the contract shapes them."""

import pytest

from duecourse.assignments.models import Assignment
from duecourse.catalog.models import Course
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import make_course, make_path, make_skill

COURSE_KEYS = {"id", "code", "title", "description", "launch_url", "estimated_minutes", "status"}

pytestmark = pytest.mark.django_db


def fields_of(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


class TestCourses:
    def test_create_get_list_and_patch(self, admin_api):
        response = admin_api.post(
            "courses",
            {
                "code": "FIRE-1",
                "title": "Fire safety",
                "launch_url": "https://lms.example.com/fire",
                "estimated_minutes": 45,
            },
        )
        assert response.status_code == 201, response.content
        course = response.json()
        assert set(course) == COURSE_KEYS
        assert course["status"] == "draft"
        assert admin_api.get(f"courses/{course['id']}").json() == course

        listed = admin_api.get("courses").json()
        assert listed["count"] == 1 and listed["items"] == [course]

        patched = admin_api.patch(f"courses/{course['id']}", {"status": "active", "title": "Fire safety 2026"})
        assert patched.status_code == 200
        assert patched.json()["status"] == "active" and patched.json()["title"] == "Fire safety 2026"
        assert patched.json()["code"] == "FIRE-1"
        event = AuditEvent.objects.filter(action="course.update", object_id=course["id"]).get()
        assert event.before == {"title": "Fire safety", "status": "draft"}

        archived = admin_api.patch(f"courses/{course['id']}", {"status": "archived"})
        assert archived.json()["status"] == "archived"

    def test_list_filters_and_csv(self, admin_api, tenant):
        make_course(tenant, title="Forklift basics", code="FORK", status="active")
        make_course(tenant, title="Ladders", code="LAD", status="draft")
        assert [c["code"] for c in admin_api.get("courses", {"q": "fork"}).json()["items"]] == ["FORK"]
        assert [c["code"] for c in admin_api.get("courses", {"status": "draft"}).json()["items"]] == ["LAD"]
        csv = admin_api.get("courses", {"format": "csv"})
        assert csv["Content-Type"].startswith("text/csv")
        text = b"".join(csv.streaming_content).decode()
        assert text.splitlines()[0] == "id,code,title,description,launch_url,estimated_minutes,status"
        assert "FORK" in text and "LAD" in text

    def test_duplicate_code_is_422_on_create_and_on_patch(self, admin_api, tenant):
        make_course(tenant, code="DUP")
        other = make_course(tenant, code="OTHER")
        response = admin_api.post("courses", {"code": "DUP", "title": "Again"})
        assert response.status_code == 422
        assert fields_of(response) == {"code"}
        assert "DUP" in response.json()["errors"][0]["message"]
        response = admin_api.patch(f"courses/{other.pk}", {"code": "DUP"})
        assert response.status_code == 422 and fields_of(response) == {"code"}
        assert Course.objects.filter(code="DUP").count() == 1

    def test_the_same_code_in_another_tenant_is_fine(self, admin_api, other_tenant):
        make_course(other_tenant, code="SHARED")
        assert admin_api.post("courses", {"code": "SHARED", "title": "Ours"}).status_code == 201

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"title": "No code"}, "code"),
            ({"code": "X", "title": "   "}, "title"),
            ({"code": "X", "title": "T", "launch_url": "ftp://nope"}, "launch_url"),
            ({"code": "X", "title": "T", "estimated_minutes": -5}, "estimated_minutes"),
            ({"code": "X", "title": "T", "status": "live"}, "status"),
            ({"code": "X", "title": "T", "colour": "red"}, "colour"),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(self, admin_api, body, field):
        response = admin_api.post("courses", body)
        assert response.status_code == 422
        assert field in fields_of(response)
        assert not Course.objects.exists()

    def test_other_tenant_and_unknown_ids_are_404(self, admin_api, other_tenant):
        theirs = make_course(other_tenant)
        assert admin_api.get(f"courses/{theirs.pk}").status_code == 404
        assert admin_api.patch(f"courses/{theirs.pk}", {"title": "Mine now"}).status_code == 404
        assert admin_api.get("courses/999999").status_code == 404
        theirs.refresh_from_db()
        assert theirs.title != "Mine now"
        assert admin_api.get("courses").json()["count"] == 0

    def test_learners_read_but_cannot_write(self, api_as, tenant, make_person):
        course = make_course(tenant)
        learner = api_as(make_person(tenant))
        assert learner.get("courses").json()["count"] == 1
        assert learner.get(f"courses/{course.pk}").status_code == 200
        assert learner.post("courses", {"code": "L", "title": "L"}).status_code == 403
        assert learner.patch(f"courses/{course.pk}", {"status": "archived"}).status_code == 403


class TestOnlyActiveTargetsCanBeAssigned:
    @pytest.mark.parametrize("status", ["draft", "archived"])
    def test_draft_or_archived_course_is_422_naming_the_target(self, admin_api, tenant, make_person, status):
        course = make_course(tenant, status=status)
        learner = make_person(tenant)
        response = admin_api.post(
            "assignments", {"person_id": learner.pk, "target": {"type": "course", "id": course.pk}}
        )
        assert response.status_code == 422
        assert fields_of(response) == {"target"}
        assert f"course {course.pk} is {status}" in response.json()["errors"][0]["message"]
        assert not Assignment.objects.exists()

    @pytest.mark.parametrize("kind", ["path", "skill"])
    def test_draft_path_or_skill_is_422(self, admin_api, tenant, make_person, kind):
        course = make_course(tenant)
        obj = (
            make_path(tenant, [(course, True)], status="draft")
            if kind == "path"
            else make_skill(tenant, [course], status="archived")
        )
        response = admin_api.post(
            "assignments/bulk",
            {"targets": [{"type": kind, "id": obj.pk}], "assignees": {"person_ids": [make_person(tenant).pk]}},
        )
        assert response.status_code == 422
        assert fields_of(response) == {"targets[0]"}
        assert f"{kind} {obj.pk}" in response.json()["detail"]
        assert not Assignment.objects.exists()

    def test_a_path_with_no_required_course_cannot_be_assigned(self, admin_api, tenant, make_person):
        path = make_path(tenant, [(make_course(tenant), False)])
        response = admin_api.post(
            "assignments", {"person_id": make_person(tenant).pk, "target": {"type": "path", "id": path.pk}}
        )
        assert response.status_code == 422
        assert "no required course" in response.json()["errors"][0]["message"]

    def test_a_skill_with_no_course_cannot_be_assigned(self, admin_api, tenant, make_person):
        skill = make_skill(tenant, [])
        response = admin_api.post(
            "assignments", {"person_id": make_person(tenant).pk, "target": {"type": "skill", "id": skill.pk}}
        )
        assert response.status_code == 422


class TestPaths:
    def test_create_keeps_order_and_required_flags(self, admin_api, tenant):
        a, b, c = make_course(tenant), make_course(tenant), make_course(tenant)
        items = [
            {"course_id": c.pk, "required": True},
            {"course_id": a.pk, "required": False},
            {"course_id": b.pk, "required": True},
        ]
        response = admin_api.post("paths", {"title": "Onboarding", "status": "active", "items": items})
        assert response.status_code == 201, response.content
        path = response.json()
        assert {"id", "title", "status", "items"} <= set(path)
        assert path["items"] == items
        assert admin_api.get(f"paths/{path['id']}").json() == path
        assert admin_api.get("paths").json()["items"] == [path]

        reordered = admin_api.patch(f"paths/{path['id']}", {"items": [items[2], items[0]]})
        assert reordered.status_code == 200
        assert reordered.json()["items"] == [items[2], items[0]]
        assert reordered.json()["title"] == "Onboarding"

    def test_a_path_needs_a_required_course(self, admin_api, tenant):
        course = make_course(tenant)
        response = admin_api.post(
            "paths", {"title": "Optional only", "items": [{"course_id": course.pk, "required": False}]}
        )
        assert response.status_code == 422 and fields_of(response) == {"items"}
        assert admin_api.post("paths", {"title": "Empty", "items": []}).status_code == 422
        created = admin_api.post("paths", {"title": "Fine", "items": [{"course_id": course.pk}]}).json()
        response = admin_api.patch(f"paths/{created['id']}", {"items": [{"course_id": course.pk, "required": False}]})
        assert response.status_code == 422
        assert admin_api.get(f"paths/{created['id']}").json()["items"] == [{"course_id": course.pk, "required": True}]

    def test_unknown_other_tenant_archived_or_repeated_courses_are_field_errors(self, admin_api, tenant, other_tenant):
        ours, theirs = make_course(tenant), make_course(other_tenant)
        archived = make_course(tenant, status="archived")
        response = admin_api.post(
            "paths",
            {
                "title": "Bad",
                "items": [
                    {"course_id": ours.pk},
                    {"course_id": theirs.pk},
                    {"course_id": archived.pk},
                    {"course_id": ours.pk},
                ],
            },
        )
        assert response.status_code == 422
        assert fields_of(response) == {"items[1].course_id", "items[2].course_id", "items[3].course_id"}

    def test_other_tenant_path_is_404(self, admin_api, other_tenant):
        path = make_path(other_tenant, [(make_course(other_tenant), True)])
        assert admin_api.get(f"paths/{path.pk}").status_code == 404
        assert admin_api.patch(f"paths/{path.pk}", {"title": "x"}).status_code == 404


class TestSkills:
    def test_create_list_patch(self, admin_api, tenant):
        a, b = make_course(tenant), make_course(tenant)
        response = admin_api.post("skills", {"name": "First aid", "course_ids": [b.pk, a.pk]})
        assert response.status_code == 201
        skill = response.json()
        assert {"id", "name", "course_ids"} <= set(skill)
        assert skill["course_ids"] == sorted([a.pk, b.pk])
        assert admin_api.get("skills").json()["items"] == [skill]
        patched = admin_api.patch(f"skills/{skill['id']}", {"course_ids": [a.pk]})
        assert patched.json()["course_ids"] == [a.pk] and patched.json()["name"] == "First aid"

    def test_duplicate_name_and_foreign_courses_are_422(self, admin_api, tenant, other_tenant):
        make_skill(tenant, [], name="Driving")
        assert fields_of(admin_api.post("skills", {"name": "Driving"})) == {"name"}
        foreign = make_course(other_tenant)
        response = admin_api.post("skills", {"name": "Other", "course_ids": [foreign.pk]})
        assert response.status_code == 422 and fields_of(response) == {"course_ids"}

    def test_other_tenant_skill_is_404(self, admin_api, other_tenant):
        skill = make_skill(other_tenant, [])
        assert admin_api.get(f"skills/{skill.pk}").status_code == 404
        assert admin_api.patch(f"skills/{skill.pk}", {"name": "x"}).status_code == 404


class TestEquivalences:
    def test_create_list_delete(self, admin_api, tenant):
        old, new = make_course(tenant), make_course(tenant)
        response = admin_api.post("equivalences", {"course_id": old.pk, "satisfies_id": new.pk})
        assert response.status_code == 201
        equivalence = response.json()
        assert equivalence == {"id": equivalence["id"], "course_id": old.pk, "satisfies_id": new.pk}
        assert admin_api.get("equivalences").json() == {"count": 1, "items": [equivalence]}
        assert admin_api.delete(f"equivalences/{equivalence['id']}").status_code == 204
        assert admin_api.get("equivalences").json()["count"] == 0

    def test_self_equivalence_and_unknown_courses_are_422(self, admin_api, tenant, other_tenant):
        course, foreign = make_course(tenant), make_course(other_tenant)
        assert fields_of(admin_api.post("equivalences", {"course_id": course.pk, "satisfies_id": course.pk})) == {
            "satisfies_id"
        }
        assert fields_of(admin_api.post("equivalences", {"course_id": foreign.pk, "satisfies_id": course.pk})) == {
            "course_id"
        }

    def test_other_tenant_equivalence_is_404(self, admin_api, other_tenant):
        from duecourse.testing.factories import make_equivalence

        eq = make_equivalence(other_tenant, make_course(other_tenant), make_course(other_tenant))
        assert admin_api.delete(f"equivalences/{eq.pk}").status_code == 404


class TestSkillsCanAlwaysComplete:
    """A skill can never be left with open assignments that cannot complete (as a path needs a required course)."""

    def test_emptying_a_skill_is_422_and_changes_nothing(self, admin, admin_api, tenant, make_person):
        from duecourse.assignments.models import Assignment
        from duecourse.testing.factories import assign, make_skill

        course = make_course(tenant)
        skill = make_skill(tenant, [course], name="First aid")
        assign(admin, make_person(tenant), skill)
        response = admin_api.patch(f"skills/{skill.pk}", {"course_ids": []})
        assert response.status_code == 422
        assert fields_of(response) == {"course_ids"}
        assert admin_api.get(f"skills/{skill.pk}").json()["course_ids"] == [course.pk]
        assert Assignment.objects.get(target_id=skill.pk).completed_at is None

    def test_a_new_skill_needs_a_course(self, admin_api):
        response = admin_api.post("skills", {"name": "Nothing yet"})
        assert response.status_code == 422 and fields_of(response) == {"course_ids"}
        response = admin_api.post("skills", {"name": "Nothing yet", "course_ids": []})
        assert response.status_code == 422 and fields_of(response) == {"course_ids"}
