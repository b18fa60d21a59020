"""Relationship health models v1 and v2 (docs/health-model.md). Pure Python: no I/O.

A decayed sum is kept as its value at its latest contribution `as_of`: adding weight w at
time t gives S * 2^(-(t - as_of)/H) + w when t is later (the sum moves to t), and
S + w * 2^(-(as_of - t)/H) otherwise; its value at any later `now` is
S * 2^(-(now - as_of)/H). Every exponent is at most 0, so no time in 1970..2100 (nor any
half-life) can overflow, where a sum anchored to a fixed epoch would (2^x past ~2109 with
H = 30 days); the oldest terms may underflow to 0, where they weigh nothing anyway. Adding is
commutative up to rounding (1e-16 relative), so the same interactions in any order give the
same sums, and any time after the last one can be read in O(1). Ratios (reciprocity,
diversity, shares) are taken from the sums as of their latest contribution, so they stay
exact however far `now` lies ahead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ONLINE, OFFLINE = "online", "offline"
# A status drop further away than this (about 1,000 years) is reported as never.
LATEST_DROP_SECONDS = 1000 * 365.25 * 86_400.0
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


def _rebased(value: float, factor: float) -> float:
    return value * factor if value else 0.0


@dataclass
class ChannelSums:
    """A member's online and offline sums, as they stood at `as_of` (their latest
    contribution)."""

    online: float = 0.0
    offline: float = 0.0
    as_of: datetime | None = None

    def add(self, channel: str, weight: float, t: datetime, model: HealthModel) -> None:
        online, offline = (weight, 0.0) if channel == ONLINE else (0.0, weight)
        self.merge(ChannelSums(online, offline, t), model)

    def merge(self, other: ChannelSums, model: HealthModel) -> None:
        """Add `other`'s sums (rebased to the later of the two times)."""
        if other.as_of is None:
            return
        if self.as_of is None or other.as_of > self.as_of:
            factor = model.decay(self.as_of, other.as_of) if self.as_of else 0.0
            self.online = _rebased(self.online, factor) + other.online
            self.offline = _rebased(self.offline, factor) + other.offline
            self.as_of = other.as_of
        else:
            factor = model.decay(other.as_of, self.as_of)
            self.online += _rebased(other.online, factor)
            self.offline += _rebased(other.offline, factor)

    def remove(self, online: float, offline: float, as_of: datetime, model: HealthModel) -> None:
        """Take away sums that stood at `as_of` (an erased partner's share); rounding never
        leaves a negative sum."""
        if self.as_of is None:
            return
        factor = model.decay(as_of, self.as_of)
        self.online = max(0.0, self.online - _rebased(online, factor))
        self.offline = max(0.0, self.offline - _rebased(offline, factor))

    def at(self, t: datetime, model: HealthModel) -> tuple[float, float]:
        """(online, offline) decayed to `t`."""
        if self.as_of is None:
            return 0.0, 0.0
        factor = model.decay(self.as_of, t)
        return _rebased(self.online, factor), _rebased(self.offline, factor)

    @property
    def offline_share(self) -> float | None:
        """Decay scales both sums alike: the share at any later time is this one."""
        total = self.online + self.offline
        return self.offline / total if total > 0 else None


@dataclass
class DecayedSum:
    """One decayed sum (a member's attention: the interactions of their visible pairs), as
    it stood at `as_of`, its latest contribution."""

    value: float = 0.0
    as_of: datetime | None = None

    def add(self, weight: float, t: datetime, model: HealthModel) -> None:
        if self.as_of is None or t > self.as_of:
            factor = model.decay(self.as_of, t) if self.as_of else 0.0
            self.value = _rebased(self.value, factor) + weight
            self.as_of = t
        else:
            self.value += _rebased(weight, model.decay(t, self.as_of))

    def remove(self, value: float, as_of: datetime, model: HealthModel) -> None:
        """Take away a sum that stood at `as_of` (a pair now hidden or erased); rounding
        never leaves a negative sum."""
        if self.as_of is None:
            return
        if as_of > self.as_of:  # cannot happen when the removed sum is part of this one
            self.add(0.0, as_of, model)
        self.value = max(0.0, self.value - _rebased(value, model.decay(as_of, self.as_of)))

    def at(self, t: datetime, model: HealthModel) -> float:
        """The sum at `t` (as it stands, if `t` is earlier than its latest contribution)."""
        return _rebased(self.value, model.decay(self.as_of, t)) if self.as_of else 0.0


@dataclass
class PairSums:
    """Per pair (a < b): sums per direction, channel and kind, as they stood at the pair's
    last interaction."""

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
        t = interaction.time
        stored = interaction.weight
        if self.last is None or t > self.last:
            if self.last is not None:  # the sums move on to the new last interaction
                factor = model.decay(self.last, t)
                self.ab, self.ba = _rebased(self.ab, factor), _rebased(self.ba, factor)
                self.online = _rebased(self.online, factor)
                self.offline = _rebased(self.offline, factor)
                self.by_kind = {k: _rebased(v, factor) for k, v in self.by_kind.items()}
            self.last = t
        else:
            stored *= model.decay(t, self.last)
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
        self.first = t if self.first is None else min(self.first, t)

    def factor(self, at: datetime, model: HealthModel) -> float:
        """What the stored sums are worth at `at`."""
        return model.decay(self.last, at) if self.last is not None else 0.0


@dataclass(frozen=True)
class Attention:
    """Each member's decayed interaction total over their visible pairs (A_a, A_b), at the
    time health is read."""

    a: float
    b: float


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
    closeness: float
    attention: float | None = None  # v2: the pair's attention share c
    share_of_a: float | None = None  # I / A_a: the pair's part of a's interactions
    share_of_b: float | None = None

    @property
    def total(self) -> float:
        return self.i_ab + self.i_ba


def attention_share(total: float, attention: Attention, model: HealthModel) -> float:
    """c = (I / max(A_a, floor) + I / max(A_b, floor)) / 2."""
    floor = model.attention_floor
    return (total / max(attention.a, floor) + total / max(attention.b, floor)) / 2.0


def closeness(intensity: float, share: float | None, model: HealthModel) -> float:
    """v1: k = s; v2: k = (1 - w) s + w min(1, c / full share)."""
    if share is None:
        return intensity
    w = model.attention_weight
    return (1.0 - w) * intensity + w * min(1.0, share / model.attention_full_share)


def _health(k: float, reciprocity: float, trust: float, diversity: float, model) -> float:
    mutual = model.reciprocity_floor + model.reciprocity_weight * reciprocity
    return 100.0 * (
        model.intensity_weight * k * mutual
        + model.trust_weight * trust
        + model.diversity_weight * diversity
    )


def components(
    sums: PairSums,
    trust: float,
    at: datetime,
    model: HealthModel,
    attention: Attention | None = None,
) -> Components:
    """The pair's health at `at`; under v2 `attention` holds both members' totals at `at`
    (a missing one counts as none: the floor then applies)."""
    factor = sums.factor(at, model)
    i_ab, i_ba = _rebased(sums.ab, factor), _rebased(sums.ba, factor)
    i_on, i_off = _rebased(sums.online, factor), _rebased(sums.offline, factor)
    total = i_ab + i_ba
    intensity = 1.0 - math.exp(-total / model.intensity_scale)
    # ratios of sums that decay alike: taken before decay, they never underflow
    stored = sums.ab + sums.ba
    reciprocity = 2.0 * min(sums.ab, sums.ba) / stored if stored > 0 else 0.0
    diversity = 2.0 * min(sums.online, sums.offline) / stored if stored > 0 else 0.0
    share = share_a = share_b = None
    if model.uses_attention:
        attention = attention or Attention(0.0, 0.0)
        share = attention_share(total, attention, model)
        share_a = min(1.0, total / attention.a) if attention.a > 0 else None
        share_b = min(1.0, total / attention.b) if attention.b > 0 else None
    k = closeness(intensity, share, model)
    health = _health(k, reciprocity, trust, diversity, model)
    return Components(
        i_ab,
        i_ba,
        i_on,
        i_off,
        intensity,
        reciprocity,
        trust,
        diversity,
        health,
        k,
        share,
        share_a,
        share_b,
    )


def at_risk(sums: PairSums, at: datetime, model: HealthModel) -> bool:
    """With n >= 3 interactions, at risk when the silence exceeds 3 mean gaps."""
    if sums.count < model.cadence_min_interactions or sums.first is None or sums.last is None:
        return False
    mean_gap = (sums.last - sums.first) / (sums.count - 1)
    return (at - sums.last) > model.at_risk_gap_factor * mean_gap


def status_drops_at(
    sums: PairSums,
    c: Components,
    at: datetime,
    model: HealthModel,
    attention: Attention | None = None,
) -> datetime | None:
    """When the status falls a level if nothing more happens, or None if it never does.

    Without new interactions R, D and T stay constant (every sum decays by the same factor),
    so only the intensity (and under v2 the attention share) moves: v1 solves
    health = threshold for I in closed form, then I(t) = I(at) 2^(-dt/H); v2 bisects, since
    health only falls as every sum shrinks by the same factor f = 2^(-dt/H).
    """
    threshold = model.threshold_below(model.status(c.health))
    if threshold is None or c.total <= 0:
        return None
    if model.uses_attention:
        return _drop_by_bisection(c, at, model, threshold, attention or Attention(0.0, 0.0))
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
    # log1p: a tiny `needed` (trust and diversity just short of the threshold) stays > 0
    total_needed = -model.intensity_scale * math.log1p(-needed)
    if total_needed >= c.total:
        return at
    seconds = model.half_life_seconds * math.log2(c.total / total_needed)
    if seconds > LATEST_DROP_SECONDS:
        return None  # centuries away: as good as never
    return at + timedelta(seconds=seconds)


def _drop_by_bisection(
    c: Components, at: datetime, model: HealthModel, threshold: float, attention: Attention
) -> datetime | None:
    """v2: health after `seconds` without interactions, when every sum has shrunk by
    f = 2^(-seconds/H): I f, A_a f, A_b f. Each attention term I/max(A f, floor) is constant
    while A f is above the floor and shrinks with f below it, so health falls monotonically
    in `seconds`: bisect for the first second below the threshold."""

    def health_after(seconds: float) -> float:
        f = 2.0 ** (-seconds / model.half_life_seconds)
        total = c.total * f
        intensity = 1.0 - math.exp(-total / model.intensity_scale)
        share = attention_share(total, Attention(attention.a * f, attention.b * f), model)
        k = closeness(intensity, share, model)
        return _health(k, c.reciprocity, c.trust, c.diversity, model)

    if health_after(0.0) < threshold:
        return at
    if health_after(LATEST_DROP_SECONDS) >= threshold:
        return None  # centuries away, or never: trust and diversity keep it
    low, high = 0.0, LATEST_DROP_SECONDS  # health_after(low) >= threshold > health_after(high)
    while high - low > 1e-3:
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if health_after(middle) >= threshold:
            low = middle
        else:
            high = middle
    return at + timedelta(seconds=high)


def explanation(sums: PairSums, at: datetime, model: HealthModel, top: int = 3) -> list[dict]:
    """The kinds of interaction that contribute most, with their decayed sums and shares."""
    factor = sums.factor(at, model)
    total = sum(sums.by_kind.values())
    ranked = sorted(sums.by_kind.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [
        {
            "kind": kind,
            "channel": KIND_CHANNEL[kind],
            "sum": _rebased(value, factor),
            "share": value / total if total else 0.0,
        }
        for kind, value in ranked
    ]
