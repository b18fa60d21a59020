"""Decayed sums: a member's online and offline sums, one decayed total (a member's
attention), and a pair's sums per direction, channel and kind. Pure Python: no I/O.

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

from dataclasses import dataclass, field
from datetime import datetime

from .model import ONLINE, HealthModel, Interaction


def rebased(value: float, factor: float) -> float:
    """A stored sum's worth after the decay `factor` (a zero sum stays 0.0)."""
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
            self.online = rebased(self.online, factor) + other.online
            self.offline = rebased(self.offline, factor) + other.offline
            self.as_of = other.as_of
        else:
            factor = model.decay(other.as_of, self.as_of)
            self.online += rebased(other.online, factor)
            self.offline += rebased(other.offline, factor)

    def remove(self, online: float, offline: float, as_of: datetime, model: HealthModel) -> None:
        """Take away sums that stood at `as_of` (an erased partner's share); rounding never
        leaves a negative sum."""
        if self.as_of is None:
            return
        factor = model.decay(as_of, self.as_of)
        self.online = max(0.0, self.online - rebased(online, factor))
        self.offline = max(0.0, self.offline - rebased(offline, factor))

    def at(self, t: datetime, model: HealthModel) -> tuple[float, float]:
        """(online, offline) decayed to `t`."""
        if self.as_of is None:
            return 0.0, 0.0
        factor = model.decay(self.as_of, t)
        return rebased(self.online, factor), rebased(self.offline, factor)

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
            self.value = rebased(self.value, factor) + weight
            self.as_of = t
        else:
            self.value += rebased(weight, model.decay(t, self.as_of))

    def remove(self, value: float, as_of: datetime, model: HealthModel) -> None:
        """Take away a sum that stood at `as_of` (a pair now hidden or erased); rounding
        never leaves a negative sum."""
        if self.as_of is None:
            return
        if as_of > self.as_of:  # cannot happen when the removed sum is part of this one
            self.add(0.0, as_of, model)
        self.value = max(0.0, self.value - rebased(value, model.decay(as_of, self.as_of)))

    def at(self, t: datetime, model: HealthModel) -> float:
        """The sum at `t` (as it stands, if `t` is earlier than its latest contribution)."""
        return rebased(self.value, model.decay(self.as_of, t)) if self.as_of else 0.0


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
                self.ab, self.ba = rebased(self.ab, factor), rebased(self.ba, factor)
                self.online = rebased(self.online, factor)
                self.offline = rebased(self.offline, factor)
                self.by_kind = {k: rebased(v, factor) for k, v in self.by_kind.items()}
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
