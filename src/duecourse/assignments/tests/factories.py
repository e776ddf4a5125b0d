"""Small builders for catalog items and assignments, shared by the assignment, catalog and report tests."""

import itertools

from duecourse.assignments import services
from duecourse.catalog.models import Course, CourseEquivalence, LearningPath, PathItem, Skill, SkillCourse
from duecourse.people.models import OrgUnit

_n = itertools.count(1)


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
        actor=actor, data={"person_id": person.pk, "target": target(obj), **fields}
    )
    return assignment
