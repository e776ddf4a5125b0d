"""The Content-Security-Policy: every response carries a strict one, and no page needs it relaxed.

No template may hold an inline script, an inline event handler (`on…=`, or htmx's `hx-on`, which
evaluates code), a style attribute or a style element; app.js and app.css do that work.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

import duecourse
from duecourse.assignments.models import Assignment
from duecourse.groups.models import Group
from duecourse.people.services import person_set_password
from duecourse.testing.factories import assign, make_course, org_unit

SRC = Path(duecourse.__file__).parent
# Emails are not pages: mail clients need inline styles, and no browser loads them under our policy.
EMAIL_TEMPLATES = SRC / "notifications" / "templates" / "notifications" / "email"
INLINE_CODE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\shx-on\b", re.I), "hx-on (htmx evaluates it as script)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
]


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


class InlineCodeFinder(HTMLParser):
    """Collects what the policy would block in a rendered page."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("an inline <script>")
        if tag == "style":
            self.problems.append("a <style> element")
        for name in names:
            if name.startswith(("on", "hx-on")) or name == "style":
                self.problems.append(f"<{tag} {name}=…>")


def inline_code_in(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def signed_in(person) -> Client:
    person_set_password(person=person, password="correct-horse-battery")
    client = Client()
    client.force_login(type(person).objects.get(pk=person.pk).user)
    return client


@pytest.fixture
def company(tenant, make_person):
    admin = make_person(tenant, roles=("admin",), name="Ada Admin")
    manager = make_person(tenant, name="Mia Manager")
    site = org_unit(tenant, "site", "Leeds")
    learner = make_person(tenant, name="Leo Learner", manager=manager, site=site)
    course = make_course(tenant, title="Fire safety")
    assignment = assign(admin, learner, course)
    Assignment.objects.filter(pk=assignment.pk).update(progress=40)
    group = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
    return {
        "admin": admin,
        "manager": manager,
        "learner": learner,
        "course": course,
        "assignment": assignment,
        "group": group,
        "site": site,
    }


def pages(company) -> list[tuple[str, str]]:
    """(who, url): the pages the browser tests visit, and the htmx fragments they load."""
    learner, assignment = company["learner"], company["assignment"]
    return [
        ("admin", "/"),
        ("admin", "/learning/summary/"),
        ("admin", "/people/"),
        ("admin", "/people/?q=leo"),
        ("admin", f"/people/{learner.pk}/"),
        ("admin", f"/people/{learner.pk}/edit/"),
        ("admin", "/groups/"),
        ("admin", "/groups/new/"),
        ("admin", "/groups/new/?kind=dynamic"),
        ("admin", "/groups/rule-row/?key=1"),
        ("admin", "/groups/people-picker/?q=leo"),
        ("admin", f"/groups/member-chip/?person_id={learner.pk}"),
        ("admin", f"/groups/{company['group'].pk}/"),
        ("admin", "/groups/sites/"),
        ("admin", "/groups/sites/?q=lee"),
        ("admin", f"/groups/sites/{company['site'].pk}/"),
        ("admin", f"/groups/sites/{company['site'].pk}/?q=leo&active="),
        ("admin", "/catalog/"),
        ("admin", f"/catalog/courses/{company['course'].pk}/"),
        ("admin", "/assign/"),
        ("admin", "/assign/people-picker/?picker_q=leo"),
        ("admin", f"/assign/person-chip/?person_id={learner.pk}"),
        ("admin", f"/assign/person/{learner.pk}/"),
        ("admin", f"/assign/person/{learner.pk}/training/"),
        ("admin", "/audit/"),
        ("admin", "/settings/"),
        ("admin", "/notifications/"),
        ("admin", "/notifications/settings/"),
        ("admin", "/notifications/bell/"),
        ("admin", "/password/change/"),
        ("manager", "/team/"),
        ("manager", f"/team/?manager={company['manager'].pk}"),
        ("learner", "/learning/"),
        ("learner", f"/learning/{assignment.pk}/"),
    ]


def test_every_page_has_a_strict_policy(client, db):  # db: the login page asks whether any tenant has SSO
    policy = policy_of(client.get("/login/"))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in client.get("/login/")["Content-Security-Policy"]


def test_signed_in_pages_and_the_api_carry_the_policy_too(company, api_as):
    admin = company["admin"]

    assert policy_of(signed_in(admin).get("/people/"))["script-src"] == ["'self'"]
    assert policy_of(api_as(admin).get("me"))["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    "template", sorted(p for p in SRC.rglob("templates/**/*.html") if EMAIL_TEMPLATES not in p.parents), ids=str
)
def test_no_template_holds_inline_code(template):
    text = template.read_text()

    found = [what for pattern, what in INLINE_CODE if pattern.search(text)]

    assert found == [], f"{template.relative_to(SRC)}: {', '.join(found)}"


def test_rendered_pages_hold_no_inline_code(company):
    clients = {who: signed_in(company[who]) for who in ("admin", "manager", "learner")}
    problems = {}
    for who, url in [("anonymous", "/login/"), ("anonymous", "/password/forgot/"), *pages(company)]:
        response = (clients.get(who) or Client()).get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        assert response["Content-Security-Policy"], url
        if found := inline_code_in(response.content.decode()):
            problems[url] = found

    assert problems == {}


def test_the_htmx_config_keeps_htmx_inside_the_policy(client, db):
    html = client.get("/login/").content.decode()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1)

    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config
