"""The email-template editor's services: tenants' templates per kind and language, a preview with a
sample person, and saving only what compiles and renders (audited)."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import get_template
from django.utils.translation import gettext as _

from duecourse.assignments.selectors import my_assignments
from duecourse.core import clock
from duecourse.core.audit import audit_record
from duecourse.core.errors import FieldError, ValidationFailed, forbidden
from duecourse.notifications import permissions
from duecourse.notifications.models import MessageTemplate, Notification
from duecourse.notifications.rendering import (
    Item,
    TemplateFailed,
    compile_template,
    email_context,
    headline,
    items_for,
    render_compiled,
)
from duecourse.notifications.services import base_url
from duecourse.notifications.template_kinds import (
    DIGEST,
    MAX_SUBJECT_LENGTH,
    MESSAGE,
    is_language,
    is_template_kind,
    lookup_keys,
)
from duecourse.people.models import Person

SAMPLE_ASSIGNMENTS = 3
# The built-in subject (rendering.render_email) in the template language, for a draft to start from.
DEFAULT_SUBJECT = "{% if count == 1 %}{{ item.headline }}{% else %}{{ count }} updates on your training{% endif %}"
DIGEST_SAMPLE_KINDS = ("assigned", "reminder", "overdue")


@dataclass
class Draft:
    subject: str
    body_text: str
    body_html: str = ""


@dataclass
class Preview:
    subject: str = ""
    text: str = ""
    html: str = ""
    error: TemplateFailed | None = None


def kind_templates(*, actor: Person) -> list[MessageTemplate]:
    """The tenant's templates, custom (named) ones and per kind and language."""
    _check(actor)
    return list(MessageTemplate.objects.filter(tenant_id=actor.tenant_id).order_by("kind", "language", "name"))


def kind_template(*, actor: Person, kind: str, language: str) -> MessageTemplate | None:
    _check(actor)
    return MessageTemplate.objects.filter(tenant_id=actor.tenant_id, kind=kind, language=language).first()


def starter(*, actor: Person, kind: str, language: str) -> tuple[Draft, str]:
    """What people get while the kind has no template in this language, as a draft to start from, and
    where it comes from ("" for the built-in email): the next template in the lookup order."""
    _check(actor)
    rows = MessageTemplate.objects.filter(tenant_id=actor.tenant_id)
    for other_kind, other_language in lookup_keys({kind}, language)[1:]:
        row = rows.filter(kind=other_kind, language=other_language).first()
        if row is not None:
            return _draft(row), f"“{other_language or 'every language'}”"
    row = rows.filter(kind="", name=MESSAGE).first()
    if row is not None:
        return _draft(row), f"custom “{MESSAGE}”"
    return (
        Draft(
            subject=DEFAULT_SUBJECT,
            body_text=_source("notifications/email/message.txt")
            .replace("{% autoescape off %}", "")
            .replace("{% endautoescape %}", ""),
            body_html=_source("notifications/email/message.html"),
        ),
        "",
    )


def _draft(row: MessageTemplate) -> Draft:
    return Draft(subject=row.subject, body_text=row.body_text, body_html=row.body_html)


def _source(name: str) -> str:
    return get_template(name).template.source  # type: ignore[attr-defined]


def sample_items(*, person: Person, kind: str) -> list[Item]:
    """Items for a preview: the person's own open assignments if they have any, else a made-up one."""
    assignments = list(my_assignments(actor=person).filter(completed_at__isnull=True)[:SAMPLE_ASSIGNMENTS])
    kinds = DIGEST_SAMPLE_KINDS if kind == DIGEST else (kind,)
    if not assignments:
        due = clock.now().date() + dt.timedelta(days=14)
        return [
            Item(
                kind=each,
                headline=headline(each, "Fire safety", due, "", True, {}),
                target_title="Fire safety",
                due_date=due,
                note="Before the site visit, please",
                link=f"{base_url()}/",
                about_name="",
            )
            for each in kinds
        ]
    count = max(len(assignments), len(kinds))
    notes = [
        Notification(
            tenant_id=person.tenant_id,
            person=person,
            kind=kinds[i % len(kinds)],
            assignment=assignments[i % len(assignments)],
            data={},
        )
        for i in range(count)
    ]
    return items_for(notes)


def template_preview(*, actor: Person, kind: str, language: str, draft: Draft, sample: Person) -> Preview:
    """The draft rendered for the sample person (of the actor's tenant), or the error that stops it."""
    _check(actor)
    _check_key(kind, language)
    try:
        return Preview(*_render(draft, sample, kind))
    except TemplateFailed as exc:
        return Preview(error=exc)


def template_save(*, actor: Person, kind: str, language: str, draft: Draft, sample: Person) -> MessageTemplate:
    """Save the kind's template in that language ("" every language) if it compiles and renders for the
    sample person; otherwise ValidationFailed naming the field, and nothing changes. Audited."""
    _check(actor)
    _check_key(kind, language)
    errors = _missing(draft)
    if errors:
        raise ValidationFailed(detail=_("The template is incomplete"), errors=errors)
    try:
        _render(draft, sample, kind)
    except TemplateFailed as exc:
        field = exc.field or "body_text"
        raise ValidationFailed.on(field, _("does not render: %(error)s") % {"error": exc}) from None
    values = {"subject": draft.subject, "body_text": draft.body_text, "body_html": draft.body_html}
    with transaction.atomic():
        row = (
            MessageTemplate.objects.select_for_update()
            .filter(tenant_id=actor.tenant_id, kind=kind, language=language)
            .first()
        )
        before = None if row is None else {key: getattr(row, key) for key in values}
        if row is None:
            row = MessageTemplate.objects.create(tenant_id=actor.tenant_id, kind=kind, language=language, **values)
        elif before != values:
            for key, value in values.items():
                setattr(row, key, value)
            row.save()
        else:
            return row
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="email_template.saved",
            object_type="email_template",
            object_id=row.pk,
            before=None if before is None else {"kind": kind, "language": language, **before},
            after={"kind": kind, "language": language, **values},
        )
    return row


def template_reset(*, actor: Person, kind: str, language: str) -> bool:
    """Delete the kind's template in that language: its emails go back to the next in the lookup. Audited."""
    _check(actor)
    _check_key(kind, language)
    with transaction.atomic():
        row = (
            MessageTemplate.objects.select_for_update()
            .filter(tenant_id=actor.tenant_id, kind=kind, language=language)
            .first()
        )
        if row is None:
            return False
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="email_template.reset",
            object_type="email_template",
            object_id=row.pk,
            before={"kind": kind, "language": language, "subject": row.subject, "body_text": row.body_text},
        )
        row.delete()
    return True


def _render(draft: Draft, sample: Person, kind: str) -> tuple[str, str, str]:
    compiled = compile_template(subject=draft.subject, body_text=draft.body_text, body_html=draft.body_html)
    context = email_context(person=sample, items=sample_items(person=sample, kind=kind))
    return render_compiled(compiled, context)


def _missing(draft: Draft) -> list[FieldError]:
    errors = []
    if not draft.subject.strip():
        errors.append(FieldError("subject", _("is required")))
    elif len(draft.subject) > MAX_SUBJECT_LENGTH:
        errors.append(FieldError("subject", _("is longer than %(count)d characters") % {"count": MAX_SUBJECT_LENGTH}))
    if not draft.body_text.strip():
        errors.append(FieldError("body_text", _("is required")))
    return errors


def _check(actor: Person) -> None:
    if not permissions.can_manage_email_templates(actor):
        raise forbidden("change the organisation's email templates")


def _check_key(kind: str, language: str) -> None:
    if not is_template_kind(kind):
        raise ValidationFailed.on("kind", _("is not a kind of email"))
    if not is_language(language):
        raise ValidationFailed.on("language", _("is not a language (e.g. en, it, de, en-GB; empty: every language)"))
