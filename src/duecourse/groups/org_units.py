"""Departments, sites and regions as audiences beside groups: their kinds, labels and URL segments."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from duecourse.people.models import OrgUnit

KINDS: tuple[str, ...] = tuple(kind for kind, _label in OrgUnit.KINDS)
# The people app's names of the kinds, in the page's language (its msgids "Department", "Site", "Region").
LABELS: dict[str, str | Promise] = {kind: gettext_lazy(label) for kind, label in OrgUnit.KINDS}  # noqa: INT001
PLURAL_LABELS: dict[str, str | Promise] = {
    OrgUnit.DEPARTMENT: gettext_lazy("Departments"),
    OrgUnit.SITE: gettext_lazy("Sites"),
    OrgUnit.REGION: gettext_lazy("Regions"),
}
# The plural inside a sentence ("No departments yet."): lower case in English, as each language writes it.
PLURAL_WORDS: dict[str, str | Promise] = {
    OrgUnit.DEPARTMENT: gettext_lazy("departments"),
    OrgUnit.SITE: gettext_lazy("sites"),
    OrgUnit.REGION: gettext_lazy("regions"),
}


def url_segment(kind: str) -> str:
    """The plural path segment of a kind: "site" → "sites" (/groups/sites/)."""
    return f"{kind}s"


class OrgUnitKindConverter:
    """`<org_unit_kind:kind>`: matches "departments", "sites" or "regions" and gives the view the kind
    ("site"); reversing takes the kind. Any other segment matches nothing, so it is a 404."""

    regex = "|".join(url_segment(kind) for kind in KINDS)

    def to_python(self, value: str) -> str:
        return next(kind for kind in KINDS if url_segment(kind) == value)

    def to_url(self, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"{value!r} is not a department, site or region")
        return url_segment(value)
