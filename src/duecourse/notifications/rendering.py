"""Words for notifications: one line per inbox entry, and the email that carries a person's new ones."""

import datetime as dt
from dataclasses import dataclass

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.loader import render_to_string

from duecourse.catalog.selectors import target_titles
from duecourse.notifications.models import MessageTemplate, Notification
from duecourse.notifications.services import assignment_link, base_url


@dataclass
class Item:
    kind: str
    headline: str
    target_title: str
    due_date: dt.date | None
    note: str
    link: str
    about_name: str


def headline(kind: str, target: str, due: dt.date | None, about: str, is_self: bool, data: dict) -> str:
    due_text = f" (due {due:%-d %b %Y})" if due else ""
    who = "" if is_self else f"{about}: "
    return {
        "assigned": f"New training assigned: {target}{due_text}",
        "recurrence": f"Due again: {target}{due_text}",
        "due_date_changed": f"Due date changed: {target}{due_text}",
        "reminder": f"{who}Reminder: {target}{due_text}",
        "overdue": f"{who}Overdue: {target}{due_text}",
        "escalation": f"{who}Overdue: {target}{due_text}",
        "withdrawn": f"Withdrawn: {target}",
        "expiring": f"{who}Expires soon: {target}",
        "expired": f"{who}Expired, please retake: {target}",
        "certificate_issued": f"Certificate issued: {data.get('title', target)}",
        "certificate_invalidated": f"Certificate no longer valid: {data.get('title', target)}",
    }.get(kind, f"{kind}: {target}")


def items_for(notifications: list[Notification]) -> list[Item]:
    if not notifications:
        return []
    targets = {(n.assignment.target_type, n.assignment.target_id) for n in notifications if n.assignment_id}
    titles = target_titles(tenant_id=notifications[0].tenant_id, targets=targets)
    items = []
    for n in notifications:
        a = n.assignment
        title = titles.get((a.target_type, a.target_id), "") if a else n.data.get("title", "")
        about = n.about.name if n.about_id else ""
        items.append(
            Item(
                kind=n.kind,
                headline=headline(
                    n.kind, title, a.due_date if a else None, about, n.about_id in (None, n.person_id), n.data
                ),
                target_title=title,
                due_date=a.due_date if a else None,
                note=a.note if a else "",
                link=assignment_link(a) if n.about_id in (None, n.person_id) else f"{base_url()}/people/{n.about_id}/",
                about_name=about,
            )
        )
    return items


class TemplateFailed(Exception):
    pass


def render_email(*, tenant_id: int, person, items: list[Item], template_name: str = "") -> tuple[str, str, str]:
    """(subject, text, html) for one person's items; a tenant's override by name wins over the defaults."""
    context = {"person": person, "items": items, "count": len(items), "base_url": base_url()}
    override = MessageTemplate.objects.filter(tenant_id=tenant_id, name=template_name or "message").first()
    if template_name and override is None:
        raise TemplateFailed(f"template {template_name!r} does not exist")
    try:
        if override is not None:
            engine = Engine(autoescape=False)
            subject = Template(override.subject, engine=engine).render(Context(context)).strip()
            text = Template(override.body_text, engine=engine).render(Context(context))
            html = Template(override.body_html).render(Context(context)) if override.body_html else ""
        else:
            subject = items[0].headline if len(items) == 1 else f"{len(items)} updates on your training"
            text = render_to_string("notifications/email/message.txt", context)
            html = render_to_string("notifications/email/message.html", context)
    except (TemplateSyntaxError, Exception) as exc:  # a broken tenant template must not stop the others
        raise TemplateFailed(f"{exc.__class__.__name__}: {exc}") from exc
    return " ".join(subject.split())[:300], text, html
