"""Relationship health model v1 (docs/health-model.md). Pure Python: no I/O.

Decayed sums are kept relative to a fixed epoch: an interaction of weight w at time t adds
w * 2^((t - epoch) / H) to a sum S, and the decayed value at any time `now` is
S * 2^(-(now - epoch) / H). Adding is commutative and needs no rescan, so the same
interactions in any order give the same sums, and any time after the last one can be read in
O(1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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


@dataclass(frozen=True)
class HealthModel:
    """Every number of the model; defaults are v1's, all configurable (shared.settings)."""

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
    # Sums are stored relative to this instant; any fixed instant works, one near the data
    # keeps the stored numbers small (a float covers about 1,000 half-lives either side).
    epoch: datetime = datetime(2025, 1, 1, tzinfo=UTC)

    @property
    def half_life_seconds(self) -> float:
        return self.half_life_days * 86_400.0

    def growth(self, t: datetime) -> float:
        """2^((t - epoch)/H): the factor that stores an interaction at time t."""
        return 2.0 ** ((t - self.epoch).total_seconds() / self.half_life_seconds)

    def decayed(self, stored: float, at: datetime) -> float:
        """The value at `at` of a sum stored relative to the epoch."""
        return stored / self.growth(at)

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


@dataclass
class PairSums:
    """Per pair (a < b): sums relative to the epoch, per direction, channel and kind."""

    a: str
    b: str
    ab: float = 0.0
    ba: float = 0.0
    online: float = 0.0
    offline: float = 0.0
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    by_kind: dict[str, float] = field(default_factory=dict)

    def add(self, interaction: Interaction, model: HealthModel) -> None:
        stored = interaction.weight * model.growth(interaction.time)
        if interaction.actor == self.a:
            self.ab += stored
        else:
            self.ba += stored
        if interaction.channel == ONLINE:
            self.online += stored
        else:
            self.offline += stored
        self.by_kind[interaction.kind] = self.by_kind.get(interaction.kind, 0.0) + stored
        self.count += 1
        self.first = interaction.time if self.first is None else min(self.first, interaction.time)
        self.last = interaction.time if self.last is None else max(self.last, interaction.time)


@dataclass(frozen=True)
class Components:
    i_ab: float
    i_ba: float
    i_online: float
    i_offline: float
    intensity: float
    reciprocity: float
    trust: float
    diversity: float
    health: float

    @property
    def total(self) -> float:
        return self.i_ab + self.i_ba


def components(sums: PairSums, trust: float, at: datetime, model: HealthModel) -> Components:
    i_ab, i_ba = model.decayed(sums.ab, at), model.decayed(sums.ba, at)
    i_on, i_off = model.decayed(sums.online, at), model.decayed(sums.offline, at)
    total = i_ab + i_ba
    intensity = 1.0 - math.exp(-total / model.intensity_scale)
    reciprocity = 2.0 * min(i_ab, i_ba) / total if total > 0 else 0.0
    diversity = 2.0 * min(i_on, i_off) / total if total > 0 else 0.0
    health = 100.0 * (
        model.intensity_weight
        * intensity
        * (model.reciprocity_floor + model.reciprocity_weight * reciprocity)
        + model.trust_weight * trust
        + model.diversity_weight * diversity
    )
    return Components(i_ab, i_ba, i_on, i_off, intensity, reciprocity, trust, diversity, health)


def at_risk(sums: PairSums, at: datetime, model: HealthModel) -> bool:
    """With n >= 3 interactions, at risk when the silence exceeds 3 mean gaps."""
    if sums.count < model.cadence_min_interactions or sums.first is None or sums.last is None:
        return False
    mean_gap = (sums.last - sums.first) / (sums.count - 1)
    return (at - sums.last) > model.at_risk_gap_factor * mean_gap


def status_drops_at(
    sums: PairSums, c: Components, at: datetime, model: HealthModel
) -> datetime | None:
    """When the status falls a level if nothing more happens, or None if it never does.

    Without new interactions R, D and T stay constant (every sum decays by the same factor),
    so only the intensity moves: solve health = threshold for I, then I(t) = I(at) 2^(-dt/H).
    """
    threshold = model.threshold_below(model.status(c.health))
    if threshold is None or c.total <= 0:
        return None
    factor = model.intensity_weight * (
        model.reciprocity_floor + model.reciprocity_weight * c.reciprocity
    )
    needed = (
        threshold / 100.0 - model.trust_weight * c.trust - model.diversity_weight * c.diversity
    ) / factor
    if needed <= 0:
        return None  # trust and diversity alone keep it at this level
    if needed >= 1:
        return at
    total_needed = -model.intensity_scale * math.log(1.0 - needed)
    if total_needed >= c.total:
        return at
    seconds = model.half_life_seconds * math.log2(c.total / total_needed)
    return at + timedelta(seconds=seconds)


def explanation(sums: PairSums, at: datetime, model: HealthModel, top: int = 3) -> list[dict]:
    """The kinds of interaction that contribute most, with their decayed sums and shares."""
    decayed = {kind: model.decayed(value, at) for kind, value in sums.by_kind.items()}
    total = sum(decayed.values())
    ranked = sorted(decayed.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [
        {
            "kind": kind,
            "channel": KIND_CHANNEL[kind],
            "sum": value,
            "share": value / total if total else 0.0,
        }
        for kind, value in ranked
    ]
