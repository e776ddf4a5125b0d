"""The web UI's navigation depends on roles; each entry asks the same permission rules the API uses."""

from django.urls import reverse

from duecourse.assignments import permissions as assignment_permissions
from duecourse.catalog import permissions as catalog_permissions
from duecourse.certificates import permissions as certificate_permissions
from duecourse.groups import permissions as group_permissions
from duecourse.people import permissions as people_permissions
from duecourse.people import roles
from duecourse.policy import permissions as policy_permissions
from duecourse.reports import permissions as report_permissions


def navigation_for(actor, current_path: str) -> list[dict]:
    is_manager = roles.has_reports(actor)
    items = [
        ("Home", "home", True),
        ("My learning", "assignments:my-learning", True),
        ("Team", "reports:team", is_manager),
        ("People", "people:list", roles.sees_whole_tenant(actor) or is_manager),
        ("Groups", "groups:list", group_permissions.can_view_groups(actor)),
        ("Catalog", "catalog:courses", catalog_permissions.can_view_catalog(actor)),
        ("Assign", "assignments:bulk", assignment_permissions.assigns_tenant_wide(actor) or is_manager),
        ("Training", "assignments:training-list", assignment_permissions.can_view_rules(actor)),
        ("Certificates", "certificates:list", certificate_permissions.can_open_certificates_page(actor)),
        ("Exports", "exports:page", report_permissions.can_run_exports(actor)),
        ("Audit log", "audit-log", people_permissions.can_view_audit_log(actor)),
        ("Settings", "policy:settings", policy_permissions.can_manage_settings(actor)),
    ]
    result = []
    for label, url_name, allowed in items:
        if not allowed:
            continue
        url = reverse(url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        result.append({"label": label, "url": url, "active": active})
    return result
