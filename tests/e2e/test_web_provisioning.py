"""End to end in a real browser: an admin opens Provisioning (SCIM) from the organisation settings, creates a
token, copies it once, revokes it after confirming; and a configuration whose group the identity provider
removed says so on its page and in the Training list. No Content-Security-Policy violation on the way."""

import pytest

from duecourse.assignments import living_rules
from duecourse.assignments.inputs import RuleInput
from duecourse.core.actors import SystemActor
from duecourse.groups import services as group_services
from duecourse.groups.inputs import GroupInput
from duecourse.scim.models import ScimToken
from duecourse.scim.tokens import scim_token_authenticate
from duecourse.testing.factories import make_course, make_person, target
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: seen.append(f"uncaught: {error}"))
    return seen


def test_admin_creates_copies_and_revokes_a_scim_token(page, ada, sign_in, violations, screenshot, settings):
    from playwright.sync_api import expect

    settings.BASE_URL = "https://learning.acme.test"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(ada)
    click_nav(page, "Settings")
    page.get_by_role("link", name="Provisioning (SCIM)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Provisioning (SCIM)")
    expect(page.locator("#scim-url")).to_have_text("https://learning.acme.test/scim/v2/")
    page.get_by_label("Token name").fill("Microsoft Entra ID")
    page.get_by_role("button", name="Create SCIM token").click()

    secret = page.locator("#new-scim-token").inner_text()
    assert scim_token_authenticate(secret).name == "Microsoft Entra ID"
    copy = page.locator("[data-copy='#new-scim-token']")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "provisioning-scim.png")

    page.goto("/settings/provisioning/")  # the secret was in that one response only
    expect(page.locator("#new-scim-token")).to_have_count(0)
    row = page.locator("#scim-token-table tbody tr", has_text="Microsoft Entra ID")
    expect(row).to_contain_text("Active")

    page.once("dialog", lambda dialog: dialog.dismiss())  # data-confirm asks first; "Cancel" keeps it
    row.get_by_role("button", name="Revoke SCIM token Microsoft Entra ID").click()
    expect(row).to_contain_text("Active")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke SCIM token Microsoft Entra ID").click()

    expect(page.get_by_text("SCIM token Microsoft Entra ID is revoked")).to_be_visible()
    expect(page.locator("#scim-token-table tbody tr", has_text="Microsoft Entra ID")).to_contain_text("Revoked")
    assert scim_token_authenticate(secret) is None
    assert ScimToken.objects.get().revoked_at is not None
    assert violations == []


def test_a_configuration_says_its_group_was_removed_by_the_identity_provider(page, tenant, ada, sign_in, violations):
    from playwright.sync_api import expect

    engineers = [make_person(tenant, name=f"Engineer {i}") for i in range(2)]
    group = group_services.group_create(
        actor=ada, data=GroupInput(name="Engineering", kind="static", member_ids=[p.pk for p in engineers])
    )
    living_rules.rule_create(
        actor=ada,
        data=RuleInput.model_validate(
            {
                "name": "Secure coding",
                "audience": {"group_ids": [group.pk], "everyone": True},
                "items": [{"target": target(make_course(tenant, title="Secure coding"))}],
            }
        ),
    )
    group_services.group_archive(
        actor=SystemActor(tenant.pk, "SCIM: Entra ID"), group=group, reason=group_services.ARCHIVED_BY_IDENTITY_PROVIDER
    )
    sign_in(ada)

    page.goto("/training/")
    row = page.locator("#training-table tbody tr", has_text="Secure coding")
    expect(row.locator("[data-archived-group]")).to_contain_text(
        "Group Engineering was removed by the identity provider on"
    )
    row.get_by_role("link", name="Secure coding").click()
    expect(page.locator(".alert[data-archived-group]")).to_contain_text(
        "this configuration now reaches nobody through it"
    )

    page.goto("/groups/")
    expect(page.locator("#groups-table")).not_to_contain_text("Engineering")
    page.get_by_label("Show archived").check()
    page.locator("#groups-table").get_by_role("link", name="Engineering").click()
    expect(page.locator("#group-archived")).to_contain_text("removed by the identity provider")
    expect(page.get_by_role("heading", name="Add members")).to_have_count(0)
    assert violations == []
