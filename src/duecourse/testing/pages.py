"""The main pages of each role in the demo company (`duecourse serve --demo`): what the accessibility and the
language tests open. `{profile}` is the signed-in person's own page."""

MAIN_PAGES: dict[str, list[str]] = {
    "learner": ["/", "/learning/", "/catalog/", "/notifications/", "/notifications/settings/", "{profile}"],
    "manager": ["/", "/team/", "/assign/", "/learning/"],
    "hr": [
        "/",
        "/reports/compliance/",
        "/reports/compliance/?by=group",
        "/team/managers/",
        "/tasks/",
        "/reports/exports/",
    ],
    "instructor": ["/", "/training/", "/catalog/", "/tasks/", "/assign/"],
    "admin": [
        "/",
        "/people/",
        "/groups/",
        "/settings/",
        "/tasks/",
        "/training/",
        "/assign/",
        "/audit/",
        "/certificates/",
        "/settings/emails/",
        "/settings/sign-in/",
        "/settings/provisioning/",
        "/settings/outbox/",
        "{profile}",
    ],
}
