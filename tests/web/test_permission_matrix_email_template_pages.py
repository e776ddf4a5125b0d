"""The email-template editor × every role × own and other tenant.

Rule (notifications/permissions.py `can_manage_email_templates`): only admins see the pages, preview,
save and reset; everyone else gets 403; a sample person of another tenant is 404 for an admin (and a
kind of email that does not exist is 404 for everyone signed in); anonymous visitors are sent to sign
in. A refused request changes nothing.
"""

import pytest

from duecourse.core.models import AuditEvent
from duecourse.notifications.models import MessageTemplate
from duecourse.testing.web import signed_in

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anonymous")
LOGIN = 302
DRAFT = {"subject": "Hi {{ person.name }}", "body_text": "{{ count }}", "body_html": "<p>{{ person.name }}</p>"}

# fmt: off
MATRIX = [
    # method  path                                          sample     adm  ins  hr   mgr  lrn  anon
    ("GET",   "/settings/emails/",                          None,      200, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/reminder/",                 None,      200, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/reminder/it/",              "own",     200, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/reminder/it/",              "foreign", 404, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/bogus/",                    None,      404, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/people/?q=per",             None,      200, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/reminder/preview/",         "own",     200, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/reminder/preview/",         "foreign", 404, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/reminder/preview.html",     "own",     200, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/reminder/preview.html",     "foreign", 404, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/reminder/it/preview.html",  "own",     200, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/reminder/preview.html",     None,      405, 405, 405, 405, 405, 405),
    ("POST",  "/settings/emails/digest/it/",                None,      302, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/digest/it/",                "foreign", 404, 403, 403, 403, 403, LOGIN),
    ("POST",  "/settings/emails/overdue/reset/",            None,      302, 403, 403, 403, 403, LOGIN),
    ("GET",   "/settings/emails/overdue/reset/",            None,      405, 405, 405, 405, 405, 405),
]
# fmt: on


def _cases():
    for method, path, sample, *statuses in MATRIX:
        assert len(statuses) == len(ROLES)
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(method, path, sample, role, status, id=f"{method} {path} [{sample or '-'}] as {role}")


@pytest.fixture
def world(tenant, other_tenant, make_person):
    people = {
        "admin": make_person(tenant, roles=("admin",)),
        "instructor": make_person(tenant, roles=("instructor",)),
        "hr": make_person(tenant, roles=("hr",)),
        "manager": make_person(tenant),
        "learner": make_person(tenant),
    }
    make_person(tenant, manager=people["manager"])
    MessageTemplate.objects.create(tenant=tenant, kind="overdue", subject="Late", body_text="x")
    MessageTemplate.objects.create(tenant=other_tenant, kind="overdue", subject="Late", body_text="x")
    samples = {"own": people["learner"], "foreign": make_person(other_tenant)}
    return people, samples


def _state():
    return list(MessageTemplate.objects.order_by("pk").values_list("pk", "tenant_id", "kind", "language", "subject"))


@pytest.mark.parametrize(("method", "path", "sample", "role", "expected"), list(_cases()))
def test_email_template_pages_permission_matrix(client, world, method, path, sample, role, expected):
    people, samples = world
    if role != "anonymous":
        client = signed_in(people[role])
    data = dict(DRAFT) if method == "POST" else {}
    if sample:
        data["sample"] = samples[sample].pk
    audit_before, state_before = AuditEvent.objects.count(), _state()

    response = getattr(client, method.lower())(path, data)

    assert response.status_code == expected
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith("/login/")
    if expected >= 400 or role == "anonymous":
        assert AuditEvent.objects.count() == audit_before
        assert _state() == state_before
    if expected == 302 and role == "admin":
        assert AuditEvent.objects.count() == audit_before + 1
    if expected == 200 and path.endswith("preview.html"):  # the email as sent to the sample person
        assert response.content.decode() == f"<p>{samples['own'].name}</p>"
    if expected == 200 and path.startswith("/settings/emails/people/"):
        options = response.content.decode()
        assert f'value="{samples["own"].pk}"' in options and f'value="{samples["foreign"].pk}"' not in options


def test_the_organisation_settings_link_to_the_email_templates(world):
    people, _ = world
    assert 'href="/settings/emails/"' in signed_in(people["admin"]).get("/settings/").content.decode()
