"""Relationships as the aggregator projects them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..backends import BackendsDep, IdPath

router = APIRouter(tags=["relationships"])


@router.get(
    "/v1/members/{member_id}/relationships",
    summary="A member's related members, with the trust of each relationship",
)
async def relationships(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("aggregator", "relationships", {"member_id": member_id})
