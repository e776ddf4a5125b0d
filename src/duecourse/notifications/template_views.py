"""The email-template editor (admins): kinds × languages, one kind's email per language with a live preview."""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, person_view
from duecourse.notifications import email_templates, permissions
from duecourse.notifications.email_templates import Draft
from duecourse.notifications.forms import EmailTemplateForm
from duecourse.notifications.template_kinds import (
    ALL_LANGUAGES,
    KIND_LABELS,
    TEMPLATE_KINDS,
    VARIABLES,
    base_language,
    is_language,
    is_template_kind,
)
from duecourse.people.models import Person
from duecourse.people.selectors import access_person, person_list

SAMPLE_CHOICES = 20

# The HTML preview is the email as sent, framed by the editor: its own policy allows the inline styles an
# email needs and nothing else (no script, no form, no plugin), only our own pages may frame it, and the
# sandbox directive gives it an opaque origin even if it is opened on its own.
EMAIL_PREVIEW_POLICY = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["https:", "data:"],
    "base-uri": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": True,
}


def _allowed(actor: Person) -> None:
    if not permissions.can_manage_email_templates(actor):
        raise forbidden("change the organisation's email templates")


def _key(kind: str, language: str) -> None:
    if not is_template_kind(kind) or not is_language(language):
        raise Http404("No such kind of email or language")


def _edit_url(kind: str, language: str) -> str:
    if language:
        return reverse("email_templates:edit-language", args=[kind, language])
    return reverse("email_templates:edit", args=[kind])


def _sample(actor: Person, raw) -> Person:
    """The sample person: the admin by default, or someone of their tenant (another tenant's: 404)."""
    if raw in (None, ""):
        return actor
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise Http404("No such person")
    return access_person(actor=actor, person_id=int(raw))


@require_GET
@person_view
def list_view(request):
    actor = request.actor
    _allowed(actor)
    kind, language = request.GET.get("kind"), request.GET.get("language", "").strip()
    if kind is not None:  # "Another language": go to that kind's email in it
        if is_template_kind(kind) and is_language(language):
            return HttpResponseRedirect(_edit_url(kind, language))
        messages.error(request, _("%(language)r is not a language (e.g. it, de, en-GB).") % {"language": language})
        return HttpResponseRedirect(reverse("email_templates:list"))
    rows = email_templates.kind_templates(actor=actor)
    customised = {(t.kind, t.language): t for t in rows if t.kind}
    locales = Person.objects.filter(tenant_id=actor.tenant_id, active=True).values_list("locale", flat=True)
    languages = sorted({base_language(locale) for locale in locales.distinct()} | {lang for _, lang in customised})
    languages = [lang for lang in languages if lang]
    table = [
        {
            "kind": kind,
            "label": label,
            "cells": [
                {"language": lang, "url": _edit_url(kind, lang), "custom": (kind, lang) in customised}
                for lang in [ALL_LANGUAGES, *languages]
            ],
        }
        for kind, label in TEMPLATE_KINDS
    ]
    context = {
        "table": table,
        "languages": languages,
        "named": [t for t in rows if not t.kind],
        "kinds": TEMPLATE_KINDS,
    }
    return render(request, "notifications/email_templates.html", context)


@person_view
def edit_view(request, kind: str, language: str = ALL_LANGUAGES):
    actor = request.actor
    _allowed(actor)
    _key(kind, language)
    current = email_templates.kind_template(actor=actor, kind=kind, language=language)
    starter_from = ""
    if request.method == "POST":
        form = EmailTemplateForm(request.POST)
        sample = _sample(actor, request.POST.get("sample"))
        if form.is_valid():
            try:
                email_templates.template_save(
                    actor=actor, kind=kind, language=language, draft=form.draft(), sample=sample
                )
            except ValidationFailed as exc:
                add_field_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Saved the “%(kind)s” email (%(language)s).")
                    % {"kind": KIND_LABELS[kind], "language": _language_label(language)},
                )
                return HttpResponseRedirect(_edit_url(kind, language))
        draft = _draft_of(request.POST)
    else:
        sample = _sample(actor, request.GET.get("sample"))
        if current is None:
            draft, starter_from = email_templates.starter(actor=actor, kind=kind, language=language)
        else:
            draft = Draft(subject=current.subject, body_text=current.body_text, body_html=current.body_html)
        form = EmailTemplateForm(initial={**vars(draft), "sample": sample.pk})
    context = {
        "form": form,
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "language": language,
        "language_label": _language_label(language),
        "current": current,
        "starter_from": starter_from,
        "variables": VARIABLES,
        "sample": sample,
        "choices": _sample_choices(actor, sample),
        "preview": email_templates.template_preview(
            actor=actor, kind=kind, language=language, draft=draft, sample=sample
        ),
        "draft": draft,
        "preview_url": _edit_url(kind, language) + "preview/",
        "preview_html_url": _edit_url(kind, language) + "preview.html",
        "reset_url": _edit_url(kind, language) + "reset/",
    }
    return render(request, "notifications/email_template_edit.html", context, status=422 if form.errors else 200)


@require_POST
@person_view
def preview_view(request, kind: str, language: str = ALL_LANGUAGES):
    """The preview panel (htmx): the form's current text rendered for the sample person."""
    actor = request.actor
    _allowed(actor)
    _key(kind, language)
    sample = _sample(actor, request.POST.get("sample"))
    draft = _draft_of(request.POST)
    preview = email_templates.template_preview(actor=actor, kind=kind, language=language, draft=draft, sample=sample)
    context = {
        "preview": preview,
        "sample": sample,
        "draft": draft,
        "preview_html_url": _edit_url(kind, language) + "preview.html",
    }
    return render(request, "notifications/_email_preview.html", context)


@require_POST
@xframe_options_sameorigin
@csp(EMAIL_PREVIEW_POLICY)
@person_view
def preview_html_view(request, kind: str, language: str = ALL_LANGUAGES):
    """The draft's HTML body rendered for the sample person, as sent, for the editor's preview frame (the
    preview panel's form posts the draft into the frame). Under its own policy: inline styles, no script."""
    actor = request.actor
    _allowed(actor)
    _key(kind, language)
    sample = _sample(actor, request.POST.get("sample"))
    preview = email_templates.template_preview(
        actor=actor, kind=kind, language=language, draft=_draft_of(request.POST), sample=sample
    )
    if preview.error is not None:
        field = preview.error.field or "template"
        return HttpResponse(f"<p>{escape(field)}: {escape(str(preview.error))}</p>", status=422)
    return HttpResponse(preview.html)


@require_POST
@person_view
def reset_view(request, kind: str, language: str = ALL_LANGUAGES):
    actor = request.actor
    _allowed(actor)
    _key(kind, language)
    if email_templates.template_reset(actor=actor, kind=kind, language=language):
        messages.success(
            request,
            _("The “%(kind)s” email (%(language)s) is back to the default.")
            % {"kind": KIND_LABELS[kind], "language": _language_label(language)},
        )
    return HttpResponseRedirect(reverse("email_templates:list"))


@require_GET
@person_view
def sample_people_view(request):
    """Options of the sample-person select (htmx): people of the tenant matching the search."""
    actor = request.actor
    _allowed(actor)
    q = request.GET.get("q", "").strip()[:100]
    people = list(person_list(actor=actor, q=q or None, active=True)[:SAMPLE_CHOICES])
    return render(request, "notifications/_sample_options.html", {"people": people, "selected": None})


def _sample_choices(actor: Person, sample: Person) -> list[Person]:
    people = [sample] if sample.pk != actor.pk else []
    return [actor, *people]


def _draft_of(data) -> Draft:
    return Draft(
        subject=data.get("subject", "")[:1000],
        body_text=data.get("body_text", ""),
        body_html=data.get("body_html", ""),
    )


def _language_label(language: str) -> str:
    return language or _("every language")
