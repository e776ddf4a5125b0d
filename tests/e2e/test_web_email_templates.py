"""End to end in a real browser: an admin rewords the reminder email, watches the preview follow, saves it,
and a broken template is refused with the field named."""

import pytest

from duecourse.notifications.models import MessageTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_edits_the_reminder_email_with_a_live_preview(page, tenant, ada, sign_in, screenshot):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(ada)
    page.goto("/settings/")
    page.get_by_role("link", name="Email templates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email templates")
    page.get_by_role("link", name="Default Reminder, every language").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reminder email")
    expect(page.locator("#preview-subject")).to_contain_text("Reminder: Fire safety (due ")
    expect(page.locator("#variables")).to_contain_text("item.target_title")

    page.get_by_label("Subject").fill("Don't forget {{ item.target_title }}, {{ person.name }}")
    expect(page.locator("#preview-subject")).to_have_text("Don't forget Fire safety, Ada Lovelace")
    expect(page.frame_locator("#preview-html").get_by_text("Hello Ada Lovelace,")).to_be_visible()
    page.locator("#preview-heading").scroll_into_view_if_needed()
    screenshot(page, "email-template-editor.png")
    page.get_by_role("button", name="Save template").click()

    expect(page.get_by_text("Saved the “Reminder” email (every language).")).to_be_visible()
    [saved] = MessageTemplate.objects.filter(tenant=tenant, kind="reminder", language="")
    assert saved.subject == "Don't forget {{ item.target_title }}, {{ person.name }}"
    page.get_by_role("link", name="Email templates").first.click()
    expect(page.get_by_role("link", name="Customised Reminder, every language")).to_be_visible()

    # A template that cannot render: the preview says so, and saving is refused beside the field.
    page.get_by_role("link", name="Customised Reminder, every language").click()
    page.get_by_label("Text body").fill("{% if %}")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-error")).to_contain_text("body_text: TemplateSyntaxError")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator("#id_body_text_error")).to_contain_text("does not render: TemplateSyntaxError")
    saved.refresh_from_db()
    assert saved.body_text != "{% if %}"
    # The page's CSP holds in the preview frame too (srcdoc inherits it): no script runs anywhere; the
    # email's inline styles are the only thing it blocks there (docs/email-templates.md says so).
    blocked = [e for e in errors if "Content Security Policy" in e]
    assert all("style-src" in e for e in blocked), errors
