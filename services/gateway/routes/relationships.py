"""Relationship health, balance, nudges and insights, as the aggregator projects them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from shared.contracts.api import aggregator as api
from shared.contracts.fields import QueryInstant

from ..access import Acting, allowed
from ..backends import BackendsDep, IdPath, responses

router = APIRouter(tags=["relationships"])

At = Annotated[
    QueryInstant | None,
    Query(
        description="ISO time at or after the projection's watermark, between 1970 and 2100; "
        "default now. Without an offset, UTC."
    ),
]


@router.get(
    "/v1/members/{member_id}/relationships",
    summary=api.relationships.summary,
    responses=responses(api.relationships),
)
async def relationships(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.relationships))],
    at: At = None,
    status: api.RelationshipStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=api.CURSOR_MAX_LENGTH)] = None,
) -> api.Relationships:
    return await backends.call(
        api.relationships,
        api.RelationshipsQuery(
            member_id=member_id, at=at, status=status, limit=limit, cursor=cursor
        ),
    )


@router.get(
    "/v1/relationships/{member_id}/{other_id}",
    summary=api.pair.summary,
    responses=responses(api.pair),
)
async def pair(
    member_id: IdPath,
    other_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.pair))],
    at: At = None,
) -> api.PairRelationship:
    return await backends.call(
        api.pair, api.PairQuery(member_id=member_id, other_id=other_id, at=at)
    )


@router.get(
    "/v1/members/{member_id}/balance",
    summary=api.balance.summary,
    responses=responses(api.balance),
)
async def balance(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.balance))],
    at: At = None,
) -> api.Balance:
    return await backends.call(api.balance, api.MemberQuery(member_id=member_id, at=at))


@router.get(
    "/v1/members/{member_id}/nudges",
    summary=api.nudges.summary,
    responses=responses(api.nudges),
)
async def nudges(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.nudges))],
    at: At = None,
) -> api.Nudges:
    return await backends.call(api.nudges, api.MemberQuery(member_id=member_id, at=at))


@router.get(
    "/v1/insights/org", summary=api.insights_org.summary, responses=responses(api.insights_org)
)
async def org_insights(
    backends: BackendsDep, _: Annotated[Acting, Depends(allowed(api.insights_org))], at: At = None
) -> api.OrgInsights:
    return await backends.call(api.insights_org, api.OrgInsightsQuery(at=at))


@router.get(
    "/v1/insights/teams/{team}",
    summary=api.insights_team.summary,
    responses=responses(api.insights_team),
)
async def team_insights(
    team: Annotated[api.Team, Path()],
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.insights_team))],
    at: At = None,
) -> api.TeamInsights:
    return await backends.call(api.insights_team, api.TeamInsightsQuery(team=team, at=at))
