from django.http import HttpRequest
from ninja import Query, Router, Status

from duecourse.core.api import ERROR_RESPONSES, ListParams, actor_of, paged_list, was_paging_asked
from duecourse.groups import selectors, services
from duecourse.groups.domain import group_is_provisioned
from duecourse.groups.models import Group
from duecourse.groups.schemas import GroupFilters, GroupIn, GroupList, GroupOut, GroupPatch
from duecourse.people.presenters import PERSON_CSV_COLUMNS, person_as_dict
from duecourse.people.schemas import PersonList

router = Router()
GROUP_CSV_COLUMNS = ["id", "name", "kind", "description", "member_count", "rule", "external_id", "archived_at"]


def group_as_dict(group: Group, *, with_members: bool = False) -> dict:
    return {
        "id": group.pk,
        "name": group.name,
        "kind": group.kind,
        "description": group.description,
        "member_ids": selectors.group_member_ids(group=group) if with_members and group.kind == Group.STATIC else None,
        "rule": group.rule,
        "member_count": getattr(group, "member_count", 0),
        "external_id": group.external_id,
        "provisioned": group_is_provisioned(group),
        "archived_at": group.archived_at,
        "archived_reason": group.archived_reason,
    }


@router.get("", response={200: GroupList, **ERROR_RESPONSES}, summary="List groups")
def list_groups(request: HttpRequest, filters: Query[GroupFilters]):
    groups = selectors.group_list(actor=actor_of(request), q=filters.q, kind=filters.kind, archived=filters.archived)
    return paged_list(
        groups,
        filters,
        group_as_dict,
        csv_name="groups",
        csv_columns=GROUP_CSV_COLUMNS,
        explicit_paging=was_paging_asked(request),
    )


@router.post("", response={201: GroupOut, **ERROR_RESPONSES}, summary="Create a group")
def create_group(request: HttpRequest, payload: GroupIn):
    actor = actor_of(request)
    group = services.group_create(actor=actor, data=payload.to_input())
    return Status(201, group_as_dict(selectors.access_group(actor=actor, group_id=group.pk), with_members=True))


@router.get("/{int:group_id}", response={200: GroupOut, **ERROR_RESPONSES}, summary="Get a group")
def get_group(request: HttpRequest, group_id: int):
    return group_as_dict(selectors.access_group(actor=actor_of(request), group_id=group_id), with_members=True)


@router.patch("/{int:group_id}", response={200: GroupOut, **ERROR_RESPONSES}, summary="Change a group")
def patch_group(request: HttpRequest, group_id: int, payload: GroupPatch):
    actor = actor_of(request)
    group = selectors.access_group(actor=actor, group_id=group_id)
    services.group_update(actor=actor, group=group, data=payload.to_input())
    return group_as_dict(selectors.access_group(actor=actor, group_id=group_id), with_members=True)


@router.delete(
    "/{int:group_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a group (409 naming each active assignment rule that targets it)",
)
def delete_group(request: HttpRequest, group_id: int):
    actor = actor_of(request)
    group = selectors.access_group(actor=actor, group_id=group_id)
    services.group_delete(actor=actor, group=group)
    return Status(204, None)


@router.get("/{int:group_id}/members", response={200: PersonList, **ERROR_RESPONSES}, summary="A group's members")
def group_members(request: HttpRequest, group_id: int, params: Query[ListParams]):
    group = selectors.access_group(actor=actor_of(request), group_id=group_id)
    return paged_list(
        selectors.group_members(group=group),
        params,
        person_as_dict,
        csv_name=f"group-{group.pk}-members",
        csv_columns=PERSON_CSV_COLUMNS,
        explicit_paging=was_paging_asked(request),
    )
