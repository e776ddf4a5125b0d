"""Words for notifications: one line per inbox entry, and the email that carries a person's new ones."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from duecourse.catalog.selectors import target_titles
from duecourse.core.languages import language_for_locale
from duecourse.notifications.models import MessageTemplate, Notification
from duecourse.notifications.services import assignment_link, base_url
from duecourse.notifications.template_kinds import MAX_SUBJECT_LENGTH, MESSAGE, lookup_keys


@dataclass
class Item:
    kind: str
    headline: str
    target_title: str
    due_date: dt.date | None
    note: str
    link: str
    about_name: str


# Kinds whose line names the person it is about when that is not the recipient (a manager's copy).
ABOUT_SOMEONE_KINDS = frozenset({"reminder", "overdue", "escalation", "expiring", "expired"})


def recipient_language(person) -> translation.override:
    """`with recipient_language(person):` — what an email to this person is written in: their locale's
    language (`core.languages.language_for_locale`, the one rule), else the site's default."""
    return translation.override(language_for_locale(getattr(person, "locale", "")) or settings.LANGUAGE_CODE)


def headline(kind: str, target: str, due: dt.date | None, about: str, is_self: bool, data: dict) -> str:
    """One line about one notification, in the active language (an email's: `recipient_language`)."""
    due_text = _(" (due %(date)s)") % {"date": formats.date_format(due, "j M Y")} if due else ""
    values = {"target": target, "due": due_text}
    if kind == "reminder" and data.get("manual") and data.get("by"):  # sent by hand ("Send reminder now")
        line = _("Reminder from %(by)s: %(target)s%(due)s") % {**values, "by": data["by"]}
    else:
        title = {"title": data.get("title", target)}
        line = {
            "assigned": lambda: _("New training assigned: %(target)s%(due)s") % values,
            "recurrence": lambda: _("Due again: %(target)s%(due)s") % values,
            "due_date_changed": lambda: _("Due date changed: %(target)s%(due)s") % values,
            "reminder": lambda: _("Reminder: %(target)s%(due)s") % values,
            "overdue": lambda: _("Overdue: %(target)s%(due)s") % values,
            "escalation": lambda: _("Overdue: %(target)s%(due)s") % values,
            "withdrawn": lambda: _("Withdrawn: %(target)s") % values,
            "expiring": lambda: _("Expires soon, recertify: %(target)s%(due)s") % values,
            "expired": lambda: _("Expired, please retake: %(target)s") % values,
            "certificate_issued": lambda: _("Certificate issued: %(title)s") % title,
            "certificate_invalidated": lambda: _("Certificate no longer valid: %(title)s") % title,
        }.get(kind, lambda: f"{kind}: {target}")()
    if is_self or kind not in ABOUT_SOMEONE_KINDS:
        return line
    return _("%(person)s: %(line)s") % {"person": about, "line": line}


def items_for(notifications: list[Notification], *, known_titles: dict | None = None) -> list[Item]:
    """`known_titles` ({(tenant, type, id): title}) is filled and reused across calls, e.g. by a
    delivery run rendering thousands of emails about the same few courses."""
    if not notifications:
        return []
    known = {} if known_titles is None else known_titles
    for tenant_id in {n.tenant_id for n in notifications}:
        assignments = [n.assignment for n in notifications if n.assignment_id and n.tenant_id == tenant_id]
        targets = {(a.target_type, a.target_id) for a in assignments if a is not None}
        missing = {t for t in targets if (tenant_id, *t) not in known}
        if missing:
            found = target_titles(tenant_id=tenant_id, targets=missing)
            known.update({(tenant_id, *t): found.get(t, "") for t in missing})
    items = []
    for n in notifications:
        a = n.assignment
        title = known.get((n.tenant_id, a.target_type, a.target_id), "") if a else n.data.get("title", "")
        about = n.about.name if n.about is not None else ""
        items.append(
            Item(
                kind=n.kind,
                headline=headline(
                    n.kind, title, a.due_date if a else None, about, n.about_id in (None, n.person_id), n.data
                ),
                target_title=title,
                due_date=a.due_date if a else None,
                # A notification about no assignment (a certificate) carries its own note and link in `data`.
                note=a.note if a else str(n.data.get("note", "")),
                link=_link(n, a),
                about_name=about,
            )
        )
    return items


def _link(n: Notification, a) -> str:
    if n.about_id not in (None, n.person_id):
        return f"{base_url()}/people/{n.about_id}/"
    if a is None and n.data.get("path"):
        return f"{base_url()}{n.data['path']}"
    return assignment_link(a)


def template_names(tenant_id: int) -> set[str]:
    """The names a reminder rule may give as its `template`: the tenant's custom (named) message templates,
    which `render_email` looks up by the same name. Saving a plan checks against these (a 422 then, not a
    held email later); `handlers.py` answers `assignments.signals.reminder_template_names` with them."""
    return set(MessageTemplate.objects.filter(tenant_id=tenant_id, kind="").values_list("name", flat=True))


class TemplateFailed(Exception):
    """A template that does not compile or render; `field` names which part (subject, body_text, body_html)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


Compiled = tuple[Template, Template, Template | None]


def compile_template(*, subject: str, body_text: str, body_html: str) -> Compiled:
    """(subject, text, html-or-None) compiled: subject and text unescaped, HTML autoescaped; TemplateFailed."""
    # {% load i18n %} works as in the built-in emails (the editor starts from them): words in the recipient's language.
    plain = Engine(autoescape=False, libraries={"i18n": "django.templatetags.i18n"})
    parts: list[Template | None] = []
    for field, source in (("subject", subject), ("body_text", body_text), ("body_html", body_html)):
        try:
            if field == "body_html":
                parts.append(Template(source) if source else None)
            else:
                parts.append(Template(source, engine=plain))
        except Exception as exc:  # a syntax error in a tenant's template
            raise TemplateFailed(f"{exc.__class__.__name__}: {exc}", field) from exc
    subject_template, text_template, html_template = parts
    assert subject_template is not None and text_template is not None
    return subject_template, text_template, html_template


def render_compiled(compiled: Compiled, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of compiled templates; a failure while rendering is TemplateFailed naming the part."""
    rendered = []
    for field, template in zip(("subject", "body_text", "body_html"), compiled, strict=True):
        try:
            rendered.append(template.render(Context(context)) if template is not None else "")
        except Exception as exc:  # a tenant template that fails while rendering must not stop the others
            raise TemplateFailed(f"{exc.__class__.__name__}: {exc}", field) from exc
    subject, text, html = rendered
    return " ".join(subject.split())[:MAX_SUBJECT_LENGTH], text, html


class TenantTemplates:
    """Tenants' templates for one batch of emails: loaded with one query, each compiled once."""

    def __init__(self, tenant_ids):
        rows = list(MessageTemplate.objects.filter(tenant_id__in=set(tenant_ids)))
        self._rows = {(t.tenant_id, t.name): t for t in rows if not t.kind}
        self._kind_rows = {(t.tenant_id, t.kind, t.language): t for t in rows if t.kind}
        self._compiled: dict[int, Compiled | TemplateFailed] = {}

    def _compile(self, row: MessageTemplate) -> Compiled:
        if row.pk not in self._compiled:
            try:
                self._compiled[row.pk] = compile_template(
                    subject=row.subject, body_text=row.body_text, body_html=row.body_html
                )
            except TemplateFailed as exc:
                self._compiled[row.pk] = exc
        found = self._compiled[row.pk]
        if isinstance(found, TemplateFailed):
            raise found
        return found

    def get(self, tenant_id: int, name: str) -> Compiled | None:
        """The compiled custom template of that name, None without one; TemplateFailed."""
        row = self._rows.get((tenant_id, name))
        return None if row is None else self._compile(row)

    def choose(self, tenant_id: int, *, template_name: str, kinds: set[str], locale: str) -> Compiled | None:
        """The template of an email (None: the built-in one). The one lookup order: the custom template a
        reminder rule names; else the kind's template in the person's locale, its language, every language
        (several kinds: the digest's); else the tenant's "message" override. TemplateFailed."""
        if template_name:
            named = self.get(tenant_id, template_name)
            if named is None:
                raise TemplateFailed(f"template {template_name!r} does not exist")
            return named
        for kind, language in lookup_keys(kinds, locale):
            row = self._kind_rows.get((tenant_id, kind, language))
            if row is not None:
                return self._compile(row)
        return self.get(tenant_id, MESSAGE)


def email_context(*, person, items: list[Item], invitation_link: str | None = None) -> dict:
    """What a template sees. Plain values only: a tenant's template must not reach into models
    (no person.user.password). `template_kinds.VARIABLES` documents it."""
    return {
        "person": {"name": person.name, "email": person.email},
        "items": items,
        "item": items[0] if items else None,
        "count": len(items),
        "base_url": base_url(),
        "invitation_link": invitation_link or "",
    }


def render_email(
    *,
    tenant_id: int,
    person,
    items: list[Item],
    template_name: str = "",
    templates: TenantTemplates | None = None,
    invitation_link: str | None = None,
) -> tuple[str, str, str]:
    """(subject, text, html) for one person's items, from the tenant's template (`TenantTemplates.choose`)
    or the defaults. `invitation_link`: the person never signed in, so the email offers it instead of a
    bare login link."""
    context = email_context(person=person, items=items, invitation_link=invitation_link)
    templates = templates or TenantTemplates([tenant_id])
    chosen = templates.choose(
        tenant_id, template_name=template_name, kinds={item.kind for item in items}, locale=person.locale
    )
    if chosen is not None:
        return render_compiled(chosen, context)
    try:
        subject = (
            items[0].headline
            if len(items) == 1
            else ngettext("%(count)d update on your training", "%(count)d updates on your training", len(items))
            % {"count": len(items)}
        )
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    except Exception as exc:
        raise TemplateFailed(f"{exc.__class__.__name__}: {exc}") from exc
    return " ".join(subject.split())[:MAX_SUBJECT_LENGTH], text, html
