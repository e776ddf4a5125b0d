from django.contrib import admin
from django.urls import include, path

from duecourse.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("scim/v2/", include("duecourse.scim.urls")),
    path("api/method/", include("duecourse.compat.urls")),  # Frappe LMS (docs/migrating-from-frappe-lms.md)
    path("", include("duecourse.people.invitation_urls")),
    path("people/", include("duecourse.people.urls")),
    path("groups/", include("duecourse.groups.urls")),
    path("catalog/", include("duecourse.catalog.urls")),
    path("notifications/", include("duecourse.notifications.urls")),
    path("team/", include("duecourse.reports.urls")),
    path("tasks/", include("duecourse.workspace.urls")),  # Mandatory tasks (docs/workspace.md)
    path("reports/exports/", include("duecourse.reports.export_urls")),
    path("", include("duecourse.reports.dashboard_urls")),  # /reports/compliance/, /team/managers/
    path("", include("duecourse.sso.urls")),  # /login/sso/, its callback, /settings/sign-in/
    path("settings/emails/", include("duecourse.notifications.template_urls")),
    path("settings/outbox/", include("duecourse.notifications.outbox_urls")),  # held and failed emails
    path("settings/", include("duecourse.policy.urls")),
    path("settings/provisioning/", include("duecourse.scim.token_urls")),
    path("", include("duecourse.assignments.urls")),
    path("", include("duecourse.certificates.urls")),
    path("", include("duecourse.shell.urls")),
]

# Under /api/ even an unknown path or a malformed id answers the API's JSON error, not an HTML page.
handler400 = "duecourse.config.error_pages.bad_request"
handler404 = "duecourse.config.error_pages.not_found"
handler500 = "duecourse.config.error_pages.server_error"
