"""Queries the aggregator answers (relationships, balance, nudges, insights)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .commands import MemberId

RelationshipStatus = Literal["thriving", "steady", "fading", "dormant"]


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        None, description="Evaluate at this time (at or after the watermark); default now."
    )


class RelationshipsQuery(_Query):
    member_id: MemberId
    status: RelationshipStatus | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=200)


class PairQuery(_Query):
    member_id: MemberId
    other_id: MemberId


class MemberQuery(_Query):
    member_id: MemberId


class OrgInsightsQuery(_Query):
    pass


class TeamInsightsQuery(_Query):
    team: str = Field(min_length=1, max_length=100)
