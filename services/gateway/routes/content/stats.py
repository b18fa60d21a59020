"""A member's content stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.contracts.api import content as api

from ...access import Acting, allowed
from ...backends import BackendsDep, IdPath, responses
from .common import router


@router.get(
    "/v1/members/{member_id}/content-stats",
    summary=api.content_stats.summary,
    responses=responses(api.content_stats),
)
async def content_stats(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.content_stats))],
) -> api.ContentStats:
    return await backends.call(api.content_stats, api.MemberQuery(member_id=member_id))
