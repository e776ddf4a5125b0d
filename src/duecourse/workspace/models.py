"""A person's saved views of the Mandatory tasks list: a name and the list's query string."""

from django.db import models

from duecourse.core.models import TenantScopedModel
from duecourse.people.models import Person
from duecourse.workspace.domain import MAX_VIEW_NAME_LENGTH, MAX_VIEW_QUERY_LENGTH


class SavedView(TenantScopedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=MAX_VIEW_NAME_LENGTH)
    query = models.CharField(max_length=MAX_VIEW_QUERY_LENGTH, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "saved_view"
        constraints = [models.UniqueConstraint(fields=["person", "name"], name="saved_view_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
