"""Groups: create, read, join or invite, leave or remove, a member's groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from shared.contracts.api import content as api

from ...access import Acting, allowed
from ...backends import BackendsDep, IdempotencyKey, IdPath, responses
from .common import CREATED, NO_CONTENT, CursorQuery, Limit, router, sent_fields


@router.post(
    "/v1/groups",
    status_code=CREATED,
    summary=api.create_group.summary,
    responses=responses(api.create_group, body=True),
)
async def create_group(
    body: api.NewGroup,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.create_group))],
    idempotency_key: IdempotencyKey = None,
) -> api.GroupView:
    command = api.CreateGroup(owner_id=acting.member_id, **sent_fields(body))
    group = await backends.call(api.create_group, command, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/groups/{group.id}"
    return group


@router.get(
    "/v1/groups",
    summary=api.list_open_groups.summary,
    responses=responses(api.list_open_groups),
)
async def list_open_groups(
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.list_open_groups))],
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.OpenGroups:
    return await backends.call(
        api.list_open_groups,
        api.OpenGroupsPage(member_id=acting.member_id, limit=limit, cursor=cursor),
    )


@router.get(
    "/v1/groups/{group_id}", summary=api.get_group.summary, responses=responses(api.get_group)
)
async def get_group(
    group_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.get_group))],
) -> api.GroupView:
    return await backends.call(
        api.get_group, api.GroupQuery(group_id=group_id, member_id=acting.member_id)
    )


def _membership(group_id: str, member_id: str, acting: Acting) -> api.GroupMembership:
    """The caller puts `member_id` in (themselves: join; another: invite) or takes them out."""
    return api.GroupMembership(group_id=group_id, member_id=member_id, actor_id=acting.member_id)


@router.put(
    "/v1/groups/{group_id}/members/{member_id}",
    summary=api.put_group_member.summary,
    responses=responses(api.put_group_member),
)
async def put_group_member(
    group_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.put_group_member))],
) -> api.MembershipView:
    return await backends.call(api.put_group_member, _membership(group_id, member_id, acting))


@router.delete(
    "/v1/groups/{group_id}/members/{member_id}",
    status_code=NO_CONTENT,
    summary=api.remove_group_member.summary,
    responses=responses(api.remove_group_member),
)
async def remove_group_member(
    group_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.remove_group_member))],
) -> Response:
    await backends.call(api.remove_group_member, _membership(group_id, member_id, acting))
    return Response(status_code=NO_CONTENT)


@router.get(
    "/v1/members/{member_id}/groups",
    summary=api.list_member_groups.summary,
    responses=responses(api.list_member_groups),
)
async def list_member_groups(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_member_groups))],
) -> api.MemberGroups:
    return await backends.call(api.list_member_groups, api.MemberQuery(member_id=member_id))
