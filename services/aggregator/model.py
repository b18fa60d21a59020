"""Relationship health models v1 and v2 (docs/health-model.md): their numbers, the
statuses they give, and the interactions and activity they count. Pure Python: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ONLINE, OFFLINE = "online", "offline"
THRIVING, STEADY, FADING, DORMANT = "thriving", "steady", "fading", "dormant"
STATUS_ORDER = (DORMANT, FADING, STEADY, THRIVING)
ONLINE_HEAVY, BALANCED, OFFLINE_HEAVY, INACTIVE = (
    "online_heavy",
    "balanced",
    "offline_heavy",
    "inactive",
)

# Interaction kinds and their channel
KIND_CHANNEL = {
    "reaction": ONLINE,
    "comment": ONLINE,
    "reply": ONLINE,
    "share": ONLINE,
    "mention": ONLINE,
    "direct_message": ONLINE,
    "connection_request": ONLINE,
    "connection_acceptance": ONLINE,
    "meeting": OFFLINE,
    "co_attendance": OFFLINE,
}


V1, V2 = "v1", "v2"


@dataclass(frozen=True)
class HealthModel:
    """Every number of the model, all configurable (shared.settings). The dataclass defaults
    are v1's; `HealthModel.v2()` gives v2's (meetings weighed by duration, and closeness
    from the pair's attention share)."""

    version: str = V1
    half_life_days: float = 30.0
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "reaction": 1.0,
            "comment": 2.0,
            "reply": 2.0,
            "share": 2.0,
            "mention": 2.0,
            "direct_message": 3.0,
            "connection_request": 1.0,
            "connection_acceptance": 1.0,
            "co_attendance": 2.0,
        }
    )
    meeting_base: float = 1.0
    meeting_minutes_per_point: float = 10.0
    meeting_cap: float = 13.0
    meeting_default_minutes: float = 15.0
    intensity_scale: float = 10.0
    intensity_weight: float = 0.75
    reciprocity_floor: float = 0.4
    reciprocity_weight: float = 0.6
    trust_weight: float = 0.15
    diversity_weight: float = 0.10
    thriving_at: float = 70.0
    steady_at: float = 45.0
    fading_at: float = 20.0
    at_risk_gap_factor: float = 3.0
    cadence_min_interactions: int = 3
    online_heavy_below: float = 0.25
    offline_heavy_above: float = 0.75
    inactive_below: float = 1.0
    activity_weights: dict[str, float] = field(
        default_factory=lambda: {"post": 1.0, "group_message": 1.0, "check_in": 3.0}
    )
    # v2: closeness k = (1 - w) s + w min(1, c / full_share), attention totals floored
    attention_floor: float = 10.0
    attention_full_share: float = 0.2
    attention_weight: float = 0.5

    @classmethod
    def v2(cls, **numbers) -> HealthModel:
        """Model v2's defaults: a meeting weighs min(minutes/5, 24), attention counts."""
        defaults = dict(meeting_base=0.0, meeting_minutes_per_point=5.0, meeting_cap=24.0)
        return cls(version=V2, **(defaults | numbers))

    @property
    def uses_attention(self) -> bool:
        return self.version == V2

    @property
    def half_life_seconds(self) -> float:
        return self.half_life_days * 86_400.0

    def decay(self, since: datetime, at: datetime) -> float:
        """2^(-(at - since)/H): what a weight of `since` is worth at `at` (1 when `at` is
        not later: a sum is never grown, so nothing overflows)."""
        seconds = (at - since).total_seconds()
        return 2.0 ** (-seconds / self.half_life_seconds) if seconds > 0 else 1.0

    def meeting_weight(self, minutes: float | None) -> float:
        minutes = self.meeting_default_minutes if minutes is None else minutes
        return min(self.meeting_base + minutes / self.meeting_minutes_per_point, self.meeting_cap)

    def status(self, health: float) -> str:
        if health >= self.thriving_at:
            return THRIVING
        if health >= self.steady_at:
            return STEADY
        if health >= self.fading_at:
            return FADING
        return DORMANT

    def threshold_below(self, status: str) -> float | None:
        """The health under which a pair of this status drops a level."""
        return {THRIVING: self.thriving_at, STEADY: self.steady_at, FADING: self.fading_at}.get(
            status
        )

    def balance_status(self, online: float, offline: float) -> str:
        total = online + offline
        if total < self.inactive_below:
            return INACTIVE
        share = offline / total
        if share < self.online_heavy_below:
            return ONLINE_HEAVY
        if share > self.offline_heavy_above:
            return OFFLINE_HEAVY
        return BALANCED


@dataclass(frozen=True)
class Interaction:
    actor: str
    target: str
    kind: str
    time: datetime
    weight: float

    @property
    def channel(self) -> str:
        return KIND_CHANNEL[self.kind]


@dataclass(frozen=True)
class Activity:
    """A member's own activity, counted in their balance only (a post, a check-in)."""

    member: str
    kind: str
    channel: str
    time: datetime
    weight: float


def pair_key(one: str, other: str) -> tuple[str, str]:
    return (one, other) if one < other else (other, one)
