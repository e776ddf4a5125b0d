"""Catalog endpoints: courses, learning paths, skills, equivalences."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from duecourse.catalog import selectors, services
from duecourse.catalog.models import Course, CourseEquivalence, LearningPath, Skill
from duecourse.catalog.schemas import (
    CourseFilters,
    CourseIn,
    CourseList,
    CourseOut,
    CoursePatch,
    EquivalenceIn,
    EquivalenceList,
    EquivalenceOut,
    PathFilters,
    PathIn,
    PathList,
    PathOut,
    PathPatch,
    SkillIn,
    SkillList,
    SkillOut,
    SkillPatch,
)
from duecourse.core.api import ERROR_RESPONSES, ListParams, actor_of, paged_list, was_paging_asked
from duecourse.core.errors import not_found

router = Router()


def course_as_dict(course: Course) -> dict:
    return {
        f: getattr(course, f)
        for f in ("id", "code", "title", "description", "launch_url", "estimated_minutes", "status")
    }


def path_as_dict(path: LearningPath) -> dict:
    items = sorted(path.items.all(), key=lambda i: i.position)
    return {
        "id": path.pk,
        "title": path.title,
        "description": path.description,
        "status": path.status,
        "items": [{"course_id": i.course_id, "required": i.required} for i in items],
    }


def skill_as_dict(skill: Skill) -> dict:
    return {
        "id": skill.pk,
        "name": skill.name,
        "description": skill.description,
        "status": skill.status,
        "course_ids": sorted(c.pk for c in skill.courses.all()),
    }


def _paged(request, queryset, params, to_dict, name, columns):
    return paged_list(
        queryset, params, to_dict, csv_name=name, csv_columns=columns, explicit_paging=was_paging_asked(request)
    )


@router.get("/courses", response={200: CourseList, **ERROR_RESPONSES}, tags=["catalog"], summary="List courses")
def list_courses(request: HttpRequest, filters: Query[CourseFilters]):
    courses = selectors.course_list(actor=actor_of(request), q=filters.q, status=filters.status)
    return _paged(request, courses, filters, course_as_dict, "courses", list(CourseOut.model_fields))


@router.post("/courses", response={201: CourseOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Create a course")
def create_course(request: HttpRequest, payload: CourseIn):
    return Status(201, course_as_dict(services.course_create(actor=actor_of(request), data=payload.to_input())))


@router.get(
    "/courses/{int:course_id}", response={200: CourseOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Get a course"
)
def get_course(request: HttpRequest, course_id: int):
    return course_as_dict(selectors.access_course(actor=actor_of(request), course_id=course_id))


@router.patch(
    "/courses/{int:course_id}",
    response={200: CourseOut, **ERROR_RESPONSES},
    tags=["catalog"],
    summary="Change or archive a course",
)
def patch_course(request: HttpRequest, course_id: int, payload: CoursePatch):
    actor = actor_of(request)
    course = selectors.access_course(actor=actor, course_id=course_id)
    return course_as_dict(services.course_update(actor=actor, course=course, data=payload.to_input()))


@router.get("/paths", response={200: PathList, **ERROR_RESPONSES}, tags=["catalog"], summary="List learning paths")
def list_paths(request: HttpRequest, filters: Query[PathFilters]):
    paths = selectors.path_list(actor=actor_of(request), status=filters.status)
    return _paged(request, paths, filters, path_as_dict, "paths", ["id", "title", "status", "items"])


@router.post("/paths", response={201: PathOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Create a learning path")
def create_path(request: HttpRequest, payload: PathIn):
    actor = actor_of(request)
    path = services.path_create(actor=actor, data=payload.to_input())
    return Status(201, path_as_dict(selectors.access_path(actor=actor, path_id=path.pk)))


@router.get(
    "/paths/{int:path_id}", response={200: PathOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Get a learning path"
)
def get_path(request: HttpRequest, path_id: int):
    return path_as_dict(selectors.access_path(actor=actor_of(request), path_id=path_id))


@router.patch(
    "/paths/{int:path_id}",
    response={200: PathOut, **ERROR_RESPONSES},
    tags=["catalog"],
    summary="Change a learning path",
)
def patch_path(request: HttpRequest, path_id: int, payload: PathPatch):
    actor = actor_of(request)
    path = selectors.access_path(actor=actor, path_id=path_id)
    services.path_update(actor=actor, path=path, data=payload.to_input())
    return path_as_dict(selectors.access_path(actor=actor, path_id=path_id))


@router.get("/skills", response={200: SkillList, **ERROR_RESPONSES}, tags=["catalog"], summary="List skills")
def list_skills(request: HttpRequest, params: Query[ListParams]):
    return _paged(
        request,
        selectors.skill_list(actor=actor_of(request)),
        params,
        skill_as_dict,
        "skills",
        ["id", "name", "description", "status", "course_ids"],
    )


@router.post("/skills", response={201: SkillOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Create a skill")
def create_skill(request: HttpRequest, payload: SkillIn):
    actor = actor_of(request)
    skill = services.skill_create(actor=actor, data=payload.to_input())
    return Status(201, skill_as_dict(selectors.access_skill(actor=actor, skill_id=skill.pk)))


@router.get(
    "/skills/{int:skill_id}", response={200: SkillOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Get a skill"
)
def get_skill(request: HttpRequest, skill_id: int):
    return skill_as_dict(selectors.access_skill(actor=actor_of(request), skill_id=skill_id))


@router.patch(
    "/skills/{int:skill_id}", response={200: SkillOut, **ERROR_RESPONSES}, tags=["catalog"], summary="Change a skill"
)
def patch_skill(request: HttpRequest, skill_id: int, payload: SkillPatch):
    actor = actor_of(request)
    skill = selectors.access_skill(actor=actor, skill_id=skill_id)
    services.skill_update(actor=actor, skill=skill, data=payload.to_input())
    return skill_as_dict(selectors.access_skill(actor=actor, skill_id=skill_id))


@router.get(
    "/equivalences",
    response={200: EquivalenceList, **ERROR_RESPONSES},
    tags=["catalog"],
    summary="List course equivalences",
)
def list_equivalences(request: HttpRequest, params: Query[ListParams]):
    items = CourseEquivalence.objects.filter(tenant_id=actor_of(request).tenant_id).order_by("id")
    return _paged(
        request,
        items,
        params,
        lambda e: {"id": e.pk, "course_id": e.course_id, "satisfies_id": e.satisfies_id},
        "equivalences",
        ["id", "course_id", "satisfies_id"],
    )


@router.post(
    "/equivalences",
    response={201: EquivalenceOut, **ERROR_RESPONSES},
    tags=["catalog"],
    summary="Declare that completing one course satisfies another",
)
def create_equivalence(request: HttpRequest, payload: EquivalenceIn):
    e = services.equivalence_create(
        actor=actor_of(request), course_id=payload.course_id, satisfies_id=payload.satisfies_id
    )
    return Status(201, {"id": e.pk, "course_id": e.course_id, "satisfies_id": e.satisfies_id})


@router.delete(
    "/equivalences/{int:equivalence_id}",
    response={204: None, **ERROR_RESPONSES},
    tags=["catalog"],
    summary="Remove an equivalence",
)
def delete_equivalence(request: HttpRequest, equivalence_id: int):
    actor = actor_of(request)
    equivalence = CourseEquivalence.objects.filter(tenant_id=actor.tenant_id, pk=equivalence_id).first()
    if equivalence is None:
        raise not_found("Equivalence")
    services.equivalence_delete(actor=actor, equivalence=equivalence)
    return Status(204, None)
