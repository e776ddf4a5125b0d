"""Saving and deleting a person's views of the Mandatory tasks list."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from duecourse.core import clock
from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.people.models import Person
from duecourse.workspace import permissions
from duecourse.workspace.domain import MAX_SAVED_VIEWS, MAX_VIEW_NAME_LENGTH, clean_view_query
from duecourse.workspace.models import SavedView


def saved_view_save(*, actor: Person, name: str, query: str) -> SavedView:
    """Save the list's current filters under a name; the same name again replaces that view's filters."""
    if not permissions.can_view_workspace(actor):
        raise forbidden("save views of the mandatory tasks")
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed.on("name", _("give the view a name"))
    if len(name) > MAX_VIEW_NAME_LENGTH:
        raise ValidationFailed.on("name", _("at most %(max)s characters") % {"max": MAX_VIEW_NAME_LENGTH})
    query = clean_view_query(query)
    mine = SavedView.objects.filter(tenant_id=actor.tenant_id, person_id=actor.pk)
    existing = mine.filter(name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if mine.count() >= MAX_SAVED_VIEWS:
        raise ValidationFailed.on(
            "name", _("you have %(max)s saved views: delete one first") % {"max": MAX_SAVED_VIEWS}
        )
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                tenant_id=actor.tenant_id, person=actor, name=name, query=query, created_at=clock.now()
            )
    except IntegrityError:  # the same name saved at once from two tabs: the other save won
        view = mine.get(name=name)
        view.query = query
        view.save(update_fields=["query"])
        return view


def saved_view_delete(*, actor: Person, view: SavedView) -> None:
    if view.person_id != actor.pk:
        raise forbidden("delete someone else's view")
    view.delete()
