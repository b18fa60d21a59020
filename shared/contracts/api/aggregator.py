"""The aggregator's API: relationship health, balance, nudges and insights.

Every query may name the time `at` it is evaluated at (a `QueryInstant`: 1970..2100, an
offset-less time is UTC), at or after the watermark of the members it is about (their
latest data); default now.

Every instance of the aggregator answers from the one projection it shares with the others;
the `Partial*` models below are its internal reads of the projection (never on the wire).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ...cursors import MAX_LENGTH as CURSOR_MAX_LENGTH
from ..fields import Instant, MemberId, PlainText, QueryInstant
from ..operations import (
    ANALYST,
    EITHER,
    SELF,
    Answer,
    Request,
    operation,
    ping_operation,
)

SERVICE = "aggregator"

RelationshipStatus = Literal["thriving", "steady", "fading", "dormant"]
BalanceStatus = Literal["online_heavy", "balanced", "offline_heavy", "inactive"]
Channel = Literal["online", "offline"]
Team = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), PlainText
]
Cursor = Annotated[str, StringConstraints(max_length=CURSOR_MAX_LENGTH)]

# --- requests --------------------------------------------------------------------------


class AtQuery(Request):
    at: QueryInstant | None = Field(
        None,
        description="Evaluate at this time (at or after the latest data of the members "
        "concerned, between 1970 and 2100; without an offset, UTC); default now.",
    )


class RelationshipsQuery(AtQuery):
    member_id: MemberId
    status: RelationshipStatus | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None


class PairQuery(AtQuery):
    member_id: MemberId
    other_id: MemberId


class MemberQuery(AtQuery):
    member_id: MemberId


class OrgInsightsQuery(AtQuery):
    pass


class TeamInsightsQuery(AtQuery):
    team: Team


# --- replies ---------------------------------------------------------------------------


class HealthComponents(Answer):
    intensity: float
    reciprocity: float
    trust: float
    diversity: float
    closeness: float = Field(
        description="k: the intensity under model v1; under v2 half intensity, half the "
        "attention share (full at 0.2)"
    )
    attention: float | None = Field(
        None, description="Model v2's attention share c of the pair (None under v1)"
    )


class AttentionFigures(Answer):
    """Model v2: what part of each member's interactions (over their visible pairs) this
    pair holds, at `at`."""

    of_member: float | None = Field(description="The pair's part of the member's interactions")
    of_other: float | None = Field(description="The pair's part of the other's interactions")
    share: float = Field(description="c = (I / max(A_a, 10) + I / max(A_b, 10)) / 2")
    reason: str


class PairFigures(Answer):
    """Decayed interaction sums at `at`, from the member's side."""

    from_member: float
    to_member: float
    online: float
    offline: float
    total: float


class Contribution(Answer):
    kind: str
    channel: Channel
    sum: float
    share: float


class Relationship(Answer):
    member_id: str
    health: float
    status: RelationshipStatus
    components: HealthComponents
    sums: PairFigures
    connected: bool
    following: bool
    followed_by: bool
    interaction_count: int
    first_interaction: datetime | None
    last_interaction: datetime | None
    status_at_last_interaction: RelationshipStatus | None
    at_risk: bool
    status_drops_at: datetime | None
    explanation: list[Contribution]
    attention: AttentionFigures | None = Field(
        None, description="Model v2: the pair's attention share, explained (None under v1)"
    )


class Relationships(Answer):
    member_id: str
    at: datetime
    items: list[Relationship]
    total: int
    next_cursor: str | None


class PairRelationship(Answer):
    member_id: str
    at: datetime
    relationship: Relationship


class WeekFigures(Answer):
    week: date = Field(description="The week's Monday")
    online: float
    offline: float
    offline_share: float | None


class Balance(Answer):
    member_id: str
    at: datetime
    online: float
    offline: float
    offline_share: float | None
    status: BalanceStatus
    weeks: list[WeekFigures]


class ReconnectNumbers(Answer):
    days_since_last: float
    mean_gap_days: float
    health: float
    status_at_last_interaction: RelationshipStatus


class ReconnectNudge(Answer):
    kind: Literal["reconnect"] = "reconnect"
    member_id: str
    reason: str
    numbers: ReconnectNumbers


class ReciprocateNumbers(Answer):
    from_member: float
    to_member: float


class ReciprocateNudge(Answer):
    kind: Literal["reciprocate"] = "reciprocate"
    member_id: str
    reason: str
    numbers: ReciprocateNumbers


class GoOfflineNumbers(Answer):
    offline_share: float | None
    close_going: int
    starts_at: datetime


class GoOfflineNudge(Answer):
    kind: Literal["go_offline"] = "go_offline"
    event_id: str
    reason: str
    numbers: GoOfflineNumbers


Nudge = Annotated[ReconnectNudge | ReciprocateNudge | GoOfflineNudge, Field(discriminator="kind")]


class Nudges(Answer):
    member_id: str
    at: datetime
    items: list[Nudge]


class PairsByStatus(Answer):
    thriving: int = 0
    steady: int = 0
    fading: int = 0
    dormant: int = 0


class MembersByBalance(Answer):
    online_heavy: int = 0
    balanced: int = 0
    offline_heavy: int = 0
    inactive: int = 0


class TrendWeek(Answer):
    """A group's week: released only when enough of its members were active that week."""

    week: date = Field(description="The week's Monday")
    online: float | None = None
    offline: float | None = None
    offline_share: float | None = None
    active_members: int | None = Field(None, description="Members with activity that week")
    suppressed: str | None = Field(
        None, description="Why the week's figures are withheld (too few active members)"
    )


class InsightFigures(Answer):
    members: int
    pairs_by_status: PairsByStatus
    members_by_balance: MembersByBalance
    isolated_members: int = Field(description="Members without a steady or thriving pair")
    weekly_trend: list[TrendWeek]


class OrgInsights(InsightFigures):
    scope: Literal["org"] = "org"
    at: datetime


class TeamInsights(InsightFigures):
    scope: Literal["team"] = "team"
    team: str
    at: datetime


# --- internal reads of the projection (not operations) ---------------------------------


class PartialRelationshipsQuery(Request):
    at: Instant
    member_id: MemberId
    # `ranking`: only what ordering needs (member, health, status); `others`: the full
    # views of these members only (the page being answered)
    ranking: bool = False
    others: list[MemberId] | None = None


class PartialPairQuery(Request):
    at: Instant
    member_id: MemberId
    other_id: MemberId


class PartialBalanceQuery(Request):
    at: Instant
    member_id: MemberId


class PartialInsightsQuery(Request):
    at: Instant
    members: list[MemberId] | None = None  # a team's members; None: everyone


class Ranked(Answer):
    member_id: str
    health: float
    status: RelationshipStatus


class PartialRelationships(Answer):
    ranking: list[Ranked] = []
    views: list[Relationship] = []
    watermark: datetime | None


class PartialPair(Answer):
    view: Relationship | None
    watermark: datetime | None


class ChannelFigures(Answer):
    """Online and offline sums as they stood at `as_of` (their latest contribution)."""

    online: float = 0.0
    offline: float = 0.0
    as_of: datetime | None = None


class WeekSums(Answer):
    online: float
    offline: float
    active_members: int = 0


class PartialBalance(Answer):
    sums: ChannelFigures
    weeks: dict[str, WeekSums]
    watermark: datetime | None


class PartialInsights(Answer):
    pairs_by_status: PairsByStatus
    member_sums: dict[str, ChannelFigures]
    steady_members: list[str]
    weeks: dict[str, WeekSums]
    watermark: datetime | None


# --- operations ------------------------------------------------------------------------

ping = ping_operation(SERVICE)
relationships = operation(
    SERVICE,
    "relationships",
    RelationshipsQuery,
    Relationships,
    "A member's relationships, healthiest first, with components and reasons",
    errors=(404,),
    access=SELF(),
)
pair = operation(
    SERVICE,
    "pair",
    PairQuery,
    PairRelationship,
    "The relationship of two members, from the first one's side",
    errors=(404,),
    access=EITHER("member_id", "other_id"),
)
balance = operation(
    SERVICE,
    "balance",
    MemberQuery,
    Balance,
    "A member's online and offline networking and the last 8 weeks",
    errors=(404,),
    access=SELF(),
)
nudges = operation(
    SERVICE,
    "nudges",
    MemberQuery,
    Nudges,
    "Reconnect, reciprocate and go-offline nudges, each with its reason",
    errors=(404,),
    access=SELF(),
)
insights_org = operation(
    SERVICE,
    "insights_org",
    OrgInsightsQuery,
    OrgInsights,
    "Org-wide relationship and balance aggregates",
    access=ANALYST,
)
insights_team = operation(
    SERVICE,
    "insights_team",
    TeamInsightsQuery,
    TeamInsights,
    "A team's aggregates (teams of 5 or more members only)",
    errors=(403,),
    access=ANALYST,
)

# Internal: `{partition}` in the subject is the partition's name (p<index>of<count>).
