"""The content value of a post: engagement from distinct other members, decayed, divided by
the square root of the author's audience. Pure Python.

    value(now) = sum over credits of  w_kind * 2^(-(now - t) / H)  /  sqrt(max(1, audience))

A credit is one (member, kind) pair: each other member counts once per kind of engagement
(a reaction, commenting, sharing), at the time of their earliest engagement of that kind
that still exists.

The decayed sum is stored *anchored* at a fixed epoch, in log2: `anchor = log2(sum w *
2^((t - epoch) / H))`. The factor 2^(-(now - epoch) / H) is the same for every post, so
ordering posts by `anchor - log2(audience) / 2` orders them by value at any moment: the
database ranks a feed without recomputing anything as time passes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

REACTION, COMMENT, SHARE = "reaction", "comment", "share"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DAY = 86_400.0
UNRANKED = -1.0e9
"""Rank of a post nobody engaged with: below any engaged post, ties broken by time."""


@dataclass(frozen=True)
class ValueRules:
    half_life_days: float = 7.0
    reaction: float = 1.0
    comment: float = 2.0
    share: float = 3.0

    def weight(self, kind: str) -> float:
        return {REACTION: self.reaction, COMMENT: self.comment, SHARE: self.share}[kind]

    def half_lives_since_epoch(self, at: datetime) -> float:
        return (at - EPOCH).total_seconds() / (self.half_life_days * DAY)

    def signature(self) -> str:
        """What stored anchors depend on: a change means every post is scored again."""
        return json.dumps(
            {
                "epoch": EPOCH.isoformat(),
                "half_life_days": self.half_life_days,
                "weights": [self.reaction, self.comment, self.share],
            }
        )


@dataclass(frozen=True)
class Clock:
    """The moment a view is computed at, and the rules it values posts with."""

    now: datetime
    rules: ValueRules


@dataclass(frozen=True)
class Engagement:
    """One act on a post: who did it, what kind, when."""

    member_id: str
    kind: str
    at: datetime


def credits(author_id: str, engagements: Iterable[Engagement]) -> dict[tuple[str, str], datetime]:
    """(member, kind) -> earliest time, for members other than the author."""
    earliest: dict[tuple[str, str], datetime] = {}
    for e in engagements:
        if e.member_id == author_id:
            continue
        key = (e.member_id, e.kind)
        if key not in earliest or e.at < earliest[key]:
            earliest[key] = e.at
    return earliest


def anchor(credited: dict[tuple[str, str], datetime], rules: ValueRules) -> float | None:
    """log2 of the decayed engagement anchored at the epoch; None when there is none."""
    terms = [
        (rules.weight(kind), rules.half_lives_since_epoch(at))
        for (_, kind), at in credited.items()
        if rules.weight(kind) > 0
    ]
    if not terms:
        return None
    top = max(exponent for _, exponent in terms)  # factored out: no overflow, no underflow
    return top + math.log2(sum(w * 2.0 ** (exponent - top) for w, exponent in terms))


def audience_log2(audience: int) -> float:
    return math.log2(max(1, audience))


def rank_key(anchored: float | None, audience: int) -> float:
    """Orders posts by value at any moment (higher first)."""
    return UNRANKED if anchored is None else anchored - audience_log2(audience) / 2


def value_at(anchored: float | None, audience: int, now: datetime, rules: ValueRules) -> float:
    """The content value at `now` of a post with this anchor and author audience."""
    if anchored is None:
        return 0.0
    return 2.0 ** (anchored - rules.half_lives_since_epoch(now)) / math.sqrt(max(1, audience))


def value(
    author_id: str,
    engagements: Iterable[Engagement],
    audience: int,
    now: datetime,
    rules: ValueRules,
) -> float:
    """The definition, computed directly (the anchored form must agree with it)."""
    total = sum(
        rules.weight(kind) * 2.0 ** (-(now - at).total_seconds() / (rules.half_life_days * DAY))
        for (_, kind), at in credits(author_id, engagements).items()
    )
    return total / math.sqrt(max(1, audience))
