"""Reads of the catalog, and the small interface other apps use to ask about targets."""

from django.db import connection
from django.db.models import QuerySet

from duecourse.catalog.models import ACTIVE, Course, CourseEquivalence, LearningPath, PathItem, Skill, SkillCourse
from duecourse.core.errors import not_found
from duecourse.people.models import Person

TARGET_MODELS = {"course": Course, "path": LearningPath, "skill": Skill}


def course_list(*, actor: Person, q: str | None = None, status: str | None = None) -> QuerySet:
    courses = Course.objects.filter(tenant_id=actor.tenant_id)
    if q:
        from django.db.models import Q

        courses = courses.filter(Q(title__icontains=q) | Q(code__icontains=q))
    if status:
        courses = courses.filter(status=status)
    return courses.order_by("title", "id")


def access_course(*, actor: Person, course_id: int) -> Course:
    course = Course.objects.filter(tenant_id=actor.tenant_id, pk=course_id).first()
    if course is None:
        raise not_found("Course")
    return course


def course_by_code(*, tenant_id: int, code: str) -> Course | None:
    return Course.objects.filter(tenant_id=tenant_id, code=code).first()


def course_codes(*, tenant_id: int, course_ids: set[int]) -> dict[int, str]:
    return dict(Course.objects.filter(tenant_id=tenant_id, pk__in=course_ids).values_list("id", "code"))


def path_list(*, actor: Person, status: str | None = None) -> QuerySet:
    paths = LearningPath.objects.filter(tenant_id=actor.tenant_id)
    if status:
        paths = paths.filter(status=status)
    return paths.prefetch_related("items").order_by("title", "id")


def access_path(*, actor: Person, path_id: int) -> LearningPath:
    path = LearningPath.objects.filter(tenant_id=actor.tenant_id, pk=path_id).prefetch_related("items").first()
    if path is None:
        raise not_found("Learning path")
    return path


def skill_list(*, actor: Person) -> QuerySet:
    return Skill.objects.filter(tenant_id=actor.tenant_id).prefetch_related("courses").order_by("name", "id")


def access_skill(*, actor: Person, skill_id: int) -> Skill:
    skill = Skill.objects.filter(tenant_id=actor.tenant_id, pk=skill_id).prefetch_related("courses").first()
    if skill is None:
        raise not_found("Skill")
    return skill


def target_object(*, tenant_id: int, target_type: str, target_id: int):
    model = TARGET_MODELS.get(target_type)
    if model is None:
        return None
    return model.objects.filter(tenant_id=tenant_id, pk=target_id).first()


def target_is_assignable(target) -> bool:
    return target.status == ACTIVE


def target_required_course_ids(*, target_type: str, target_id: int) -> list[int]:
    """The courses whose completion completes the target (a path's required items, a skill's courses)."""
    if target_type == "course":
        return [target_id]
    if target_type == "path":
        return list(
            PathItem.objects.filter(path_id=target_id, required=True)
            .order_by("position")
            .values_list("course_id", flat=True)
        )
    return list(SkillCourse.objects.filter(skill_id=target_id).values_list("course_id", flat=True))


def target_estimated_minutes(*, target_type: str, target_id: int) -> int:
    ids = target_required_course_ids(target_type=target_type, target_id=target_id)
    return sum(Course.objects.filter(pk__in=ids).values_list("estimated_minutes", flat=True))


def course_minutes(*, course_ids: list[int]) -> dict[int, int]:
    """Each course's estimated minutes (one query)."""
    return dict(Course.objects.filter(pk__in=course_ids).values_list("pk", "estimated_minutes"))


def courses_satisfying(*, tenant_id: int, course_ids: list[int]) -> dict[int, set[int]]:
    """For each course, the courses whose completion satisfies it (itself and its declared equivalents)."""
    result = {c: {c} for c in course_ids}
    for course, satisfies in CourseEquivalence.objects.filter(
        tenant_id=tenant_id, satisfies_id__in=course_ids
    ).values_list("course_id", "satisfies_id"):
        result[satisfies].add(course)
    return result


def targets_containing_course(*, course_id: int) -> list[tuple[str, int]]:
    """The course itself and the paths (as a required item) and skills it is part of: whose estimate it adds to."""
    paths = PathItem.objects.filter(course_id=course_id, required=True).values_list("path_id", flat=True).distinct()
    skills = SkillCourse.objects.filter(course_id=course_id).values_list("skill_id", flat=True).distinct()
    return [("course", course_id), *(("path", p) for p in paths), *(("skill", s) for s in skills)]


def targets_touched_by_courses(*, tenant_id: int, course_ids: list[int]) -> list[tuple[str, int]]:
    """Every target whose completion may change when these courses are completed (through equivalences too)."""
    satisfied = set(course_ids) | set(
        CourseEquivalence.objects.filter(tenant_id=tenant_id, course_id__in=course_ids).values_list(
            "satisfies_id", flat=True
        )
    )
    targets = [("course", c) for c in satisfied]
    targets += [
        ("path", p)
        for p in PathItem.objects.filter(course_id__in=satisfied).values_list("path_id", flat=True).distinct()
    ]
    targets += [
        ("skill", s)
        for s in SkillCourse.objects.filter(course_id__in=satisfied).values_list("skill_id", flat=True).distinct()
    ]
    return targets


def target_title_sql(table_alias: str) -> str:
    """SQL for the title of the target a row of `table_alias` points at (target_type, target_id, tenant_id);
    '' when it is gone, as in `target_titles`."""
    quote = connection.ops.quote_name
    branches = " ".join(
        f"WHEN '{kind}' THEN (SELECT t.{quote('name' if kind == 'skill' else 'title')} "
        f"FROM {quote(model._meta.db_table)} t "
        f"WHERE t.id = {table_alias}.target_id AND t.tenant_id = {table_alias}.tenant_id)"
        for kind, model in TARGET_MODELS.items()
    )
    return f"COALESCE(CASE {table_alias}.target_type {branches} END, '')"


def target_titles(*, tenant_id: int, targets: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    titles: dict[tuple[str, int], str] = {}
    by_type: dict[str, list[int]] = {}
    for kind, pk in targets:
        by_type.setdefault(kind, []).append(pk)
    for kind, ids in by_type.items():
        field = "name" if kind == "skill" else "title"
        for pk, title in TARGET_MODELS[kind].objects.filter(tenant_id=tenant_id, pk__in=ids).values_list("id", field):
            titles[(kind, pk)] = title
    return titles
