"""What the catalog services take: built by the API schemas and by the forms alike.

On create a missing text field counts as empty; on update only the fields given change. Statuses stay
plain text here because the service names a wrong one as a field error (the status buttons post raw text).
"""

from duecourse.core.inputs import ServiceInput


class CourseInput(ServiceInput):
    code: str | None = None
    title: str | None = None
    description: str | None = None
    launch_url: str | None = None
    estimated_minutes: int | None = None
    status: str | None = None


class PathItemInput(ServiceInput):
    course_id: int
    required: bool = True


class PathInput(ServiceInput):
    title: str | None = None
    description: str | None = None
    status: str | None = None
    items: list[PathItemInput] | None = None


class SkillInput(ServiceInput):
    name: str | None = None
    description: str | None = None
    status: str | None = None
    course_ids: list[int] | None = None
