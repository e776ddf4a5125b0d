"""The web UI's navigation depends on roles; each entry asks the same permission rules the API uses.

The entries people open every day come first; the rest (set-up and occasional pages) go under "More"
when there are two or more of them, so an admin's bar stays short enough to read."""

from typing import NamedTuple

from django.urls import reverse
from django.utils.translation import gettext as _

from duecourse.assignments import permissions as assignment_permissions
from duecourse.catalog import permissions as catalog_permissions
from duecourse.certificates import permissions as certificate_permissions
from duecourse.groups import permissions as group_permissions
from duecourse.people import permissions as people_permissions
from duecourse.people import roles
from duecourse.policy import permissions as policy_permissions
from duecourse.reports import permissions as report_permissions
from duecourse.workspace import permissions as workspace_permissions


class Entry(NamedTuple):
    label: str  # in the language of the request
    url_name: str
    allowed: bool
    secondary: bool = False
    section: str = ""  # the path prefix the entry stands for, when not its own URL's (Team: /team/…)


def navigation_for(actor, current_path: str) -> list[dict]:
    """Each entry the actor may open, in order: label, url, whether it is the current page, and whether it
    sits under "More" (`secondary`)."""
    is_manager = roles.has_reports(actor)
    sees_tenant = roles.sees_whole_tenant(actor)
    entries = [
        Entry(_("Home"), "home", True),
        Entry(_("My learning"), "assignments:my-learning", True),
        # A manager's Team is their own; HR, admins and instructors without reports choose any manager's.
        Entry(
            _("Team"),
            "reports:team" if is_manager else "dashboard:team-managers",
            is_manager or report_permissions.can_view_tenant_reports(actor),
            section="/team/",
        ),
        Entry(_("Compliance"), "dashboard:compliance", report_permissions.can_view_tenant_reports(actor)),
        Entry(_("Mandatory tasks"), "workspace:tasks", workspace_permissions.can_view_workspace(actor)),
        Entry(_("People"), "people:list", sees_tenant or is_manager),
        Entry(_("Catalog"), "catalog:courses", catalog_permissions.can_view_catalog(actor)),
        Entry(_("Assign"), "assignments:bulk", assignment_permissions.assigns_tenant_wide(actor) or is_manager),
        Entry(_("Configurations"), "assignments:training-list", assignment_permissions.can_view_rules(actor)),
        Entry(_("Groups"), "groups:list", group_permissions.can_view_groups(actor), secondary=True),
        Entry(
            _("Certificates"),
            "certificates:list",
            certificate_permissions.can_open_certificates_page(actor),
            secondary=True,
        ),
        Entry(_("Audit log"), "audit-log", people_permissions.can_view_audit_log(actor), secondary=True),
        Entry(_("Settings"), "policy:settings", policy_permissions.can_manage_settings(actor), secondary=True),
    ]
    shown = [entry for entry in entries if entry.allowed]
    grouped = sum(entry.secondary for entry in shown) > 1  # "More" with one entry in it would only hide it
    result = []
    for entry in shown:
        url = reverse(entry.url_name)
        prefix = entry.section or url
        active = current_path == url if url == "/" else current_path.startswith(prefix)
        result.append({"label": entry.label, "url": url, "active": active, "secondary": entry.secondary and grouped})
    return result
