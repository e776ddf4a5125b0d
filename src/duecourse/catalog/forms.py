"""Web forms for the catalog. They only shape browser input: the catalog services check every rule."""

import re
from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from duecourse.catalog.inputs import CourseInput, PathInput, PathItemInput, SkillInput
from duecourse.catalog.limits import MAX_SEARCH_LENGTH
from duecourse.catalog.models import STATUSES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
STATUS_FILTER_CHOICES = [("", _("Any status")), *STATUSES]
ITEM_ERROR = re.compile(r"^items\[(\d+)\](?:\.\w+)?$")


class CourseFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or code"), "autocomplete": "off"}),
    )
    status = forms.ChoiceField(required=False, choices=STATUS_FILTER_CHOICES)

    def filters(self) -> dict:
        """Valid filters as `course_list` keywords; an invalid one is ignored rather than an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"q": (data.get("q") or "").strip() or None, "status": data.get("status") or None}


def _status_field(help_text: "StrOrPromise") -> forms.ChoiceField:
    return forms.ChoiceField(choices=STATUSES, label=_("Status"), help_text=help_text)


class CourseForm(forms.Form):
    code = forms.CharField(
        required=False,
        label=_("Code"),
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off", "placeholder": _("e.g. HS-101")}),
    )
    title = forms.CharField(required=False, label=_("Title"), widget=forms.TextInput(attrs={"required": True}))
    description = forms.CharField(
        required=False,
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("What will people learn? (shown to learners)")}),
    )
    launch_url = forms.CharField(
        required=False,
        label=_("Launch URL"),
        help_text=_("Where the Begin button takes learners in your LMS."),
        widget=forms.URLInput(attrs={"placeholder": "https://lms.example.com/course/…"}),
    )
    estimated_minutes = forms.IntegerField(
        required=False,
        min_value=0,
        label=_("Estimated minutes"),
        help_text=_("Used to warn about heavy workloads when assigning."),
    )
    status = _status_field(_("Only active courses can be assigned. Archived courses stay in people’s history."))

    @classmethod
    def initial_for(cls, course) -> dict:
        return {f: getattr(course, f) for f in cls.base_fields}

    def to_input(self) -> CourseInput:
        """The valid form as the course services' input; an empty estimate is none (0)."""
        return CourseInput.model_validate(
            {**self.cleaned_data, "estimated_minutes": self.cleaned_data.get("estimated_minutes") or 0}
        )


class PathForm(forms.Form):
    title = forms.CharField(required=False, label=_("Title"), widget=forms.TextInput(attrs={"required": True}))
    description = forms.CharField(
        required=False,
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Who is this path for? (optional)")}),
    )
    status = _status_field(_("Only active paths can be assigned."))

    def to_input(self, items: list[tuple[int, bool]]) -> PathInput:
        """The editor as the path services' input, after `is_valid()`: a status the form refused stays
        out (its error is on the form already), so the service reports what else is wrong."""
        data = self.cleaned_data
        fields = {
            "title": data.get("title", ""),
            "description": data.get("description", ""),
            "items": [PathItemInput(course_id=course_id, required=required) for course_id, required in items],
        }
        if data.get("status"):
            fields["status"] = data["status"]
        return PathInput.model_validate(fields)


class SkillForm(forms.Form):
    name = forms.CharField(required=False, label=_("Name"), widget=forms.TextInput(attrs={"required": True}))
    description = forms.CharField(required=False, label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    status = _status_field(_("Only active skills can be assigned."))
    course_ids = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label=_("Linked courses"),
        help_text=_("The skill is complete when every linked course is complete."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "check-list"}),
    )

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(c.pk, f"{c.title} ({c.code})") for c in courses]
        cast(forms.ChoiceField, self.fields["course_ids"]).choices = choices

    def to_input(self) -> SkillInput:
        return SkillInput.model_validate(self.cleaned_data)


class EquivalenceForm(forms.Form):
    DIRECTIONS = [
        ("satisfies", _("Completing this course also counts for…")),
        ("satisfied_by", _("This course is satisfied by…")),
    ]

    direction = forms.ChoiceField(choices=DIRECTIONS, label=_("Relation"), initial="satisfies")
    other = forms.TypedChoiceField(coerce=int, label=_("Course"), empty_value=None)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a course…"))] + [(c.pk, f"{c.title} ({c.code})") for c in courses]
        cast(forms.ChoiceField, self.fields["other"]).choices = choices


class PathItemRow:
    """One course of a learning path as the editor shows it."""

    def __init__(self, course, required: bool):
        self.course = course
        self.required = required
        self.errors: list[str] = []


def path_rows_from_post(post) -> list[tuple[int, bool]]:
    """The editor's items in order: `item_course` repeated, `item_required` listing the required ones."""
    ids = [int(v) for v in post.getlist("item_course") if v.isdigit() and len(v) < 19]
    required = set(post.getlist("item_required"))
    return [(course_id, str(course_id) in required) for course_id in dict.fromkeys(ids)]


def apply_path_op(items: list[tuple[int, bool]], op: str, post) -> list[tuple[int, bool]]:
    """Add, remove or move one item (the editor's buttons); anything unknown leaves the list as it was."""
    items = list(items)
    action, _, raw_id = op.partition(":")
    if action == "add":
        raw = post.get("add_course", "")
        if raw.isdigit() and len(raw) < 19 and int(raw) not in {c for c, _required in items}:
            items.append((int(raw), post.get("add_required", "required") == "required"))
        return items
    index = next((i for i, (c, _) in enumerate(items) if str(c) == raw_id), None)
    if index is None:
        return items
    if action == "remove":
        items.pop(index)
    elif action == "up" and index > 0:
        items[index - 1], items[index] = items[index], items[index - 1]
    elif action == "down" and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]
    return items
