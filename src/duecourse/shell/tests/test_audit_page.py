"""The audit page names who made each change: a person, or the system (and which rule, when one did)."""

import re

from django.test import Client

from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.people.services import person_set_password

PASSWORD = "correct-horse"


def signed_in(person) -> Client:
    person_set_password(person=person, password=PASSWORD)
    client = Client()
    response = client.post("/login/", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def who_column(html: str, action: str) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*?<code class=\"tag\">{re.escape(action)}</code>.*?</tr>", html, re.S).group(0)
    who = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", who)).strip()


def test_the_audit_page_shows_the_system_and_the_rule_it_acted_for(admin, tenant):
    client = signed_in(admin)
    system = SystemActor(tenant_id=tenant.pk)
    rule = SystemActor(tenant_id=tenant.pk, label="Rule: Drivers' safety")
    audit_record(tenant_id=tenant.pk, **audit_actor(admin), action="rule.create", object_type="rule", object_id=1)
    audit_record(tenant_id=tenant.pk, **audit_actor(rule), action="assignment.create", object_type="rule", object_id=1)
    audit_record(
        tenant_id=tenant.pk,
        **audit_actor(system),
        action="assignment.new_cycle",
        object_type="assignments",
        object_id=None,
    )

    html = client.get("/audit/").content.decode()

    assert who_column(html, "rule.create") == "Ada Admin"
    assert who_column(html, "assignment.create") == "System (Rule: Drivers&#x27; safety)"
    assert who_column(html, "assignment.new_cycle") == "System"
