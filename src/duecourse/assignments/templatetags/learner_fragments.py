"""Fragments the assignments app contributes to other apps' pages (the catalog's marks of what the viewer is
assigned, a person's completion history), so those apps never import assignments."""

from django import template

from duecourse.assignments import selectors
from duecourse.assignments.presenters import Item, present

register = template.Library()

# The completion history shows this many rows until "Show all" is asked for; then at most `HISTORY_ALL`.
HISTORY_SHOWN = 10
HISTORY_ALL = 500


@register.simple_tag
def catalog_marks(actor, target_type: str, items) -> dict[int, Item]:
    """The viewer's own assignments of these catalog items (a page of them, or one), by target id, as My
    learning presents them (status, due date, Begin / Continue): one read for all, never one per row."""
    if actor is None:
        return {}
    objects = [items] if hasattr(items, "pk") else list(items)
    found = selectors.viewer_assignments_by_target(person=actor, targets=[(target_type, o.pk) for o in objects])
    return {item.assignment.target_id: item for item in present(actor, list(found.values()), launch=True)}


@register.inclusion_tag("assignments/_catalog_mark.html")
def catalog_mark(marks: dict[int, Item], target_id: int):
    """One catalog item's mark: its assignment's status chip, due date and action, or when it was completed."""
    return {"item": marks.get(target_id)}


@register.inclusion_tag("assignments/_completion_history.html", takes_context=True)
def completion_history(context, actor, person, htmx_target: str = ""):
    """The "Completion history" of a person (My learning, a person's page): every completion recorded, newest
    first, with its score and how it was recorded; the newest `HISTORY_SHOWN` until "Show all" is asked for
    (`?history=all`). Nothing for someone who may not see the person's assignments."""
    request = context.get("request")
    rows = selectors.completion_history(actor=actor, person_id=person.pk)
    show_all = request is not None and request.GET.get("history") == "all"
    shown = list(rows[: HISTORY_ALL if show_all else HISTORY_SHOWN + 1])
    total = rows.count() if show_all or len(shown) > HISTORY_SHOWN else len(shown)
    if not show_all:
        shown = shown[:HISTORY_SHOWN]
    return {
        "rows": shown,
        "total": total,
        "capped": len(shown) < total,
        "show_all": show_all,
        "more_url": f"{request.path}?history=all" if request is not None else "",
        "htmx_target": htmx_target,
        "is_self": person.pk == actor.pk,
        "person": person,
    }
