from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from duecourse.core.models import TenantScopedModel

DRAFT, ACTIVE, ARCHIVED = "draft", "active", "archived"
STATUSES = [
    (DRAFT, pgettext_lazy("catalog status", "Draft")),
    (ACTIVE, pgettext_lazy("catalog status", "Active")),
    (ARCHIVED, pgettext_lazy("catalog status", "Archived")),
]


class Course(TenantScopedModel):
    code = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    launch_url = models.URLField(max_length=1000, blank=True, default="")
    estimated_minutes = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=STATUSES, default=DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "course"
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="course_unique_code")]
        indexes = [models.Index(fields=["tenant", "launch_url"], name="course_launch_url_idx")]
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class LearningPath(TenantScopedModel):
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default=DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "learning_path"
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class PathItem(TenantScopedModel):
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="path_items")
    position = models.PositiveIntegerField()
    required = models.BooleanField(default=True)

    class Meta:
        db_table = "path_item"
        constraints = [models.UniqueConstraint(fields=["path", "course"], name="path_item_unique_course")]
        ordering = ["path_id", "position"]

    def __str__(self) -> str:
        return f"{self.path_id}#{self.position}: {self.course_id}"


class Skill(TenantScopedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    courses = models.ManyToManyField(Course, through="SkillCourse", related_name="skills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "skill"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="skill_unique_name")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SkillCourse(TenantScopedModel):
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE)
    course = models.ForeignKey(Course, on_delete=models.PROTECT)

    class Meta:
        db_table = "skill_course"
        constraints = [models.UniqueConstraint(fields=["skill", "course"], name="skill_course_unique")]

    def __str__(self) -> str:
        return f"{self.skill_id}: {self.course_id}"


class CourseEquivalence(TenantScopedModel):
    """Completing `course` satisfies assignments of `satisfies`."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    satisfies = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "course_equivalence"
        constraints = [
            models.UniqueConstraint(fields=["course", "satisfies"], name="course_equivalence_unique"),
            models.CheckConstraint(condition=~Q(course=models.F("satisfies")), name="course_equivalence_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} satisfies {self.satisfies_id}"
