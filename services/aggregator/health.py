"""A pair's health at a time under model v1 or v2: its components, whether it is at risk,
when its status drops, and which kinds of interaction contribute most. Pure Python: no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import KIND_CHANNEL, HealthModel
from .sums import PairSums, rebased

# A status drop further away than this (about 1,000 years) is reported as never.
LATEST_DROP_SECONDS = 1000 * 365.25 * 86_400.0


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
    i_ab, i_ba = rebased(sums.ab, factor), rebased(sums.ba, factor)
    i_on, i_off = rebased(sums.online, factor), rebased(sums.offline, factor)
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
            "sum": rebased(value, factor),
            "share": value / total if total else 0.0,
        }
        for kind, value in ranked
    ]
