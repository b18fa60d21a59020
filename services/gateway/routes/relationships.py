"""Relationship health, balance, nudges and insights, as the aggregator projects them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.contracts.insights import RelationshipStatus

from ..backends import BackendsDep, IdPath

router = APIRouter(tags=["relationships"])

At = Annotated[
    datetime | None,
    Query(
        description="ISO time at or after the projection's watermark; default now. "
        "Without an offset, UTC."
    ),
]


def _at(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


@router.get(
    "/v1/members/{member_id}/relationships",
    summary="A member's relationships, healthiest first, with components and reasons",
)
async def relationships(
    member_id: IdPath,
    backends: BackendsDep,
    at: At = None,
    status: RelationshipStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    return await backends.ask(
        "aggregator",
        "relationships",
        {
            "member_id": member_id,
            "at": _at(at),
            "status": status,
            "limit": limit,
            "cursor": cursor,
        },
    )


@router.get(
    "/v1/relationships/{member_id}/{other_id}",
    summary="The relationship of two members, from the first one's side",
)
async def pair(
    member_id: IdPath, other_id: IdPath, backends: BackendsDep, at: At = None
) -> dict[str, Any]:
    return await backends.ask(
        "aggregator", "pair", {"member_id": member_id, "other_id": other_id, "at": _at(at)}
    )


@router.get(
    "/v1/members/{member_id}/balance",
    summary="A member's online and offline networking and the last 8 weeks",
)
async def balance(member_id: IdPath, backends: BackendsDep, at: At = None) -> dict[str, Any]:
    return await backends.ask("aggregator", "balance", {"member_id": member_id, "at": _at(at)})


@router.get(
    "/v1/members/{member_id}/nudges",
    summary="Reconnect, reciprocate and go-offline nudges, each with its reason",
)
async def nudges(member_id: IdPath, backends: BackendsDep, at: At = None) -> dict[str, Any]:
    return await backends.ask("aggregator", "nudges", {"member_id": member_id, "at": _at(at)})


@router.get("/v1/insights/org", summary="Org-wide relationship and balance aggregates")
async def org_insights(backends: BackendsDep, at: At = None) -> dict[str, Any]:
    return await backends.ask("aggregator", "insights_org", {"at": _at(at)})


@router.get(
    "/v1/insights/teams/{team}", summary="A team's aggregates (teams of 5 or more members only)"
)
async def team_insights(
    team: Annotated[str, IdPath], backends: BackendsDep, at: At = None
) -> dict[str, Any]:
    return await backends.ask("aggregator", "insights_team", {"team": team, "at": _at(at)})
