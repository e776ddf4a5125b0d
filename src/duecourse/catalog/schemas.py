from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.catalog.inputs import CourseInput, PathInput, SkillInput
from duecourse.catalog.limits import (
    MAX_CODE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_ESTIMATED_MINUTES,
    MAX_LAUNCH_URL_LENGTH,
    MAX_PATH_ITEMS,
    MAX_SEARCH_LENGTH,
    MAX_SKILL_COURSES,
    MAX_SKILL_NAME_LENGTH,
    MAX_TITLE_LENGTH,
)
from duecourse.core.api import Id, ListParams

Status = Literal["draft", "active", "archived"]


class CourseOut(Schema):
    id: int
    code: str
    title: str
    description: str
    launch_url: str
    estimated_minutes: int
    status: Status


class CourseList(Schema):
    count: int
    items: list[CourseOut]


class CourseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(..., max_length=MAX_CODE_LENGTH)
    title: str = Field(..., max_length=MAX_TITLE_LENGTH)
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    launch_url: str = Field("", max_length=MAX_LAUNCH_URL_LENGTH)
    estimated_minutes: int = Field(0, ge=0, le=MAX_ESTIMATED_MINUTES)
    status: Status = "draft"

    def to_input(self) -> CourseInput:
        return CourseInput.model_validate(self.model_dump())


class CoursePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, max_length=MAX_CODE_LENGTH)
    title: str | None = Field(None, max_length=MAX_TITLE_LENGTH)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    launch_url: str | None = Field(None, max_length=MAX_LAUNCH_URL_LENGTH)
    estimated_minutes: int | None = Field(None, ge=0, le=MAX_ESTIMATED_MINUTES)
    status: Status | None = None

    def to_input(self) -> CourseInput:
        return CourseInput.model_validate(self.model_dump(exclude_unset=True))


class CourseFilters(ListParams):
    q: str | None = Field(None, max_length=MAX_SEARCH_LENGTH)
    status: Status | None = None


class PathItemIO(Schema):
    course_id: Id
    required: bool = True


class PathOut(Schema):
    id: int
    title: str
    description: str
    status: Status
    items: list[PathItemIO]


class PathList(Schema):
    count: int
    items: list[PathOut]


class PathIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(..., max_length=MAX_TITLE_LENGTH)
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    status: Status = "draft"
    items: list[PathItemIO] = Field(..., max_length=MAX_PATH_ITEMS)

    def to_input(self) -> PathInput:
        return PathInput.model_validate(self.model_dump())


class PathPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=MAX_TITLE_LENGTH)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    status: Status | None = None
    items: list[PathItemIO] | None = Field(None, max_length=MAX_PATH_ITEMS)

    def to_input(self) -> PathInput:
        return PathInput.model_validate(self.model_dump(exclude_unset=True))


class PathFilters(ListParams):
    status: Status | None = None


class SkillOut(Schema):
    id: int
    name: str
    description: str
    status: Status
    course_ids: list[int]


class SkillList(Schema):
    count: int
    items: list[SkillOut]


class SkillIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=MAX_SKILL_NAME_LENGTH)
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    status: Status = "active"
    course_ids: list[Id] = Field([], max_length=MAX_SKILL_COURSES)

    def to_input(self) -> SkillInput:
        return SkillInput.model_validate(self.model_dump())


class SkillPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=MAX_SKILL_NAME_LENGTH)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    status: Status | None = None
    course_ids: list[Id] | None = Field(None, max_length=MAX_SKILL_COURSES)

    def to_input(self) -> SkillInput:
        return SkillInput.model_validate(self.model_dump(exclude_unset=True))


class EquivalenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    course_id: Id = Field(..., description="The course whose completion counts")
    satisfies_id: Id = Field(..., description="The course it satisfies")


class EquivalenceOut(Schema):
    id: int
    course_id: int
    satisfies_id: int


class EquivalenceList(Schema):
    count: int
    items: list[EquivalenceOut]
