"""Email templates per kind and language: which one an email uses, and the editor that saves only what renders."""

import datetime as dt

import pytest

from duecourse.core.models import AuditEvent
from duecourse.notifications.models import MessageTemplate
from duecourse.notifications.rendering import Item, TenantTemplates, render_email
from duecourse.notifications.template_kinds import lookup_keys
from duecourse.testing.factories import make_course
from duecourse.testing.scheduling import assign_at, utc
from duecourse.testing.web import field_error, signed_in, text

NOW = utc("2026-03-01T09:00")


def item(kind: str, title: str = "Fire safety") -> Item:
    return Item(kind, f"{kind}: {title}", title, dt.date(2026, 3, 20), "", "https://x.test/", "")


def kind_template(tenant, kind, language, subject, body_text="{{ count }}"):
    return MessageTemplate.objects.create(
        tenant=tenant, kind=kind, language=language, subject=subject, body_text=body_text
    )


def subject_for(tenant, person, items, **kwargs) -> str:
    return render_email(tenant_id=tenant.pk, person=person, items=items, **kwargs)[0]


def test_lookup_keys_try_the_locale_its_language_then_every_language():
    assert lookup_keys({"reminder"}, "en-GB") == [("reminder", "en-GB"), ("reminder", "en"), ("reminder", "")]
    assert lookup_keys({"reminder"}, "it") == [("reminder", "it"), ("reminder", "")]
    assert lookup_keys({"reminder", "overdue"}, "it") == [("digest", "it"), ("digest", "")]


def test_each_person_gets_the_template_of_the_kind_in_their_language(tenant, make_person):
    kind_template(tenant, "reminder", "it", "Promemoria: {{ item.target_title }}")
    kind_template(tenant, "reminder", "", "Reminder for {{ person.name }}: {{ item.target_title }}")
    kind_template(tenant, "digest", "", "{{ count }} things")
    MessageTemplate.objects.create(tenant=tenant, name="message", subject="All of it", body_text="x")
    italian = make_person(tenant, locale="it", name="Ida")
    german = make_person(tenant, locale="de", name="Dora")
    british = make_person(tenant, locale="en-GB", name="Bea")

    assert subject_for(tenant, italian, [item("reminder")]) == "Promemoria: Fire safety"
    assert subject_for(tenant, german, [item("reminder")]) == "Reminder for Dora: Fire safety"
    assert (
        subject_for(tenant, british, [item("reminder"), item("reminder", "Ladders")]) == "Reminder for Bea: Fire safety"
    )
    assert subject_for(tenant, italian, [item("reminder"), item("overdue")]) == "2 things"
    assert subject_for(tenant, italian, [item("assigned")]) == "All of it"  # no assigned template: "message"


def test_without_templates_the_defaults_apply_and_a_named_template_still_wins(tenant, make_person):
    person = make_person(tenant, locale="it")
    assert subject_for(tenant, person, [item("reminder")]) == "reminder: Fire safety"
    assert subject_for(tenant, person, [item("reminder"), item("overdue")]) == "2 updates on your training"
    kind_template(tenant, "reminder", "it", "Promemoria")
    MessageTemplate.objects.create(tenant=tenant, name="gentle", subject="Gently", body_text="x")
    assert subject_for(tenant, person, [item("reminder")], template_name="gentle") == "Gently"


def test_templates_of_a_batch_are_loaded_once(tenant, make_person, django_assert_num_queries):
    kind_template(tenant, "reminder", "", "R")
    people = [make_person(tenant, locale=locale) for locale in ("it", "de", "en")]
    with django_assert_num_queries(1):
        templates = TenantTemplates({tenant.pk})
        for person in people:
            assert subject_for(tenant, person, [item("reminder")], templates=templates) == "R"


def test_a_kind_template_is_not_a_name_reminder_rules_may_give(tenant):
    from duecourse.notifications.rendering import template_names

    kind_template(tenant, "reminder", "", "R")
    MessageTemplate.objects.create(tenant=tenant, name="gentle", subject="Gently", body_text="x")
    assert template_names(tenant.pk) == {"gentle"}


# The editor


def edit_url(kind="reminder", language=""):
    return f"/settings/emails/{kind}/" + (f"{language}/" if language else "")


def post(client, url, **fields):
    data = {"subject": "S", "body_text": "T", "body_html": "", **fields}
    return client.post(url, data)


def test_an_admin_saves_a_template_that_renders_and_it_is_audited(admin, tenant):
    client = signed_in(admin)
    response = post(client, edit_url(language="it"), subject="Promemoria: {{ item.target_title }}")
    assert response.status_code == 302
    [saved] = MessageTemplate.objects.filter(tenant=tenant, kind="reminder", language="it")
    assert saved.subject == "Promemoria: {{ item.target_title }}"
    event = AuditEvent.objects.get(action="email_template.saved")
    assert event.after["subject"] == saved.subject and event.before is None
    listing = text(client.get("/settings/emails/"))
    assert (
        '<td data-language="it"><a href="/settings/emails/reminder/it/" class="chip chip-active">Customised' in listing
    )


@pytest.mark.parametrize(
    ("field", "source", "message"),
    [
        ("subject", "{% if %}", "TemplateSyntaxError"),
        ("body_text", "{% for item in items %}no end", "TemplateSyntaxError"),
        ("body_html", "{{ items|bogus }}", "Invalid filter"),
        ("body_text", "{{ count|divisibleby:0 }}", "ZeroDivisionError"),  # fails only when rendered
        ("body_html", '{% include "nowhere.html" %}', "TemplateDoesNotExist"),
    ],
)
def test_a_template_that_fails_to_compile_or_render_is_refused_and_the_old_one_kept(
    admin, tenant, field, source, message
):
    kept = kind_template(tenant, "reminder", "", "Old subject", "Old text")
    client = signed_in(admin)

    response = post(client, edit_url(), **{field: source})

    assert response.status_code == 422
    assert message in field_error(text(response), field)
    kept.refresh_from_db()
    assert (kept.subject, kept.body_text) == ("Old subject", "Old text")
    assert not AuditEvent.objects.filter(action="email_template.saved").exists()


def test_preview_renders_the_draft_for_the_sample_persons_real_training(admin, learner, tenant):
    assign_at(NOW, admin, learner, make_course(tenant, title="Ladders"), due_date="2026-03-20")
    client = signed_in(admin)
    response = client.post(
        edit_url() + "preview/",
        {
            "subject": "{{ person.name }}: {{ item.target_title }} by {{ item.due_date|date:'j M' }}",
            "body_text": "<script>alert(1)</script>{{ count }}",
            "body_html": "<b>{{ person.name }}</b><script>alert(2)</script>",
            "sample": learner.pk,
        },
    )
    html = text(response)
    assert response.status_code == 200
    assert '<span id="preview-subject">Lena Learner: Ladders by 20 Mar</span>' in html
    # The drafts never become the page's HTML: the text is escaped; the HTML body goes (escaped, in a hidden
    # form app.js submits) to preview.html, which answers into the sandboxed frame the form targets.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;1" in html
    assert (
        '<input type="hidden" name="body_html" value="&lt;b&gt;{{ person.name }}&lt;/b&gt;&lt;script&gt;alert(2)'
        in html
    )
    assert f'<input type="hidden" name="sample" value="{learner.pk}">' in html
    assert 'action="/settings/emails/reminder/preview.html" target="email-html-frame"' in html
    assert '<iframe id="preview-html" name="email-html-frame" title="HTML email preview" sandbox=""' in html
    assert "<script>" not in html and "srcdoc" not in html
    # Without training the sample is made up; an error names the field instead of a preview.
    response = client.post(edit_url() + "preview/", {"subject": "{{ item.target_title }}", "body_text": "{% if %}"})
    assert "body_text: TemplateSyntaxError" in text(response)
    response = client.post(edit_url() + "preview/", {"subject": "{{ item.target_title }}", "body_text": "x"})
    assert '<span id="preview-subject">Fire safety</span>' in text(response)
    assert not MessageTemplate.objects.exists()


def csp_of(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_the_html_preview_is_the_email_as_sent_under_its_own_policy(admin, learner, tenant):
    client = signed_in(admin)
    response = client.post(
        edit_url(language="it") + "preview.html",
        {
            "subject": "S",
            "body_text": "T",
            "body_html": '<p style="color: rgb(255, 0, 0)">Ciao {{ person.name }}</p><script>alert(1)</script>',
            "sample": learner.pk,
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    # The body is the HTML part as sent, inline style and all (the policy keeps the script from running).
    assert text(response) == '<p style="color: rgb(255, 0, 0)">Ciao Lena Learner</p><script>alert(1)</script>'
    policy = csp_of(response)
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["img-src"] == ["https:", "data:"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["sandbox"] == []
    assert "script-src" not in policy and "connect-src" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert not MessageTemplate.objects.exists()


def test_the_html_preview_names_the_field_that_fails(admin):
    response = signed_in(admin).post(
        edit_url() + "preview.html", {"subject": "S", "body_text": "T", "body_html": "{{ items|bogus }}"}
    )

    assert response.status_code == 422
    assert text(response).startswith("<p>body_html: ")
    assert "Invalid filter" in text(response)
    assert csp_of(response)["style-src"] == ["'unsafe-inline'"] and "script-src" not in csp_of(response)


def test_the_editor_page_keeps_the_strict_site_policy(admin):
    client = signed_in(admin)
    for response in (client.get(edit_url()), client.post(edit_url() + "preview/", {"subject": "S", "body_text": "T"})):
        policy = csp_of(response)
        assert policy["style-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"] and "sandbox" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert "unsafe" not in response["Content-Security-Policy"]


def test_the_edit_page_starts_from_what_people_get_now(admin, tenant):
    client = signed_in(admin)
    page = text(client.get(edit_url(language="it")))
    assert "Hello {{ name }}," in page and "with name=person.name" in page  # the built-in email as a start
    assert 'id="preview-subject">Reminder: Fire safety' in page
    kind_template(tenant, "reminder", "", "Every language: {{ item.target_title }}")
    page = text(client.get(edit_url(language="it")))
    assert 'value="Every language: {{ item.target_title }}"' in page
    assert "the “every language” template" in page


def test_reset_deletes_the_template_and_is_audited(admin, tenant):
    kind_template(tenant, "reminder", "it", "Promemoria")
    client = signed_in(admin)
    response = client.post(edit_url(language="it") + "reset/")
    assert response.status_code == 302
    assert not MessageTemplate.objects.exists()
    assert AuditEvent.objects.get(action="email_template.reset").before["subject"] == "Promemoria"


def test_an_unknown_kind_or_language_is_not_found(admin):
    client = signed_in(admin)
    assert client.get("/settings/emails/bogus/").status_code == 404
    assert client.get("/settings/emails/reminder/not a language/").status_code == 404
    assert (
        client.get("/settings/emails/?kind=reminder&language=fr").headers["Location"] == "/settings/emails/reminder/fr/"
    )


def test_the_docs_list_every_kind_and_variable():
    from pathlib import Path

    import duecourse
    from duecourse.notifications.template_kinds import TEMPLATE_KINDS, VARIABLES

    docs = (Path(duecourse.__file__).parents[2] / "docs" / "email-templates.md").read_text()
    from django.utils import translation

    with translation.override("en"):  # the labels are translatable; the docs list them in English
        for kind, label in TEMPLATE_KINDS:
            assert f"| `{kind}` | {label} |" in docs
    for name, _ in VARIABLES:
        assert f"| `{name}` |" in docs
