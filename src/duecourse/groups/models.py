from django.db import models
from django.utils.translation import gettext_lazy

from duecourse.core.models import TenantScopedModel
from duecourse.people.models import Person


class Group(TenantScopedModel):
    """A set of people: explicit members (static) or everyone matching a rule (dynamic)."""

    STATIC = "static"
    DYNAMIC = "dynamic"
    KINDS = [(STATIC, gettext_lazy("Static")), (DYNAMIC, gettext_lazy("Dynamic"))]

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=KINDS)
    rule = models.JSONField(null=True, blank=True)
    description = models.TextField(blank=True, default="")
    # Set for a group provisioned by the identity provider (SCIM `externalId`).
    external_id = models.CharField(max_length=200, null=True, blank=True)
    # When SCIM first created or wrote the group: from then on the identity provider manages its name and
    # members (`domain.group_is_provisioned`), whether or not it sent an `externalId`.
    provisioned_at = models.DateTimeField(null=True, blank=True)
    # An archived group has no members and takes no new ones; it stays for history and for the
    # configurations that named it (which say why it is gone: `archived_reason`).
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "group"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="group_unique_name"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="group_unique_external_id",
            ),
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class GroupMember(TenantScopedModel):
    """Materialised membership for both kinds, so fan-out and filters are joins."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="group_memberships")

    class Meta:
        db_table = "group_member"
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="group_member_unique")]
        indexes = [models.Index(fields=["tenant", "person"], name="group_member_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}"
