"""The web UI's navigation depends on roles; each entry asks the same permission rules the API uses."""

from django.urls import reverse

from duecourse.groups import rules as group_rules
from duecourse.people import rules as people_rules


def navigation_for(actor, current_path: str) -> list[dict]:
    items = [
        ("Home", "home", True),
        ("People", "people:list", people_rules.sees_whole_tenant(actor) or "manager" in actor.role_names),
        ("Groups", "groups:list", group_rules.can_view_groups(actor)),
        ("Audit log", "audit-log", people_rules.can_view_audit_log(actor)),
    ]
    result = []
    for label, url_name, allowed in items:
        if not allowed:
            continue
        url = reverse(url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        result.append({"label": label, "url": url, "active": active})
    return result
