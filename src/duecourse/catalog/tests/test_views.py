"""The catalog pages: admins and instructors manage courses, paths, skills and equivalences; others read."""

import re

from duecourse.catalog.models import Course, LearningPath, Skill
from duecourse.testing.factories import make_course, make_equivalence
from duecourse.testing.web import field_error, text


def test_learners_read_the_active_catalog_and_cannot_change_it(tenant, learner, signed_in):
    make_course(tenant, title="Fire safety")
    draft = make_course(tenant, title="Secret draft", status="draft")
    client = signed_in(learner)
    page = text(client.get("/catalog/"))
    assert "Fire safety" in page and "Secret draft" not in page and "New course" not in page
    assert client.get(f"/catalog/courses/{draft.pk}/").status_code == 404
    assert client.get("/catalog/courses/new/").status_code == 403
    assert client.post("/catalog/courses/new/", {"code": "X", "title": "X", "status": "active"}).status_code == 403
    assert not Course.objects.filter(code="X").exists()


def test_admins_search_and_filter_courses_by_status(tenant, admin, signed_in):
    make_course(tenant, title="Fire safety", code="HS-1")
    make_course(tenant, title="Forklift", code="LOG-7", status="archived")
    make_course(tenant, title="Data protection", code="IT-2", status="draft")
    client = signed_in(admin)
    assert re.search(r'id="course-count">3 courses<', text(client.get("/catalog/")))
    results = text(client.get("/catalog/", {"q": "log-7"}, HTTP_HX_REQUEST="true"))
    assert "Forklift" in results and "Fire safety" not in results and "<html" not in results
    drafts = text(client.get("/catalog/", {"status": "draft"}))
    assert "Data protection" in drafts and "Forklift" not in drafts


def test_create_edit_and_archive_a_course_with_errors_beside_fields(tenant, admin, signed_in):
    make_course(tenant, code="HS-1")
    client = signed_in(admin)
    duplicate = client.post(
        "/catalog/courses/new/",
        {"code": "HS-1", "title": "Fire", "launch_url": "ftp://x", "estimated_minutes": "20", "status": "active"},
    )
    assert duplicate.status_code == 422
    assert field_error(text(duplicate), "code") == "a course with code &#x27;HS-1&#x27; already exists"
    assert field_error(text(duplicate), "launch_url") == "must be an http(s) URL"
    created = client.post(
        "/catalog/courses/new/",
        {"code": "HS-2", "title": "Fire safety", "launch_url": "https://lms.example.com/fire", "status": "draft"},
    )
    course = Course.objects.get(code="HS-2")
    assert created["Location"] == f"/catalog/courses/{course.pk}/"
    edit = client.post(
        f"/catalog/courses/{course.pk}/edit/",
        {"code": "HS-2", "title": "Fire safety 2026", "estimated_minutes": "45", "status": "active"},
    )
    assert edit.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.estimated_minutes, course.status) == ("Fire safety 2026", 45, "active")
    client.post(f"/catalog/courses/{course.pk}/status/", {"status": "archived"})
    course.refresh_from_db()
    assert course.status == "archived"
    assert "is now archived" in text(client.get(f"/catalog/courses/{course.pk}/"))


def test_a_learning_path_editor_adds_reorders_and_saves_items(tenant, admin, signed_in):
    intro, advanced, reading = (make_course(tenant, title=t) for t in ("Intro", "Advanced", "Reading"))
    client = signed_in(admin)
    state = {"title": "Onboarding", "status": "active", "item_course": [str(intro.pk), str(advanced.pk)]}
    state["item_required"] = [str(intro.pk), str(advanced.pk)]
    added = text(
        client.post(
            "/catalog/paths/items/",
            {**state, "op": "add:", "add_course": str(reading.pk), "add_required": "optional"},
            HTTP_HX_REQUEST="true",
        )
    )
    assert re.findall(r'name="item_course" value="(\d+)"', added) == [str(intro.pk), str(advanced.pk), str(reading.pk)]
    moved = text(client.post("/catalog/paths/items/", {**state, "op": f"up:{advanced.pk}"}, HTTP_HX_REQUEST="true"))
    assert re.findall(r'name="item_course" value="(\d+)"', moved) == [str(advanced.pk), str(intro.pk)]

    no_required = client.post(
        "/catalog/paths/new/", {"title": "Empty", "status": "active", "item_course": [str(reading.pk)]}
    )
    assert no_required.status_code == 422
    assert "a learning path needs at least one required course" in text(no_required)

    saved = client.post(
        "/catalog/paths/new/",
        {
            "title": "Onboarding",
            "status": "active",
            "item_course": [str(advanced.pk), str(intro.pk), str(reading.pk)],
            "item_required": [str(advanced.pk), str(intro.pk)],
        },
    )
    path = LearningPath.objects.get(title="Onboarding")
    assert saved["Location"] == f"/catalog/paths/{path.pk}/"
    assert [(i.course.title, i.required) for i in path.items.order_by("position")] == [
        ("Advanced", True),
        ("Intro", True),
        ("Reading", False),
    ]
    page = text(client.get(f"/catalog/paths/{path.pk}/"))
    assert page.index("Advanced") < page.index("Intro") < page.index("Reading")


def test_skills_link_courses(tenant, admin, signed_in):
    fire, first_aid = make_course(tenant, title="Fire safety"), make_course(tenant, title="First aid")
    client = signed_in(admin)
    response = client.post(
        "/catalog/skills/new/", {"name": "Safety", "status": "active", "course_ids": [str(fire.pk), str(first_aid.pk)]}
    )
    assert response.status_code == 302
    skill = Skill.objects.get(name="Safety")
    assert {c.title for c in skill.courses.all()} == {"Fire safety", "First aid"}
    assert "First aid" in text(client.get("/catalog/skills/"))
    duplicate = client.post("/catalog/skills/new/", {"name": "Safety", "status": "active"})
    assert field_error(text(duplicate), "name") == "a skill named &#x27;Safety&#x27; already exists"


def test_equivalences_show_on_the_course_page_and_can_be_added(tenant, admin, learner, signed_in):
    old, new, other = (make_course(tenant, title=t) for t in ("Fire safety 2024", "Fire safety 2026", "Other"))
    make_equivalence(tenant, old, new)
    client = signed_in(admin)
    page = text(client.get(f"/catalog/courses/{new.pk}/"))
    satisfied_by = page.split("is satisfied by", 1)[1]
    assert "Fire safety 2024" in satisfied_by
    response = client.post(
        f"/catalog/courses/{new.pk}/equivalences/", {"direction": "satisfies", "other": str(other.pk)}
    )
    assert response.status_code == 302
    assert "Other" in text(client.get(f"/catalog/courses/{new.pk}/")).split("also counts for", 1)[1]
    assert "Add equivalence" not in text(signed_in(learner).get(f"/catalog/courses/{new.pk}/"))


def test_emptying_a_skill_in_the_web_form_is_refused_beside_the_courses(tenant, admin, signed_in):
    from duecourse.testing.factories import make_skill

    fire = make_course(tenant, title="Fire safety")
    skill = make_skill(tenant, [fire], name="Safety")
    client = signed_in(admin)
    response = client.post(f"/catalog/skills/{skill.pk}/edit/", {"name": "Safety", "status": "active"})
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" id="id_course_ids_error">(.*?)</p>', text(response))
    assert error and error.group(1) == "a skill needs at least one course"
    assert list(skill.courses.all()) == [fire]
