"""GET /api/v1/me/assignments: the learner's hot list, pinned field by field (JSON and CSV)."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from duecourse.assignments import progress, selectors, services
from duecourse.assignments.models import AssignmentSource
from duecourse.assignments.presenters import assignment_as_dict, assignment_row_as_dict, titles_for
from duecourse.assignments.schemas import AssignmentList
from duecourse.core.api import rendered_json
from duecourse.testing.factories import assign, make_course, make_path
from duecourse.testing.scheduling import frozen_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
COMPLETED = dt.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
frozen = frozen_at(NOW)


@pytest.fixture
def world(tenant, admin, make_person):
    """Every status a learner can see, two sources on one item, a path without a due date, a note and reminders."""
    learner = make_person(tenant, name="Lena Learner")
    instructor = make_person(tenant, roles=("instructor",), name="Ian Instructor")
    courses = [make_course(tenant, title=f"Course {name}") for name in "ABCDEFG"]
    path = make_path(tenant, [(courses[6], True)], title="Onboarding path")
    overdue = assign(admin, learner, courses[0], priority="low", due_date="2026-06-01")
    high = assign(
        admin,
        learner,
        courses[1],
        priority="high",
        due_date="2026-07-01",
        note="Before your first shift",
        reminders=[{"days": 5, "recipients": ["learner", "manager"]}],
        recurrence_weeks=52,
    )
    assign(instructor, learner, courses[1], due_date="2026-06-20")
    started = assign(admin, learner, courses[2], due_date="2026-08-01")
    progress.progress_record(actor=admin, person_id=learner.pk, course_id=courses[2].pk, progress=40)
    with time_machine.travel(COMPLETED, tick=False):
        expired = assign(admin, learner, courses[3], validity_months=12)
        progress.progress_record(actor=admin, person_id=learner.pk, course_id=courses[3].pk, progress=100)
    done = assign(admin, learner, courses[4], validity_months=24, due_date="2026-06-10")
    progress.progress_record(actor=admin, person_id=learner.pk, course_id=courses[4].pk, completed_at=NOW)
    hidden = assign(admin, learner, courses[5])
    hidden.visibility = "hidden"
    hidden.save()
    withdrawn = assign(admin, learner, make_course(tenant))
    services.assignment_withdraw(actor=admin, assignment=withdrawn)
    on_path = assign(admin, learner, path)
    assign(admin, make_person(tenant), courses[0])
    return {
        "learner": learner,
        "admin": admin,
        "instructor": instructor,
        "courses": courses,
        "path": path,
        "overdue": overdue,
        "high": high,
        "started": started,
        "expired": expired,
        "done": done,
        "on_path": on_path,
    }


def item(assignment, target, **fields):
    base = {
        "id": assignment.pk,
        "person_id": assignment.person_id,
        "target": target,
        "status": "assigned",
        "progress": 0,
        "priority": "medium",
        "due_date": None,
        "note": "",
        "visibility": "required",
        "validity_months": None,
        "recurrence_weeks": None,
        "cycle": 1,
        "sources": [],
        "reminders": [{"days": 3, "recipients": ["learner"]}],
        "assigned_at": "2026-06-15T09:00:00Z",
        "completed_at": None,
        "expires_at": None,
        "compliance_flag": False,
        "escalation_tier": 0,
        "at_risk": False,
        "risk_reason": None,
        "why": "",
        "due_date_from": "",
    }
    base.update(fields)
    assert list(base) == list(item.keys_in_order)
    return base


item.keys_in_order = (
    "id", "person_id", "target", "status", "progress", "priority", "due_date", "note", "visibility",
    "validity_months", "recurrence_weeks", "cycle", "sources", "reminders", "assigned_at", "completed_at",
    "expires_at", "compliance_flag", "escalation_tier", "at_risk", "risk_reason", "why", "due_date_from",
)  # fmt: skip


def by_admin(admin, due_date, label=None, note=""):
    return {
        "kind": "individual",
        "label": label or f"Individual by {admin.name}",
        "assigned_by_id": admin.pk,
        "rule_id": None,
        "due_date": due_date,
        "note": note,
    }


def course_target(course):
    return {"type": "course", "id": course.pk, "title": course.title}


def expected_items(w):
    admin, instructor, c = w["admin"], w["instructor"], w["courses"]
    admin_label = f"Individual by {admin.name}"
    return [
        item(
            w["overdue"],
            course_target(c[0]),
            status="overdue",
            priority="low",
            due_date="2026-06-01",
            escalation_tier=2,  # 14 days overdue: past the default policy's 0 and 8 days, not yet 15
            sources=[by_admin(admin, "2026-06-01")],
            why=f"Source: {admin_label}",
            due_date_from=f"{admin_label}: fixed date 2026-06-01",
        ),
        item(
            w["high"],
            course_target(c[1]),
            priority="high",
            due_date="2026-06-20",
            note="Before your first shift",
            recurrence_weeks=52,
            sources=[by_admin(admin, "2026-07-01", note="Before your first shift"), by_admin(instructor, "2026-06-20")],
            # The union of the sources' plans: the instructor's source brings the default plan.
            reminders=[{"days": 5, "recipients": ["learner", "manager"]}, {"days": 3, "recipients": ["learner"]}],
            why=f"Source: Individual by {instructor.name}; {admin_label}",
            due_date_from=f"Individual by {instructor.name}: fixed date 2026-06-20",
        ),
        item(
            w["started"],
            course_target(c[2]),
            status="in_progress",
            progress=40,
            due_date="2026-08-01",
            sources=[by_admin(admin, "2026-08-01")],
            why=f"Source: {admin_label}",
            due_date_from=f"{admin_label}: fixed date 2026-08-01",
        ),
        item(
            w["on_path"],
            {"type": "path", "id": w["path"].pk, "title": "Onboarding path"},
            sources=[by_admin(admin, None)],
            why=f"Source: {admin_label}",
            due_date_from="no source sets a due date",
        ),
        item(
            w["done"],
            course_target(c[4]),
            status="completed",
            progress=100,
            due_date="2026-06-10",
            validity_months=24,
            sources=[by_admin(admin, "2026-06-10")],
            completed_at="2026-06-15T09:00:00Z",
            expires_at="2028-06-15T09:00:00Z",
            why=f"Source: {admin_label}",
            due_date_from=f"{admin_label}: fixed date 2026-06-10",
        ),
        item(
            w["expired"],
            course_target(c[3]),
            status="expired",
            progress=100,
            validity_months=12,
            sources=[by_admin(admin, None)],
            assigned_at="2024-03-01T12:30:15.123Z",
            completed_at="2024-03-01T12:30:15.123Z",
            expires_at="2025-03-01T12:30:15.123Z",
            why=f"Source: {admin_label}",
            due_date_from="no source sets a due date",
        ),
    ]


class TestMyAssignments:
    def test_every_field_and_the_order(self, api_as, world):
        response = api_as(world["learner"]).get("me/assignments")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json() == {"count": 6, "items": expected_items(world)}
        assert [list(i) for i in response.json()["items"]] == [list(item.keys_in_order)] * 6

    def test_paging_counts_every_item(self, api_as, world):
        client = api_as(world["learner"])
        expected = expected_items(world)
        assert client.get("me/assignments", {"limit": 2, "offset": 1}).json() == {"count": 6, "items": expected[1:3]}
        assert client.get("me/assignments", {"limit": 10, "offset": 6}).json() == {"count": 6, "items": []}
        assert client.get("me/assignments", {"offset": 100}).json() == {"count": 6, "items": []}

    def test_bad_paging_is_422(self, api_as, world):
        client = api_as(world["learner"])
        assert client.get("me/assignments", {"limit": 0}).status_code == 422
        assert client.get("me/assignments", {"limit": 501}).status_code == 422
        assert client.get("me/assignments", {"offset": -1}).status_code == 422
        assert client.get("me/assignments", {"format": "xml"}).status_code == 422

    def test_someone_without_assignments_gets_an_empty_list(self, api_as, world):
        assert api_as(world["instructor"]).get("me/assignments").json() == {"count": 0, "items": []}

    def test_anonymous_is_401(self, api_as, world):
        assert api_as(None).get("me/assignments").status_code == 401

    def test_a_few_queries_whatever_the_page_size(self, api_as, world):
        client = api_as(world["learner"])
        client.get("me/assignments")
        with CaptureQueriesContext(connection) as queries:
            client.get("me/assignments", {"limit": 10})
        assert len(queries) <= 3, [q["sql"] for q in queries]

    def test_csv(self, api_as, world):
        response = api_as(world["learner"]).get("me/assignments", {"format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="assignments.csv"'
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0] == (
            "id,person_id,person_name,person_email,target_type,target_id,target_title,status,progress,priority,"
            "due_date,visibility,cycle,sources,assigned_at,completed_at,expires_at,compliance_flag,escalation_tier,"
            "at_risk,risk_reason,department,site,region,manager_name,manager_email,hire_date"
        )
        learner, w = world["learner"], world
        high = w["high"]
        admin, instructor = w["admin"], w["instructor"]
        assert lines[2] == (
            f"{high.pk},{learner.pk},Lena Learner,{learner.email},course,{w['courses'][1].pk},Course B,assigned,0,"
            f"high,2026-06-20,required,1,Individual by {admin.name};Individual by {instructor.name},"
            "2026-06-15T09:00:00Z,,,false,0,false,,,,,,,"
        )
        assert [int(line.split(",")[0]) for line in lines[1:]] == [i["id"] for i in expected_items(w)]
        paged = api_as(learner).get("me/assignments", {"format": "csv", "limit": 2, "offset": 1})
        assert len(b"".join(paged.streaming_content).decode().splitlines()) == 3

    def test_the_page_is_byte_for_byte_what_the_schema_validated_path_renders(self, world):
        """The hot page skips the ORM and response validation: it must render exactly what they would."""
        learner = world["learner"]
        for assignment, rule_id, label in ((world["started"], 7, 'Rule: "Drivers" ✓ Süd'), (world["high"], None, "")):
            AssignmentSource.objects.create(
                tenant_id=assignment.tenant_id,
                assignment=assignment,
                kind="rule" if rule_id else "group",
                ref_id=rule_id or 3,
                rule_id=rule_id,
                label=label,
                due_date=dt.date(2026, 6, 1) if rule_id else None,
                due_rule="30 days after hire",
                created_at=NOW,
            )
        for offset, limit in ((0, 50), (1, 2), (5, 10)):
            page = list(selectors.my_assignments(actor=learner)[offset : offset + limit])
            titles = titles_for(page)
            validated = AssignmentList.model_validate(
                {"count": 6, "items": [assignment_as_dict(a, titles) for a in page]}
            ).model_dump()
            count, rows = selectors.my_assignments_page(actor=learner, offset=offset, limit=limit)
            fast = rendered_json(None, {"count": count, "items": [assignment_row_as_dict(r) for r in rows]})
            assert fast.content.decode() == json.dumps(validated, cls=NinjaJSONEncoder)
