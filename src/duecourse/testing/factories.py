"""Builders for test rows; the fixtures (root conftest.py) hand out the common ones. Usage:

tenant, other_tenant       tenants "Acme" and "Globex"; make_tenant(name=None) for more
make_person(tenant, roles=("admin", "instructor", "hr"), **fields)   also a plain function here
admin, learner             Ada Admin (admin@acme.test) and Lena Learner (lena@acme.test) of `tenant`
signed_in(person)          a Django test Client signed in through the login form (testing.web)
api_as(person | None)      an ApiClient on /api/v1 with a real bearer token (testing.api);
                           api_as(None, token="...") sends that token; admin_api = api_as(admin)
api_without_static_files   for JSON-only modules: skips WhiteNoise's scan for each new client
sign_in(person)            tests/e2e: signs the Playwright `page` in; `ada` is the e2e admin
"""

import itertools

from duecourse.assignments import services
from duecourse.assignments.inputs import AssignmentInput
from duecourse.catalog.models import Course, CourseEquivalence, LearningPath, PathItem, Skill, SkillCourse
from duecourse.core.models import Tenant
from duecourse.people.models import OrgUnit, Person

_n = itertools.count(1)
_people = itertools.count(1)


def make_tenant(name: str | None = None) -> Tenant:
    return Tenant.objects.create(name=name or f"Tenant {next(_people)}")


def make_person(tenant: Tenant, *, roles: tuple[str, ...] = (), **fields) -> Person:
    """A person saved directly (no service, no audit); `roles` among "admin", "instructor", "hr"."""
    n = next(_people)
    fields.setdefault("email", f"person{n}@example.com")
    fields.setdefault("name", f"Person {n}")
    return Person.objects.create(
        tenant=tenant,
        is_admin="admin" in roles,
        is_instructor="instructor" in roles,
        is_hr="hr" in roles,
        **fields,
    )


def make_course(tenant, *, status="active", minutes=30, code=None, title=None, launch_url=None) -> Course:
    n = next(_n)
    return Course.objects.create(
        tenant=tenant,
        code=code or f"C{n:04d}",
        title=title or f"Course {n}",
        estimated_minutes=minutes,
        status=status,
        launch_url=launch_url if launch_url is not None else f"https://lms.example.com/c/{n}",
    )


def make_path(tenant, items, *, status="active", title=None) -> LearningPath:
    """items: [(course, required), ...] in order."""
    path = LearningPath.objects.create(tenant=tenant, title=title or f"Path {next(_n)}", status=status)
    for position, (course, required) in enumerate(items):
        PathItem.objects.create(tenant=tenant, path=path, course=course, required=required, position=position)
    return path


def make_skill(tenant, courses, *, status="active", name=None) -> Skill:
    skill = Skill.objects.create(tenant=tenant, name=name or f"Skill {next(_n)}", status=status)
    for course in courses:
        SkillCourse.objects.create(tenant=tenant, skill=skill, course=course)
    return skill


def make_equivalence(tenant, course, satisfies) -> CourseEquivalence:
    return CourseEquivalence.objects.create(tenant=tenant, course=course, satisfies=satisfies)


def org_unit(tenant, kind, name) -> OrgUnit:
    return OrgUnit.objects.get_or_create(tenant=tenant, kind=kind, name=name)[0]


def target(obj) -> dict:
    kind = {Course: "course", LearningPath: "path", Skill: "skill"}[type(obj)]
    return {"type": kind, "id": obj.pk}


def assign(actor, person, obj, **fields):
    """Assign through the service; returns the open assignment."""
    assignment, _ = services.assignment_create(
        actor=actor, data=AssignmentInput.model_validate({"person_id": person.pk, "target": target(obj), **fields})
    )
    return assignment
