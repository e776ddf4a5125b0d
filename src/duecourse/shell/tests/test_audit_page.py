"""The audit page names who made each change: a person, or the system (and which rule, when one did)."""

import datetime as dt
import re
from pathlib import Path

from django.test import Client

from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.people.services import person_set_password

PASSWORD = "correct-horse"


def signed_in(person) -> Client:
    person_set_password(person=person, password=PASSWORD)
    client = Client()
    response = client.post("/login/", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def who_column(html: str, action: str) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*?<code class=\"tag\">{re.escape(action)}</code>.*?</tr>", html, re.S).group(0)
    who = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", who)).strip()


def test_the_audit_page_shows_the_system_and_the_rule_it_acted_for(admin, tenant):
    client = signed_in(admin)
    system = SystemActor(tenant_id=tenant.pk)
    rule = SystemActor(tenant_id=tenant.pk, label="Rule: Drivers' safety")
    audit_record(tenant_id=tenant.pk, **audit_actor(admin), action="rule.create", object_type="rule", object_id=1)
    audit_record(tenant_id=tenant.pk, **audit_actor(rule), action="assignment.create", object_type="rule", object_id=1)
    audit_record(
        tenant_id=tenant.pk,
        **audit_actor(system),
        action="assignment.new_cycle",
        object_type="assignments",
        object_id=None,
    )

    html = client.get("/audit/").content.decode()

    assert who_column(html, "rule.create") == "Ada Admin"
    assert who_column(html, "assignment.create") == "System (Rule: Drivers&#x27; safety)"
    assert who_column(html, "assignment.new_cycle") == "System"


# --- every kind of event renders ------------------------------------------------------------------
SRC = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"""action"?\s*[:=]\s*f?"([a-z_]+\.[a-z_]+)\"""")


def kinds_the_product_writes() -> set[str]:
    """Every `action="x.y"` the source writes (audit_record calls and bulk-created AuditEvents)."""
    found = set()
    for path in SRC.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            found |= set(ACTION.findall(path.read_text()))
    return found


def drive_the_product(admin, admin_api, tenant) -> None:
    """Write as many kinds as possible the way the product does, with their real before/after shapes."""
    from duecourse.testing.factories import make_course, make_person, target
    from duecourse.testing.scheduling import tick

    def ok(response, *codes):
        assert response.status_code in (codes or (200, 201, 204)), response.content
        return response.json() if response.content else None

    now = clock.now()
    lena = ok(admin_api.post("people", {"email": "lena@acme.test", "name": "Lena", "department": "Ops"}))
    ok(admin_api.patch(f"people/{lena['id']}", {"job_title": "Driver"}))
    token = ok(admin_api.post(f"people/{lena['id']}/tokens", {"name": "laptop"}))
    ok(admin_api.delete(f"people/{lena['id']}/tokens/{token['id']}"))
    ok(admin_api.post("people/import", {"rows": [{"email": "sam@acme.test", "name": "Sam", "department": "Ops"}]}))
    crew = ok(admin_api.post("groups", {"name": "Crew", "kind": "static", "member_ids": [lena["id"]]}))
    ok(admin_api.patch(f"groups/{crew['id']}", {"name": "Crew A"}))
    course = ok(admin_api.post("courses", {"code": "LAD", "title": "Ladders", "status": "active"}))
    ok(admin_api.patch(f"courses/{course['id']}", {"estimated_minutes": 20}))
    other = make_course(tenant, title="Ladders 2024")
    path = ok(admin_api.post("paths", {"title": "Heights", "status": "active", "items": [{"course_id": course["id"]}]}))
    ok(admin_api.patch(f"paths/{path['id']}", {"title": "Working at heights"}))
    skill = ok(admin_api.post("skills", {"name": "Climbing", "course_ids": [course["id"]]}))
    ok(admin_api.patch(f"skills/{skill['id']}", {"name": "Climbing safely"}))
    eq = ok(admin_api.post("equivalences", {"course_id": other.pk, "satisfies_id": course["id"]}))
    ok(admin_api.delete(f"equivalences/{eq['id']}"))
    body = {
        "name": "Ops ladders",
        "audience": {"departments": ["Ops"]},
        "items": [{"target": {"type": "path", "id": path["id"]}}],
    }
    rule = ok(admin_api.post("rules", {**body, "due_in_days": 10}))
    ok(admin_api.patch(f"rules/{rule['id']}", {"priority": "high", "note": "Before the season"}))
    ok(admin_api.delete(f"groups/{crew['id']}"))
    ok(admin_api.patch("settings", {"overload_minutes_30d": 300}))
    learner = make_person(tenant, email="kim@acme.test", name="Kim")
    past = (now - dt.timedelta(days=30)).date().isoformat()
    a = ok(admin_api.post("assignments", {"person_id": learner.pk, "target": target(other), "due_date": past}))
    ok(admin_api.patch(f"assignments/{a['id']}", {"priority": "low"}))
    done = ok(
        admin_api.post(
            "assignments",
            {
                "person_id": learner.pk,
                "target": {"type": "course", "id": course["id"]},
                "recurrence_weeks": 1,
                "validity_months": 1,
            },
        )
    )
    ok(admin_api.post("progress", {"person_id": learner.pk, "course_id": course["id"], "progress": 100}))
    ok(admin_api.delete(f"rules/{rule['id']}"))
    ok(admin_api.post("assignments", {"person_id": learner.pk, "target": target(make_course(tenant))}))
    last = ok(admin_api.get("assignments", {"person_id": learner.pk, "status": "assigned"}))["items"][0]
    ok(admin_api.delete(f"assignments/{last['id']}"))
    for days in (1, 8, 20, 40):
        tick(now + dt.timedelta(days=days))
    assert done


def test_the_audit_page_renders_one_event_of_every_kind(admin, admin_api, tenant):
    """Real events (their real before/after shapes, e.g. a rule snapshot with its "items") and, for any
    kind the scenario does not reach, a synthetic one with awkward field names: every page answers 200."""
    from duecourse.core.models import AuditEvent

    drive_the_product(admin, admin_api, tenant)
    written = set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    kinds = kinds_the_product_writes()
    assert {"rule.create", "rule.update", "group.delete", "person.create"} <= kinds
    awkward = {"items": [{"target_type": "course"}], "keys": {"a": 1}, "values": None, "get": True, "count": 3}
    for kind in sorted(kinds - written):
        audit_record(
            tenant_id=tenant.pk, actor_id=None, action=kind, object_type="x", object_id=1, before=awkward, after=awkward
        )
    audit_record(
        tenant_id=tenant.pk, actor_id=admin.pk, action="odd.shapes", object_type="x", object_id=None, after=[1, 2]
    )
    client = signed_in(admin)
    shown: set[str] = set()
    page_number = 1
    while True:
        response = client.get("/audit/", {"page": page_number})
        assert response.status_code == 200
        html = response.content.decode()
        shown |= set(re.findall(r'<code class="tag">([a-z_.]+)</code>', html))
        if f"page={page_number + 1}" not in html:
            break
        page_number += 1
    assert kinds <= shown
    assert len(written & kinds) >= 20  # most kinds come from the product itself, not from the fallback


def test_a_rule_save_shows_its_items_and_the_changed_fields(admin, admin_api, tenant, make_person):
    from duecourse.testing.factories import make_course, org_unit

    make_person(tenant, department=org_unit(tenant, "department", "Ops"))
    course = make_course(tenant, title="Ladders")
    body = {
        "name": "Ops",
        "audience": {"departments": ["Ops"]},
        "items": [{"target": {"type": "course", "id": course.pk}}],
    }
    rule = admin_api.post("rules", body).json()
    admin_api.patch(f"rules/{rule['id']}", {"priority": "high"})
    response = signed_in(admin).get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<summary>" in html and "items</span>" in html
    assert "&quot;target_id&quot;: " + str(course.pk) in html
    assert re.search(r"priority</span> <del>medium</del> → <ins>high</ins>", html)
