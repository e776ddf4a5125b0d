"""Every change to courses, learning paths, skills and equivalences goes through here."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from duecourse.catalog import permissions
from duecourse.catalog.inputs import CourseInput, PathInput, PathItemInput, SkillInput
from duecourse.catalog.limits import (
    MAX_CODE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_ESTIMATED_MINUTES,
    MAX_LAUNCH_URL_LENGTH,
    MAX_PATH_ITEMS,
    MAX_SKILL_NAME_LENGTH,
    MAX_TITLE_LENGTH,
)
from duecourse.catalog.models import (
    ARCHIVED,
    STATUSES,
    Course,
    CourseEquivalence,
    LearningPath,
    PathItem,
    Skill,
    SkillCourse,
)
from duecourse.catalog.signals import course_estimate_changed
from duecourse.core.audit import audit_record, changed_fields
from duecourse.core.errors import FieldError, ValidationFailed, forbidden
from duecourse.people.models import Person

STATUS_VALUES = {s for s, _label in STATUSES}


def _require_manager(actor: Person, action: str) -> None:
    if not permissions.can_manage_catalog(actor):
        raise forbidden(action)


def _text(values: dict[str, Any], key: str, errors: list[FieldError], *, limit: int, required: bool = False) -> None:
    """Strip a given text field in place (None is empty); a missing one is only an error when required."""
    if key not in values:
        if required:
            errors.append(FieldError(key, _("is required")))
        return
    value = (values[key] or "").strip()
    if required and not value:
        errors.append(FieldError(key, _("is required")))
    elif len(value) > limit:
        errors.append(FieldError(key, _("is longer than %(limit)s characters") % {"limit": limit}))
    elif "\x00" in value:
        errors.append(FieldError(key, _("contains a NUL character")))
    values[key] = value


def _status(values: dict[str, Any], errors: list[FieldError]) -> None:
    if "status" in values and values["status"] not in STATUS_VALUES:
        errors.append(
            FieldError("status", _("must be one of %(values)s") % {"values": ", ".join(sorted(STATUS_VALUES))})
        )


def _raise(errors: list[FieldError], what: str) -> None:
    if errors:
        raise ValidationFailed(
            detail=_("Invalid %(what)s: %(errors)s")
            % {"what": what, "errors": "; ".join(f"{e.field} {e.message}" for e in errors)},
            errors=errors,
        )


def _clean_course(tenant_id: int, course_input: CourseInput, course: Course | None) -> dict[str, Any]:
    """The given fields, cleaned; ValidationFailed naming every bad field."""
    data = course_input.given()
    errors: list[FieldError] = []
    _text(data, "code", errors, limit=MAX_CODE_LENGTH, required=course is None)
    _text(data, "title", errors, limit=MAX_TITLE_LENGTH, required=course is None)
    _text(data, "description", errors, limit=MAX_DESCRIPTION_LENGTH)
    _text(data, "launch_url", errors, limit=MAX_LAUNCH_URL_LENGTH)
    if data.get("launch_url") and not data["launch_url"].startswith(("http://", "https://")):
        errors.append(FieldError("launch_url", _("must be an http(s) URL")))
    if "estimated_minutes" in data:
        minutes = data["estimated_minutes"]
        if minutes is None:
            data["estimated_minutes"] = 0
        elif not 0 <= minutes <= MAX_ESTIMATED_MINUTES:
            errors.append(
                FieldError(
                    "estimated_minutes",
                    _("must be a whole number of minutes from 0 to %(max)s") % {"max": MAX_ESTIMATED_MINUTES},
                )
            )
    _status(data, errors)
    code = data.get("code")
    if (
        code
        and Course.objects.filter(tenant_id=tenant_id, code=code).exclude(pk__in=[course.pk] if course else []).exists()
    ):
        errors.append(FieldError("code", _("a course with code %(code)s already exists") % {"code": repr(code)}))
    _raise(errors, _("course"))
    return data


COURSE_FIELDS = ("code", "title", "description", "launch_url", "estimated_minutes", "status")


def course_snapshot(course: Course) -> dict[str, Any]:
    return {f: getattr(course, f) for f in COURSE_FIELDS}


def course_create(*, actor: Person, data: CourseInput) -> Course:
    _require_manager(actor, "create courses")
    clean = _clean_course(actor.tenant_id, data, None)
    with transaction.atomic():
        try:
            with transaction.atomic():
                course = Course.objects.create(
                    tenant_id=actor.tenant_id, **{k: clean[k] for k in COURSE_FIELDS if k in clean}
                )
        except IntegrityError:
            raise ValidationFailed.on(
                "code", _("a course with code %(code)s already exists") % {"code": repr(clean["code"])}
            ) from None
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="course.create",
            object_type="course",
            object_id=course.pk,
            after=course_snapshot(course),
        )
    return course


def course_update(*, actor: Person, course: Course, data: CourseInput) -> Course:
    _require_manager(actor, "change courses")
    clean = _clean_course(actor.tenant_id, data, course)
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        before = course_snapshot(course)
        for key in COURSE_FIELDS:
            if key in clean:
                setattr(course, key, clean[key])
        after = course_snapshot(course)
        if after != before:
            try:
                with transaction.atomic():
                    course.save()
            except IntegrityError:
                raise ValidationFailed.on(
                    "code", _("a course with code %(code)s already exists") % {"code": repr(course.code)}
                ) from None
            old, new = changed_fields(before, after)
            audit_record(
                tenant_id=actor.tenant_id,
                actor_id=actor.pk,
                action="course.update",
                object_type="course",
                object_id=course.pk,
                before=old,
                after=new,
            )
            if "estimated_minutes" in new:
                course_estimate_changed.send(sender=Course, tenant_id=actor.tenant_id, course_id=course.pk)
    return course


def _clean_items(tenant_id: int, items: list[PathItemInput] | None, errors: list[FieldError]) -> list[tuple[int, bool]]:
    if items is None:
        errors.append(FieldError("items", _("must be a list of {course_id, required}")))
        return []
    if len(items) > MAX_PATH_ITEMS:
        errors.append(FieldError("items", _("at most %(max)s items") % {"max": MAX_PATH_ITEMS}))
        return []
    clean: list[tuple[int, bool]] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        course_id, required = item.course_id, item.required
        if course_id in seen:
            errors.append(
                FieldError(f"items[{index}].course_id", _("course %(id)s is listed twice") % {"id": course_id})
            )
            continue
        seen.add(course_id)
        clean.append((course_id, required))
    known = dict(Course.objects.filter(tenant_id=tenant_id, pk__in=seen).values_list("id", "status"))
    for index, (course_id, _required) in enumerate(clean):
        if course_id not in known:
            errors.append(FieldError(f"items[{index}].course_id", _("no course with id %(id)s") % {"id": course_id}))
        elif known[course_id] == ARCHIVED:
            errors.append(FieldError(f"items[{index}].course_id", _("course %(id)s is archived") % {"id": course_id}))
    return clean


def _clean_path(tenant_id: int, path_input: PathInput, path: LearningPath | None) -> dict[str, Any]:
    data = path_input.given()
    errors: list[FieldError] = []
    _text(data, "title", errors, limit=MAX_TITLE_LENGTH, required=path is None)
    _text(data, "description", errors, limit=MAX_DESCRIPTION_LENGTH)
    _status(data, errors)
    if "items" in data:
        data["items"] = _clean_items(tenant_id, data["items"], errors)
    items = data.get("items")
    if items is None and path is not None:
        items = list(path.items.values_list("course_id", "required"))
    if not errors and not any(required for _course, required in (items or [])):
        errors.append(FieldError("items", _("a learning path needs at least one required course")))
    _raise(errors, _("learning path"))
    return data


def _path_snapshot(path: LearningPath) -> dict[str, Any]:
    return {
        "title": path.title,
        "description": path.description,
        "status": path.status,
        "items": [
            {"course_id": c, "required": r}
            for c, r in path.items.order_by("position").values_list("course_id", "required")
        ],
    }


def _set_path_items(path: LearningPath, items: list[tuple[int, bool]]) -> None:
    PathItem.objects.filter(path=path).delete()
    PathItem.objects.bulk_create(
        [
            PathItem(tenant_id=path.tenant_id, path=path, course_id=c, required=r, position=i)
            for i, (c, r) in enumerate(items)
        ]
    )


def path_create(*, actor: Person, data: PathInput) -> LearningPath:
    _require_manager(actor, "create learning paths")
    clean = _clean_path(actor.tenant_id, data, None)
    with transaction.atomic():
        path = LearningPath.objects.create(
            tenant_id=actor.tenant_id,
            title=clean["title"],
            description=clean.get("description", ""),
            status=clean.get("status", "draft"),
        )
        _set_path_items(path, clean["items"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="path.create",
            object_type="learning_path",
            object_id=path.pk,
            after=_path_snapshot(path),
        )
    return path


def path_update(*, actor: Person, path: LearningPath, data: PathInput) -> LearningPath:
    _require_manager(actor, "change learning paths")
    clean = _clean_path(actor.tenant_id, data, path)
    with transaction.atomic():
        path = LearningPath.objects.select_for_update().get(pk=path.pk)
        before = _path_snapshot(path)
        for key in ("title", "description", "status"):
            if key in clean:
                setattr(path, key, clean[key])
        path.save()
        if "items" in clean:
            _set_path_items(path, clean["items"])
        old, new = changed_fields(before, _path_snapshot(path))
        if new:
            audit_record(
                tenant_id=actor.tenant_id,
                actor_id=actor.pk,
                action="path.update",
                object_type="learning_path",
                object_id=path.pk,
                before=old,
                after=new,
            )
    return path


def _clean_skill(tenant_id: int, skill_input: SkillInput, skill: Skill | None) -> dict[str, Any]:
    data = skill_input.given()
    errors: list[FieldError] = []
    _text(data, "name", errors, limit=MAX_SKILL_NAME_LENGTH, required=skill is None)
    _text(data, "description", errors, limit=MAX_DESCRIPTION_LENGTH)
    _status(data, errors)
    if "course_ids" in data:
        ids = data["course_ids"]
        if ids is None:
            errors.append(FieldError("course_ids", _("must be a list of course ids")))
        else:
            known = set(Course.objects.filter(tenant_id=tenant_id, pk__in=ids).values_list("id", flat=True))
            unknown = sorted(set(ids) - known)
            if unknown:
                errors.append(
                    FieldError("course_ids", _("no course with id %(id)s") % {"id": ", ".join(map(str, unknown[:10]))})
                )
            data["course_ids"] = sorted(set(ids))
    name = data.get("name")
    same_name = Skill.objects.filter(tenant_id=tenant_id, name=name).exclude(pk__in=[skill.pk] if skill else [])
    if name and same_name.exists():
        errors.append(FieldError("name", _("a skill named %(name)s already exists") % {"name": repr(name)}))
    # As a path needs a required course: a skill with no course could never be completed, so its open
    # assignments would stay open for ever.
    course_ids = data.get("course_ids")
    if course_ids is None and skill is not None:
        course_ids = list(skill.courses.values_list("id", flat=True))
    if not errors and not course_ids:
        errors.append(FieldError("course_ids", _("a skill needs at least one course")))
    _raise(errors, _("skill"))
    return data


def _set_skill_courses(skill: Skill, course_ids: list[int]) -> None:
    SkillCourse.objects.filter(skill=skill).delete()
    SkillCourse.objects.bulk_create(
        [SkillCourse(tenant_id=skill.tenant_id, skill=skill, course_id=c) for c in course_ids]
    )


def skill_create(*, actor: Person, data: SkillInput) -> Skill:
    _require_manager(actor, "create skills")
    clean = _clean_skill(actor.tenant_id, data, None)
    with transaction.atomic():
        skill = Skill.objects.create(
            tenant_id=actor.tenant_id,
            name=clean["name"],
            description=clean.get("description", ""),
            status=clean.get("status", "active"),
        )
        _set_skill_courses(skill, clean.get("course_ids", []))
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="skill.create",
            object_type="skill",
            object_id=skill.pk,
            after={"name": skill.name, "course_ids": clean.get("course_ids", [])},
        )
    return skill


def skill_update(*, actor: Person, skill: Skill, data: SkillInput) -> Skill:
    _require_manager(actor, "change skills")
    clean = _clean_skill(actor.tenant_id, data, skill)
    with transaction.atomic():
        skill = Skill.objects.select_for_update().get(pk=skill.pk)
        for key in ("name", "description", "status"):
            if key in clean:
                setattr(skill, key, clean[key])
        skill.save()
        if "course_ids" in clean:
            _set_skill_courses(skill, clean["course_ids"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="skill.update",
            object_type="skill",
            object_id=skill.pk,
            after={k: v for k, v in clean.items()},
        )
    return skill


def equivalence_create(*, actor: Person, course_id: int, satisfies_id: int) -> CourseEquivalence:
    """Declare that completing `course_id` satisfies `satisfies_id` (both courses of the actor's tenant)."""
    _require_manager(actor, "declare equivalences")
    found = {c.pk: c for c in Course.objects.filter(tenant_id=actor.tenant_id, pk__in=[course_id, satisfies_id])}
    for field, pk in (("course_id", course_id), ("satisfies_id", satisfies_id)):
        if pk not in found:
            raise ValidationFailed.on(field, _("no course with id %(id)s") % {"id": pk})
    course, satisfies = found[course_id], found[satisfies_id]
    if course.pk == satisfies.pk:
        raise ValidationFailed.on("satisfies_id", _("a course cannot be equivalent to itself"))
    with transaction.atomic():
        equivalence, created = CourseEquivalence.objects.get_or_create(
            tenant_id=actor.tenant_id, course=course, satisfies=satisfies
        )
        if created:
            audit_record(
                tenant_id=actor.tenant_id,
                actor_id=actor.pk,
                action="equivalence.create",
                object_type="course",
                object_id=satisfies.pk,
                after={"course_id": course.pk, "satisfies_id": satisfies.pk},
            )
    return equivalence


def equivalence_delete(*, actor: Person, equivalence: CourseEquivalence) -> None:
    _require_manager(actor, "remove equivalences")
    with transaction.atomic():
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="equivalence.delete",
            object_type="course",
            object_id=equivalence.satisfies_id,
            before={"course_id": equivalence.course_id},
        )
        equivalence.delete()
