"""Fragments the groups app contributes to other apps' pages, so those apps need not import groups."""

from django import template

from duecourse.groups import permissions, selectors

register = template.Library()


@register.inclusion_tag("groups/_person_groups.html")
def person_groups(actor, person):
    """The "Groups" card of a person's page: shown to those who may see groups."""
    if not permissions.can_view_groups(actor):
        return {"visible": False}
    return {"visible": True, "groups": list(selectors.groups_of_person(person=person))}
