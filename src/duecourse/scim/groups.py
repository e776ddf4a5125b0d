"""SCIM Groups: duecourse's static groups, written through `groups.services` with the token's system actor,
so membership changes drive configurations and rules like any other change (the membership signal).

Dynamic groups (their members come from a rule) and archived groups are not SCIM groups: 404, never listed.
"""

from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from scim2_models import (
    Context,
    InvalidFilterException,
    InvalidPathException,
    InvalidValueException,
    Meta,
    MutabilityException,
    NotFoundException,
    PatchOp,
)
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    ValuePath,
)

from duecourse.core.actors import SystemActor
from duecourse.core.errors import DomainError
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group, GroupMember
from duecourse.groups.services import (
    ARCHIVED_BY_IDENTITY_PROVIDER,
    group_archive,
    group_create,
    group_restore,
    group_update,
    static_group_add_members,
    static_group_remove_members,
)
from duecourse.scim.errors import scim_error_of
from duecourse.scim.ids import parse_scim_id
from duecourse.scim.models import ScimProfile
from duecourse.scim.resources import POLICY
from duecourse.scim.resources import Group as ScimGroup
from duecourse.scim.resources import GroupMember as ScimMember
from duecourse.scim.users import base_location, user_location

GROUP_FIELDS = {"name": "displayName"}


def group_location(group_id: int | str) -> str:
    return f"{base_location()}/Groups/{group_id}"


def provisioned_groups(tenant_id: int) -> QuerySet[Group]:
    return Group.objects.filter(tenant_id=tenant_id, kind=Group.STATIC, archived_at__isnull=True)


def access_group(tenant_id: int, group_id: str) -> Group:
    pk = parse_scim_id(group_id)
    group = provisioned_groups(tenant_id).filter(pk=pk).first() if pk is not None else None
    if group is None:
        raise NotFoundException(detail=f"Group {group_id} not found")
    return group


def _listed_members(group_ids: list[int]) -> QuerySet[GroupMember]:
    """The memberships SCIM lists: of the users SCIM knows (a user SCIM deleted is no member)."""
    return GroupMember.objects.filter(group_id__in=group_ids).filter(
        Q(person__scim_profile__isnull=True) | Q(person__scim_profile__deleted_at__isnull=True)
    )


def member_counts_of(group_ids: list[int]) -> dict[int, int]:
    """How many members each of a page of groups lists, in one query."""
    rows = _listed_members(group_ids).values("group_id").annotate(n=Count("pk")).values_list("group_id", "n")
    return dict(rows)


def member_ids_of(group_ids: list[int]) -> dict[int, list[int]]:
    """Members of a page of groups in one query: the users SCIM knows (a user SCIM deleted is no member)."""
    members: dict[int, list[int]] = {gid: [] for gid in group_ids}
    rows = _listed_members(group_ids).order_by("person_id")
    for group_id, person_id in rows.values_list("group_id", "person_id"):
        members[group_id].append(person_id)
    return members


def group_resource(group: Group, member_ids: list[int] | None) -> Any:
    return ScimGroup(
        id=str(group.pk),
        external_id=group.external_id,
        display_name=group.name,
        members=[
            ScimMember.model_validate({"value": str(pid), "$ref": user_location(pid), "type": "User"})
            for pid in member_ids
        ]
        if member_ids
        else None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=group_location(group.pk),
        ),
    )


def _member_id(member: Any) -> int:
    value = member.get("value") if isinstance(member, dict) else getattr(member, "value", None)
    pk = parse_scim_id(value)
    if pk is None:
        raise InvalidValueException(detail=f"members: {value!r} is not a user id")
    return pk


def _member_ids(members: Any) -> list[int]:
    if members is None:
        return []
    if not isinstance(members, list):
        members = [members]
    return [_member_id(m) for m in members]


def _refuse_deleted_users(tenant_id: int, person_ids: Collection[int]) -> None:
    """A user SCIM deleted does not exist for SCIM (404): it cannot become a member either."""
    deleted = sorted(
        ScimProfile.objects.filter(
            tenant_id=tenant_id, person_id__in=list(person_ids), deleted_at__isnull=False
        ).values_list("person_id", flat=True)
    )
    if deleted:
        raise InvalidValueException(detail=f"members: no user with id {', '.join(map(str, deleted[:10]))}")


def _service_error(exc: DomainError) -> Exception:
    return scim_error_of(exc, field_names=GROUP_FIELDS)


def _archived_group(tenant_id: int, external_id: str | None, name: str | None) -> Group | None:
    """The archived static group a POST brings back: the one with this externalId, else the one with this name."""
    archived = Group.objects.filter(tenant_id=tenant_id, kind=Group.STATIC, archived_at__isnull=False)
    if external_id and external_id.strip():
        found = archived.filter(external_id=external_id.strip()).first()
        if found is not None:
            return found
    return archived.filter(name=(name or "").strip()).first() if name and name.strip() else None


def scim_group_create(*, actor: SystemActor, group: Any) -> Group:
    """POST /Groups: a new static group; a group a SCIM DELETE archived (same externalId, else same name) comes
    back as that group, with the members sent (like a re-hire for users), and answers 201."""
    member_ids = _member_ids(group.members)
    _refuse_deleted_users(actor.tenant_id, member_ids)
    with transaction.atomic():
        try:
            archived = _archived_group(actor.tenant_id, group.external_id, group.display_name)
            if archived is not None:
                data = GroupInput(name=group.display_name, external_id=group.external_id, member_ids=member_ids)
                return group_restore(actor=actor, group=archived, data=data, provisioned=True)
            data = GroupInput(
                name=group.display_name, kind="static", external_id=group.external_id, member_ids=member_ids
            )
            return group_create(actor=actor, data=data, provisioned=True)
        except DomainError as exc:
            raise _service_error(exc) from None


def scim_group_replace(*, actor: SystemActor, group: Group, replacement: Any) -> Group:
    member_ids = _member_ids(replacement.members)
    _refuse_deleted_users(actor.tenant_id, member_ids)
    data = GroupInput(name=replacement.display_name, external_id=replacement.external_id, member_ids=member_ids)
    with transaction.atomic():
        try:
            return group_update(actor=actor, group=group, data=data, provisioned=True)
        except DomainError as exc:
            raise _service_error(exc) from None


def _selected_member_ids(val_filter: FilterNode) -> list[int]:
    """`members[value eq "12"]`, or several joined by `or`."""
    terms = val_filter.terms if isinstance(val_filter, LogicalExpr) else (val_filter,)
    if isinstance(val_filter, LogicalExpr) and val_filter.op != LogicalOperator.or_:
        raise InvalidFilterException(detail='members[...] takes value eq "<id>" (joined by or)')
    ids = []
    for term in terms:
        if not (isinstance(term, Comparison) and term.op == CompareOperator.eq and term.attr_path.attr == "value"):
            raise InvalidFilterException(detail='members[...] takes value eq "<id>" (joined by or)')
        ids.append(_member_id({"value": term.value}))
    return ids


class _Plan:
    """What a PATCH does to a group, gathered before anything is written (so a bad operation changes nothing)."""

    def __init__(self, group_id: int, current: set[int]):
        self.group_id = group_id
        self.members = set(current)
        self.replaced = False
        self.fields: dict[str, Any] = {}

    def set_attribute(self, name: str, value: Any, op: str) -> None:
        key = name.lower()
        if key == "displayname":
            if op == "remove" or not value:
                raise MutabilityException(detail="displayName: is required")
            self.fields["name"] = value
        elif key == "externalid":
            self.fields["external_id"] = None if op == "remove" else value
        elif key == "members":
            ids = _member_ids(value)
            if op == "add":
                self.members |= set(ids)
            elif op == "replace":
                self.members, self.replaced = set(ids), True
            elif value is None:
                self.members, self.replaced = set(), True
            else:  # Entra: remove with the members to remove as the value
                self.members -= set(ids)
        elif key == "id" and str(value) != str(self.group_id):
            raise MutabilityException(detail="id: is read-only")  # Okta repeats the id in its replace value
        # Attributes duecourse does not keep are ignored, as in a POST.


def scim_group_patch(*, actor: SystemActor, group: Group, body: Any) -> Group:
    patch = PatchOp[ScimGroup].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY)
    current = set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
    plan = _Plan(group.pk, current)
    for operation in patch.operations or []:
        op = operation.op.value
        node = operation.path.ast if operation.path is not None else None
        value = operation.value
        if node is None:
            if not isinstance(value, dict):
                raise InvalidValueException(detail=f"{op} without a path takes an object of attributes")
            for name, attribute_value in value.items():
                plan.set_attribute(name, attribute_value, op)
        elif isinstance(node, AttrPath) and node.sub_attr is None:
            plan.set_attribute(node.attr, value, op)
        elif isinstance(node, ValuePath) and node.attr_path.attr.lower() == "members" and op == "remove":
            plan.members -= set(_selected_member_ids(node.val_filter))
        else:
            raise InvalidPathException(detail=f"the path {operation.path} is not supported on a group")
    joining = sorted(plan.members - current)
    leaving = sorted(current - plan.members)
    _refuse_deleted_users(actor.tenant_id, joining)
    with transaction.atomic():
        try:
            if plan.fields or group.provisioned_at is None:  # any SCIM write: the identity provider manages it
                group = group_update(actor=actor, group=group, data=GroupInput(**plan.fields), provisioned=True)
            if joining:
                static_group_add_members(actor=actor, group=group, person_ids=joining)
            if leaving:
                static_group_remove_members(actor=actor, group=group, person_ids=leaving)
        except DomainError as exc:
            raise _service_error(exc) from None
    return Group.objects.get(pk=group.pk)


def scim_group_delete(*, actor: SystemActor, group: Group) -> None:
    """DELETE /Groups/{id}: emptied and archived (never refused: configurations that target it say that the
    identity provider removed it); SCIM answers 404 for it from now on."""
    group_archive(actor=actor, group=group, reason=ARCHIVED_BY_IDENTITY_PROVIDER)
