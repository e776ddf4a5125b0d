"""Fragments the groups app contributes to other apps' pages, so those apps need not import groups."""

from typing import cast

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from duecourse.groups import permissions, selectors
from duecourse.groups.signals import AudienceTab
from duecourse.groups.signals import audience_tabs as audience_tabs_signal

register = template.Library()


@register.inclusion_tag("groups/_person_groups.html")
def person_groups(actor, person):
    """The "Groups" card of a person's page: shown to those who may see groups."""
    if not permissions.can_view_groups(actor):
        return {"visible": False}
    return {"visible": True, "groups": list(selectors.groups_of_person(person=person))}


@register.simple_tag
def org_unit_link(actor, unit) -> str:
    """A person's department, site or region: a link to its page for those who may see it, else its name
    ("—" when there is none)."""
    if unit is None:
        return "—"
    if not permissions.can_view_groups(actor):
        return unit.name
    return format_html('<a href="{}">{}</a>', audience_page_url(unit.kind, unit.pk), unit.name)


def audience_page_url(kind: str, object_id: int) -> str:
    """The audience's own page: a group's, or a department's, site's or region's (with its people)."""
    if kind == "group":
        return reverse("groups:detail", args=[object_id])
    return reverse("groups:org-unit-detail", args=[kind, object_id])


@register.inclusion_tag("groups/_audience_tabs.html")
def audience_tabs(actor, kind: str, object_id: int, active: str = "people"):
    """The tab bar of a group, department, site or region page: its people, then what other apps add."""
    tabs = [AudienceTab("people", _("Members") if kind == "group" else _("People"), audience_page_url(kind, object_id))]
    for _receiver, answer in audience_tabs_signal.send(sender=None, actor=actor, kind=kind, object_id=object_id):
        tabs.extend(cast("list[AudienceTab] | None", answer) or [])  # django-stubs types answers as str
    return {"tabs": tabs, "active": active}
