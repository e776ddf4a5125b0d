"""Departments, sites and regions as audiences beside groups: their kinds, labels and URL segments."""

from duecourse.people.models import OrgUnit

KINDS: tuple[str, ...] = tuple(kind for kind, _label in OrgUnit.KINDS)
LABELS: dict[str, str] = dict(OrgUnit.KINDS)
PLURAL_LABELS: dict[str, str] = {kind: f"{label}s" for kind, label in OrgUnit.KINDS}


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
