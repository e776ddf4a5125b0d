"""What the assigning forms offer to pick from: the active catalog, the groups and the org units (the bulk
wizard and the training configuration form alike)."""

from collections.abc import Iterable

from duecourse.assignments.forms import target_choices
from duecourse.catalog import selectors as catalog_selectors
from duecourse.catalog.models import ACTIVE
from duecourse.groups import permissions as group_permissions
from duecourse.groups import selectors as group_selectors
from duecourse.people import selectors as people_selectors
from duecourse.people.models import OrgUnit, Person

ORG_UNIT_FIELDS = (("departments", OrgUnit.DEPARTMENT), ("sites", OrgUnit.SITE), ("regions", OrgUnit.REGION))


def active_targets(actor: Person) -> list:
    """Grouped `type:id` choices of the active courses, paths and skills."""
    return target_choices(
        courses=catalog_selectors.course_list(actor=actor, status=ACTIVE),
        paths=catalog_selectors.path_list(actor=actor, status=ACTIVE),
        skills=catalog_selectors.skill_list(actor=actor).filter(status=ACTIVE),
    )


def pickable_groups(actor: Person, *, named: Iterable[int] = ()) -> list:
    """The live groups; an archived one only where the configuration being edited already names it (so that
    saving does not drop it unasked: the form labels it as archived)."""
    if not group_permissions.can_view_groups(actor):
        return []
    named_ids = [gid for gid in named if isinstance(gid, int)]
    live = group_selectors.group_list(actor=actor, archived=False)
    if not named_ids:
        return list(live)
    kept = group_selectors.group_list(actor=actor, archived=True).filter(pk__in=named_ids)
    return sorted([*live, *kept], key=lambda g: (g.name, g.pk))


def org_unit_names(actor: Person) -> dict[str, list[str]]:
    """The department, site and region names, keyed by the audience field that names them."""
    return {key: people_selectors.org_unit_names(tenant_id=actor.tenant_id, kind=kind) for key, kind in ORG_UNIT_FIELDS}
