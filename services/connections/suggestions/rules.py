"""The ranking's signals and rules: weights, scales and limits, each signal's points, and
who may dismiss a suggestion."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.errors import Conflict, OutOfRange

if TYPE_CHECKING:
    from shared.settings import Settings


FIT, MUTUAL, GROUPS, EVENTS = "fit", "mutual_connections", "shared_groups", "shared_events"
SIGNALS = (FIT, MUTUAL, GROUPS, EVENTS)


@dataclass(frozen=True)
class SuggestionRules:
    """Weights, scales and limits of the ranking (defaults and meaning:
    shared/settings/scoring.py)."""

    weights: Mapping[str, float]
    scales: Mapping[str, float]
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    limit_default: int = 10
    limit_max: int = 50
    reason_names: int = 3

    def __post_init__(self) -> None:
        if set(self.weights) != set(SIGNALS) or set(self.scales) != set(SIGNALS):
            raise ValueError(f"weights and scales must name exactly {', '.join(SIGNALS)}")
        if any(w < 0 for w in self.weights.values()) or not sum(self.weights.values()):
            raise ValueError("weights must be >= 0 and not all 0")
        if any(s <= 0 for s in self.scales.values()):
            raise ValueError("scales must be > 0")

    @classmethod
    def from_settings(cls, settings: Settings) -> SuggestionRules:
        names = {FIT: "fit", MUTUAL: "mutual", GROUPS: "groups", EVENTS: "events"}
        return cls(
            weights={s: getattr(settings.suggestion, f"weight_{n}") for s, n in names.items()},
            scales={s: getattr(settings.suggestion, f"scale_{n}") for s, n in names.items()},
            bm25_k1=settings.suggestion.bm25_k1,
            bm25_b=settings.suggestion.bm25_b,
            limit_default=settings.suggestion.limit_default,
            limit_max=settings.suggestion.limit_max,
            reason_names=settings.suggestion.reason_names,
        )

    def limit(self, requested: int | None) -> int:
        if requested is None:
            return self.limit_default
        if not 1 <= requested <= self.limit_max:
            raise OutOfRange(f"limit must be between 1 and {self.limit_max}", field="limit")
        return requested

    def points(self, raw: Mapping[str, float]) -> dict[str, float]:
        """Each signal's share of the score, from its raw value."""
        total = sum(self.weights.values())
        return {
            s: 100 * self.weights[s] * (1 - math.exp(-raw.get(s, 0.0) / self.scales[s])) / total
            for s in SIGNALS
        }


def check_dismissal(member_id: str, other_id: str, *, connected: bool) -> None:
    """A member dismisses suggestions of others they are not connected to."""
    if member_id == other_id:
        raise Conflict("a member cannot dismiss themselves", field="other_id")
    if connected:
        raise Conflict(
            "these members are connected: there is no suggestion to dismiss", field="other_id"
        )
