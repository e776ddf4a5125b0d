"""Every change to groups and their membership goes through here. Membership is set-based SQL."""

from collections.abc import Collection
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Value
from django.utils.translation import gettext as _

from duecourse.core import clock
from duecourse.core.actors import SystemActor, audit_actor
from duecourse.core.api import MAX_ID
from duecourse.core.audit import audit_record
from duecourse.core.errors import UNIQUE, Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.sql import insert_select_ignore_conflicts
from duecourse.groups import permissions
from duecourse.groups.domain import ARCHIVED_REFUSAL, PROVISIONED_REFUSAL, group_is_archived, group_is_provisioned
from duecourse.groups.dynamic_rules import tenant_rule_filter, validate_rule
from duecourse.groups.inputs import GroupInput
from duecourse.groups.limits import MAX_DESCRIPTION_LENGTH, MAX_EXTERNAL_ID_LENGTH, MAX_NAME_LENGTH
from duecourse.groups.models import Group, GroupMember
from duecourse.groups.signals import group_delete_blockers, group_deleted, group_membership_changed
from duecourse.people.models import Person

MAX_STATIC_MEMBERS_PER_CALL = 100_000


def _clean_name(tenant_id: int, name: str | None, group_id: int | None) -> str:
    if not name or not name.strip():
        raise ValidationFailed.on("name", _("is required"))
    name = name.strip()
    if "\x00" in name:
        raise ValidationFailed.on("name", _("contains a NUL character"))
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed.on("name", _("is longer than %(max)s characters") % {"max": MAX_NAME_LENGTH})
    if Group.objects.filter(tenant_id=tenant_id, name=name).exclude(pk__in=[group_id] if group_id else []).exists():
        raise ValidationFailed.on(
            "name", _("a group named %(name)s already exists") % {"name": repr(name)}, code=UNIQUE
        )
    return name


def _clean_member_ids(tenant_id: int, member_ids: list[int] | None) -> list[int]:
    if member_ids is None:
        return []
    if len(member_ids) > MAX_STATIC_MEMBERS_PER_CALL:
        raise ValidationFailed.on(
            "member_ids", _("at most %(max)s ids per call") % {"max": MAX_STATIC_MEMBERS_PER_CALL}
        )
    wanted = set(member_ids)
    found: set[int] = set()
    ids = sorted(i for i in wanted if 0 < i <= MAX_ID)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found.update(Person.objects.filter(tenant_id=tenant_id, pk__in=chunk).values_list("id", flat=True))
    unknown = sorted(wanted - found)
    if unknown:
        shown = ", ".join(map(str, unknown[:10])) + (" …" if len(unknown) > 10 else "")
        raise ValidationFailed.on("member_ids", _("no person with id %(ids)s") % {"ids": shown})
    return ids


def _clean_external_id(tenant_id: int, value: str | None, group_id: int | None, errors: list[FieldError]) -> str | None:
    external_id = (value or "").strip() or None
    if external_id is None:
        return None
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH or "\x00" in external_id:
        errors.append(
            FieldError("external_id", _("at most %(max)s characters, no NUL") % {"max": MAX_EXTERNAL_ID_LENGTH})
        )
    elif (
        Group.objects.filter(tenant_id=tenant_id, external_id=external_id)
        .exclude(pk__in=[group_id] if group_id else [])
        .exists()
    ):
        errors.append(
            FieldError(
                "external_id",
                _("%(external_id)s is already used by another group") % {"external_id": external_id},
                UNIQUE,
            )
        )
    return external_id


def _clean_group_input(tenant_id: int, group_input: GroupInput, group: Group | None) -> dict[str, Any]:
    """The given fields, cleaned; ValidationFailed naming every bad field."""
    data = group_input.given()
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    kind = data.get("kind", group.kind if group else None)
    if kind not in (Group.STATIC, Group.DYNAMIC):
        raise ValidationFailed.on("kind", _("must be 'static' or 'dynamic'"))
    if group is not None and kind != group.kind:
        raise ValidationFailed.on("kind", _("cannot change after creation; create a new group instead"))
    clean["kind"] = kind
    for key, fn in (
        ("name", lambda v: _clean_name(tenant_id, v, group.pk if group else None)),
        ("member_ids", lambda v: _clean_member_ids(tenant_id, v)),
        ("rule", validate_rule),
    ):
        if key in data and not (key == "rule" and data[key] is None and kind == Group.STATIC):
            try:
                clean[key] = fn(data[key])
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    if "external_id" in data:
        clean["external_id"] = _clean_external_id(tenant_id, data["external_id"], group.pk if group else None, errors)
    if "description" in data:
        clean["description"] = (data["description"] or "")[:MAX_DESCRIPTION_LENGTH]
        if "\x00" in clean["description"]:
            errors.append(FieldError("description", _("contains a NUL character")))
    if group is None and "name" not in data:
        errors.append(FieldError("name", _("is required")))
    if kind == Group.DYNAMIC:
        if data.get("member_ids"):
            errors.append(FieldError("member_ids", _("a dynamic group's members come from its rule")))
        if group is None and "rule" not in data:
            errors.append(FieldError("rule", _("is required for a dynamic group")))
    elif data.get("rule"):
        errors.append(FieldError("rule", _("a static group has explicit members, not a rule")))
    if errors:
        raise ValidationFailed(detail=_("Invalid group"), errors=errors)
    return clean


def _may_manage(actor: Person | SystemActor) -> bool:
    """Admins, and the system acting in its tenant (SCIM provisioning)."""
    return isinstance(actor, SystemActor) or permissions.can_manage_groups(actor)


def _refuse_provisioning_by_people(actor: Person | SystemActor, provisioned: bool) -> None:
    """Only the identity provider (SCIM, the system actor) marks a group as managed by it."""
    if provisioned and not isinstance(actor, SystemActor):
        raise forbidden("mark a group as managed by the identity provider")


def group_create(*, actor: Person | SystemActor, data: GroupInput, provisioned: bool = False) -> Group:
    """A new group; `provisioned` (SCIM only): the identity provider manages it from now on."""
    if not _may_manage(actor):
        raise forbidden("create groups")
    _refuse_provisioning_by_people(actor, provisioned)
    clean = _clean_group_input(actor.tenant_id, data, None)
    with transaction.atomic():
        try:
            with transaction.atomic():
                group = Group.objects.create(
                    tenant_id=actor.tenant_id,
                    name=clean["name"],
                    kind=clean["kind"],
                    rule=clean.get("rule"),
                    description=clean.get("description", ""),
                    external_id=clean.get("external_id"),
                    provisioned_at=clock.now() if provisioned else None,
                )
        except IntegrityError:
            raise ValidationFailed.on("name", f"a group named {clean['name']!r} already exists", code=UNIQUE) from None
        if group.kind == Group.STATIC:
            _static_members_set(group, clean.get("member_ids", []))
        else:
            dynamic_group_refresh(group=group)
        audit_record(
            tenant_id=actor.tenant_id,
            **audit_actor(actor),
            action="group.create",
            object_type="group",
            object_id=group.pk,
            after={
                "name": group.name,
                "kind": group.kind,
                "rule": group.rule,
                "member_count": GroupMember.objects.filter(group=group).count(),
                **({"provisioned": True} if provisioned else {}),
            },
        )
    return group


def group_update(*, actor: Person | SystemActor, group: Group, data: GroupInput, provisioned: bool = False) -> Group:
    """Change the fields given; `provisioned` (SCIM only): the identity provider manages the group from now on
    (kept once set: a SCIM PUT without `externalId` does not hand the group back)."""
    if not _may_manage(actor):
        raise forbidden("change groups")
    _refuse_provisioning_by_people(actor, provisioned)
    clean = _clean_group_input(actor.tenant_id, data, group)
    refuse_changes_made_elsewhere(actor=actor, group=group, changes=clean)
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk, tenant_id=actor.tenant_id)
        before = {
            "name": group.name,
            "rule": group.rule,
            "description": group.description,
            "external_id": group.external_id,
        }
        for key in ("name", "rule", "description", "external_id"):
            if key in clean:
                setattr(group, key, clean[key])
        newly_provisioned = provisioned and group.provisioned_at is None
        if newly_provisioned:
            group.provisioned_at = clock.now()
        group.save()
        if group.kind == Group.STATIC and "member_ids" in clean:
            before["member_ids"] = list(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
            _static_members_set(group, clean["member_ids"])
        elif group.kind == Group.DYNAMIC and "rule" in clean:
            dynamic_group_refresh(group=group)
        audit_record(
            tenant_id=actor.tenant_id,
            **audit_actor(actor),
            action="group.update",
            object_type="group",
            object_id=group.pk,
            before=before,
            after={k: v for k, v in clean.items() if k != "kind"}
            | ({"provisioned": True} if newly_provisioned else {}),
        )
    return group


def refuse_changes_made_elsewhere(*, actor: Person | SystemActor, group: Group, changes: dict[str, Any]) -> None:
    """The guard of every rename and membership change (`changes`: the cleaned name and the resulting member
    ids). A group the identity provider manages is renamed and re-membered there (SCIM, the system actor,
    still does it here); an archived group takes no members from anyone. Same name or same members pass."""
    if group_is_archived(group) and changes.get("member_ids"):
        raise ValidationFailed.on("member_ids", str(ARCHIVED_REFUSAL))
    if isinstance(actor, SystemActor) or not group_is_provisioned(group):
        return
    errors = []
    if "name" in changes and changes["name"] != group.name:
        errors.append(FieldError("name", str(PROVISIONED_REFUSAL)))
    if "member_ids" in changes:
        current = set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
        if set(changes["member_ids"]) != current:
            errors.append(FieldError("member_ids", str(PROVISIONED_REFUSAL)))
    if errors:
        raise ValidationFailed(
            detail=_("The group %(name)s is managed by your identity provider") % {"name": group.name}, errors=errors
        )


def group_delete(*, actor: Person, group: Group) -> None:
    if not permissions.can_manage_groups(actor):
        raise forbidden("delete groups")
    with transaction.atomic():
        # The row lock orders this delete with a rule save naming the group (which locks it too).
        group = Group.objects.select_for_update().get(pk=group.pk, tenant_id=actor.tenant_id)
        blockers = group_delete_blockers_of(group)
        if blockers:
            by_field: dict[str, list[str]] = {}
            for error in blockers:
                by_field.setdefault(error.field, []).append(error.message)
            uses = "; ".join(f"{field} {', '.join(names)}" for field, names in by_field.items())
            raise Conflict(
                detail=_("The group %(name)s cannot be deleted: it is used by %(uses)s. Change or delete those first.")
                % {"name": group.name, "uses": uses},
                errors=blockers,
            )
        member_ids = list(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="group.delete",
            object_type="group",
            object_id=group.pk,
            before={"name": group.name, "kind": group.kind, "rule": group.rule, "member_count": len(member_ids)},
        )
        group_id, name = group.pk, group.name
        group.delete()
        group_deleted.send(sender=Group, tenant_id=actor.tenant_id, group_id=group_id, name=name, actor=actor)
        group_membership_changed.send(
            sender=Group, tenant_id=actor.tenant_id, group_ids=[group_id], person_ids=member_ids
        )


# Why a group was archived, as its pages and the configurations that named it say it.
ARCHIVED_BY_IDENTITY_PROVIDER = "removed by the identity provider"


def group_archive(*, actor: Person | SystemActor, group: Group, reason: str) -> Group:
    """Empty a group and archive it: it keeps its name and history, takes no new members, and the
    configurations that target it keep naming it (their people leave with the members, which withdraws
    what only the group held). Used where a delete must succeed although configurations use the group
    (SCIM DELETE). Archiving an archived group changes nothing."""
    if not isinstance(actor, SystemActor) and not permissions.can_manage_groups(actor):
        raise forbidden("archive groups")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk, tenant_id=actor.tenant_id)
        if group.archived_at is not None:
            return group
        member_ids = list(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
        GroupMember.objects.filter(group=group).delete()
        group.archived_at = clock.now()
        group.archived_reason = reason[:200]
        group.save(update_fields=["archived_at", "archived_reason", "updated_at"])
        audit_record(
            tenant_id=actor.tenant_id,
            **audit_actor(actor),
            action="group.archive",
            object_type="group",
            object_id=group.pk,
            before={"name": group.name, "member_count": len(member_ids)},
            after={"archived_reason": group.archived_reason},
            reason=reason,
        )
        if member_ids:
            group_membership_changed.send(
                sender=Group, tenant_id=actor.tenant_id, group_ids=[group.pk], person_ids=member_ids
            )
    return group


def group_restore(*, actor: Person | SystemActor, group: Group, data: GroupInput, provisioned: bool = False) -> Group:
    """Bring an archived static group back with the given name, external id and members (the identity
    provider assigning a group again that it removed: Entra's unassign + reassign is a DELETE then a POST).
    The configurations that still name it reach its members again. Audited as `group.restore`."""
    if not _may_manage(actor):
        raise forbidden("restore groups")
    _refuse_provisioning_by_people(actor, provisioned)
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk, tenant_id=actor.tenant_id)
        if group.archived_at is None or group.kind != Group.STATIC:
            raise Conflict.on("archived_at", _("only an archived static group can be restored"))
        clean = _clean_group_input(actor.tenant_id, data, group)
        before = {
            "name": group.name,
            "external_id": group.external_id,
            "archived_at": group.archived_at.isoformat(),
            "archived_reason": group.archived_reason,
        }
        for key in ("name", "description", "external_id"):
            if key in clean:
                setattr(group, key, clean[key])
        group.archived_at, group.archived_reason = None, ""
        if provisioned and group.provisioned_at is None:
            group.provisioned_at = clock.now()
        group.save()
        _static_members_set(group, clean.get("member_ids", []))
        audit_record(
            tenant_id=actor.tenant_id,
            **audit_actor(actor),
            action="group.restore",
            object_type="group",
            object_id=group.pk,
            before=before,
            after={
                "name": group.name,
                "external_id": group.external_id,
                "member_count": GroupMember.objects.filter(group=group).count(),
            },
        )
    return group


def group_delete_blockers_of(group: Group) -> list[FieldError]:
    """What still depends on a group, as the apps above groups answer `group_delete_blockers`."""
    answers = group_delete_blockers.send(sender=Group, tenant_id=group.tenant_id, group_id=group.pk)
    blockers: list[FieldError] = []
    for _receiver, errors in answers:
        blockers.extend(cast("list[FieldError]", errors or []))
    return blockers


def _static_members_set(group: Group, person_ids: list[int]) -> None:
    current = set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
    wanted = set(person_ids)
    leaving = sorted(current - wanted)
    joining = sorted(wanted - current)
    for start in range(0, len(leaving), 5000):
        GroupMember.objects.filter(group=group, person_id__in=leaving[start : start + 5000]).delete()
    GroupMember.objects.bulk_create(
        [GroupMember(tenant_id=group.tenant_id, group=group, person_id=pid) for pid in joining],
        batch_size=5000,
        ignore_conflicts=True,
    )
    if leaving or joining:
        group_membership_changed.send(
            sender=Group, tenant_id=group.tenant_id, group_ids=[group.pk], person_ids=leaving + joining
        )


def static_group_add_members(*, actor: Person | SystemActor, group: Group, person_ids: list[int]) -> None:
    if not _may_manage(actor) or group.tenant_id != actor.tenant_id:
        raise forbidden("change groups")
    if group.kind != Group.STATIC:
        raise ValidationFailed.on("member_ids", _("a dynamic group's members come from its rule"))
    if group.archived_at is not None:
        raise ValidationFailed.on(
            "member_ids",
            _("the group is archived (%(reason)s) and takes no members") % {"reason": group.archived_reason},
        )
    ids = _clean_member_ids(group.tenant_id, person_ids)
    current = set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
    refuse_changes_made_elsewhere(actor=actor, group=group, changes={"member_ids": sorted(current | set(ids))})
    with transaction.atomic():
        _static_members_set(group, sorted(current | set(ids)))


def static_group_remove_members(*, actor: Person | SystemActor, group: Group, person_ids: list[int]) -> None:
    if not _may_manage(actor) or group.tenant_id != actor.tenant_id:
        raise forbidden("change groups")
    if group.kind != Group.STATIC:
        raise ValidationFailed.on("member_ids", _("a dynamic group's members come from its rule"))
    current = set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))
    refuse_changes_made_elsewhere(actor=actor, group=group, changes={"member_ids": sorted(current - set(person_ids))})
    with transaction.atomic():
        _static_members_set(group, sorted(current - set(person_ids)))


def dynamic_group_refresh(*, group: Group, person_ids: Collection[int] | None = None) -> tuple[int, int]:
    """Bring a dynamic group's materialised members in line with its rule; returns (joined, left).

    With `person_ids`, only those people are re-evaluated (after an edit); without, everyone (after
    an import or a rule change). Two set-based statements either way, after looking up the org units
    the rule names.
    """
    condition = tenant_rule_filter(group.rule, group.tenant_id)
    members = GroupMember.objects.filter(group=group)
    if person_ids is not None:
        members = members.filter(person_id__in=list(person_ids))
    if condition is None:  # the rule names an org unit the tenant does not have: nobody matches
        left, _ = members.delete()
        joined = 0
    else:
        matching = Person.objects.filter(condition)
        if person_ids is not None:
            matching = matching.filter(pk__in=list(person_ids))
        left, _ = members.exclude(person_id__in=matching.values("pk")).delete()
        joined = insert_select_ignore_conflicts(
            GroupMember._meta.db_table,
            ["tenant_id", "group_id", "person_id"],
            matching.values_list("tenant_id", group_id_value(group), "pk"),
        )
    if joined or left:
        group_membership_changed.send(
            sender=Group,
            tenant_id=group.tenant_id,
            group_ids=[group.pk],
            person_ids=list(person_ids) if person_ids is not None else None,
        )
    return joined, left


def group_id_value(group: Group) -> Value:
    return Value(group.pk, output_field=BigIntegerField())


def dynamic_groups_refresh(*, tenant_id: int, person_ids: Collection[int] | None) -> None:
    """Re-evaluate every dynamic group of the tenant for these people (or for everyone)."""
    if person_ids is not None and len(person_ids) > 5000:
        person_ids = None  # a full refresh is cheaper than a huge IN list
    for group in Group.objects.filter(tenant_id=tenant_id, kind=Group.DYNAMIC):
        dynamic_group_refresh(group=group, person_ids=person_ids)
