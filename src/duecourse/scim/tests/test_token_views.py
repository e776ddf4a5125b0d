"""The Provisioning (SCIM) page: the base URL to paste, a new token shown once, revoking with a confirmation,
and the identity provider's latest changes."""

import datetime as dt
import re

from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.audit import audit_record
from duecourse.core.models import AuditEvent
from duecourse.scim.models import ScimToken
from duecourse.scim.token_presenters import activity_row
from duecourse.scim.tokens import scim_actor, scim_token_authenticate, scim_token_create
from duecourse.testing.web import field_error, text

PAGE = "/settings/provisioning/"


def test_the_page_gives_the_base_url_and_shows_a_new_token_once(signed_in, admin, settings):
    settings.BASE_URL = "https://learning.acme.test"
    client = signed_in(admin)

    page = text(client.get(PAGE))
    assert '<code id="scim-url">https://learning.acme.test/scim/v2/</code>' in page
    assert 'data-copy="#scim-url"' in page and "No SCIM tokens yet" in page

    created = client.post(f"{PAGE}tokens/", {"name": "Microsoft Entra ID"})
    html = text(created)
    secret = re.search(r'<code id="new-scim-token">([^<]+)</code>', html).group(1)
    assert created.status_code == 200 and 'data-copy="#new-scim-token"' in html
    assert "no-store" in created["Cache-Control"]  # the secret stays in no browser or proxy cache
    assert scim_token_authenticate(secret).name == "Microsoft Entra ID"

    again = text(client.get(PAGE))
    assert secret not in again and "new-scim-token" not in again
    assert "Microsoft Entra ID" in again and ScimToken.objects.get().prefix in again and "Never" not in again


def test_revoking_asks_first_and_stops_the_token(signed_in, admin):
    token, secret = scim_token_create(actor=admin, name="Okta")
    client = signed_in(admin)
    page = text(client.get(PAGE))
    assert f'action="{PAGE}tokens/{token.pk}/revoke/" data-confirm="Revoke SCIM token Okta?' in page

    response = client.post(f"{PAGE}tokens/{token.pk}/revoke/", follow=True)

    assert "SCIM token Okta is revoked" in text(response)
    assert scim_token_authenticate(secret) is None
    assert "Revoked" in text(response) and f"tokens/{token.pk}/revoke/" not in text(response)


def test_a_bad_name_is_shown_beside_the_field_and_creates_nothing(signed_in, admin):
    response = signed_in(admin).post(f"{PAGE}tokens/", {"name": "x" * 101})

    assert response.status_code == 422
    assert field_error(text(response), "name")
    assert "new-scim-token" not in text(response) and not ScimToken.objects.exists()


def test_another_tenants_token_cannot_be_revoked_from_here(signed_in, admin, other_tenant, make_person):
    theirs, secret = scim_token_create(actor=make_person(other_tenant, roles=("admin",)), name="Theirs")

    response = signed_in(admin).post(f"{PAGE}tokens/{theirs.pk}/revoke/")

    assert response.status_code == 404
    assert scim_token_authenticate(secret) is not None


def test_the_latest_changes_by_the_identity_provider_are_listed(signed_in, admin, learner, tenant, other_tenant):
    token, secret = scim_token_create(actor=admin, name="Entra ID")
    scim_token_authenticate(secret)
    by_scim = audit_actor(scim_actor(token))
    audit_record(
        tenant_id=tenant.pk,
        **by_scim,
        action="person.update",
        object_type="person",
        object_id=learner.pk,
        before={"name": learner.name, "department": "Sales"},
        after={"department": "Engineering", "manager_id": 3},
    )
    audit_record(
        tenant_id=tenant.pk, **by_scim, action="group.archive", object_type="group", object_id=7,
        before={"name": "Engineering"}, after={"archived_reason": "removed by the identity provider"},
    )  # fmt: skip
    audit_record(
        tenant_id=tenant.pk, **audit_actor(SystemActor(tenant.pk, "Rule: Fire safety")), action="rule.update",
        object_type="rule", object_id=1,
    )  # fmt: skip
    audit_record(
        tenant_id=other_tenant.pk, **by_scim, action="person.create", object_type="person", object_id=99,
        after={"name": "Someone Else"},
    )  # fmt: skip

    page = text(signed_in(admin).get(PAGE))
    activity = page.split('id="scim-activity"')[1].split("</table>")[0]

    rows = re.findall(r"<tr>\s*<td class=\"nowrap\">.*?</tr>", activity, re.S)
    assert len(rows) == 2
    assert "Archived group Engineering" in rows[0] and "Entra ID" in rows[0]
    assert f'href="/people/{learner.pk}/">Changed person Lena Learner (department, manager id)' in rows[1]
    assert "Rule: Fire safety" not in activity and "Someone Else" not in activity


def test_a_deactivation_by_the_identity_provider_reads_as_one():
    event = AuditEvent(
        action="person.update",
        object_type="person",
        object_id=5,
        actor_label="SCIM: Okta",
        before={"name": "Ann Example", "active": True},
        after={"active": False},
        at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
    )

    row = activity_row(event)

    assert (row.what, row.connection) == ("Deactivated person Ann Example", "Okta")


def test_the_page_costs_the_same_few_queries_however_many_tokens_and_changes(
    signed_in, admin, tenant, django_assert_max_num_queries
):
    client = signed_in(admin)
    for index in range(8):
        token, secret = scim_token_create(actor=admin, name=f"Connection {index}")
        scim_token_authenticate(secret)
        for _ in range(3):
            audit_record(
                tenant_id=tenant.pk,
                **audit_actor(scim_actor(token)),
                action="person.create",
                object_type="person",
                object_id=1,
                after={"name": f"Person {index}"},
            )

    with django_assert_max_num_queries(12):
        page = text(client.get(PAGE))

    tokens = page.split('id="scim-token-table"')[1].split("</table>")[0]
    activity = page.split('id="scim-activity"')[1].split("</table>")[0]
    assert tokens.count("<tr>") == 1 + 8  # the header and every token
    assert activity.count("<tr>") == 1 + 10  # the header and the latest ten changes
