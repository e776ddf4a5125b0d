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
    frame = page.frame_locator("#preview-html")
    expect(frame.get_by_text("Hello Ada Lovelace,")).to_be_visible()
    # The HTML preview is the email as sent, its inline styles applied (the frame has a policy of its own):
    # the built-in email's links are blue (style="color: #1d4ed8"), and a draft's style shows as typed.
    expect(frame.get_by_role("link", name="Reminder: Fire safety (due ")).to_have_css("color", "rgb(29, 78, 216)")
    page.locator("#preview-heading").scroll_into_view_if_needed()
    screenshot(page, "email-template-editor.png")
    page.get_by_label("HTML body").fill('<p style="color: rgb(255, 0, 0)">Hi {{ person.name }}</p>')
    expect(frame.get_by_text("Hi Ada Lovelace")).to_have_css("color", "rgb(255, 0, 0)")
    expect(frame.locator("p")).to_have_count(1)
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
    # Nothing is blocked anywhere: the page needs no inline code, and the frame's policy allows the email's styles.
    assert [e for e in errors if "Content Security Policy" in e] == [], errors
