"""The feed and mutes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response

from shared.contracts.api import content as api

from ...access import Acting, allowed
from ...backends import BackendsDep, IdPath, responses
from .common import NO_CONTENT, CursorQuery, Limit, router


@router.get("/v1/members/{member_id}/feed", summary=api.feed.summary, responses=responses(api.feed))
async def feed(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.feed))],
    order: Annotated[api.FeedOrder, Query(description="`recent` (default) or `value`.")] = "recent",
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.Feed:
    return await backends.call(
        api.feed, api.FeedPage(member_id=member_id, order=order, limit=limit, cursor=cursor)
    )


@router.get(
    "/v1/members/{member_id}/mutes",
    summary=api.list_mutes.summary,
    responses=responses(api.list_mutes),
)
async def list_mutes(
    member_id: IdPath, backends: BackendsDep, _: Annotated[Acting, Depends(allowed(api.list_mutes))]
) -> api.MuteList:
    return await backends.call(api.list_mutes, api.MemberQuery(member_id=member_id))


@router.put(
    "/v1/members/{member_id}/mutes/{target_id}",
    summary=api.mute.summary,
    responses=responses(api.mute),
)
async def mute(
    member_id: IdPath,
    target_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.mute))],
) -> api.MuteView:
    return await backends.call(api.mute, api.Mute(member_id=member_id, target_id=target_id))


@router.delete(
    "/v1/members/{member_id}/mutes/{target_id}",
    status_code=NO_CONTENT,
    summary=api.unmute.summary,
    responses=responses(api.unmute),
)
async def unmute(
    member_id: IdPath,
    target_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.unmute))],
) -> Response:
    await backends.call(api.unmute, api.Mute(member_id=member_id, target_id=target_id))
    return Response(status_code=NO_CONTENT)
