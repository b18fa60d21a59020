"""The best candidates by score, from the raw signals (ties go to the smaller id)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass

from .model import Profile
from .rules import EVENTS, FIT, GROUPS, MUTUAL, SIGNALS, SuggestionRules


@dataclass(frozen=True)
class _Reversed:
    """A member id that sorts backwards, so that a min-heap of (value, id) drops the largest
    id first among equal values (ties go to the smaller id)."""

    id: str

    def __lt__(self, other: _Reversed) -> bool:
        return self.id > other.id


def best_candidates(
    raw: dict[str, dict[str, float]],
    skip: set[str],
    limit: int,
    rules: SuggestionRules,
    *,
    known: Mapping[str, Profile],
) -> list[str]:
    """The `limit` candidates of highest score (ties: the smaller id first)."""
    weights = sum(rules.weights.values())
    gain = {s: 100 * rules.weights[s] / weights for s in SIGNALS}
    # candidates met through the network (mutual connections, groups, events): every
    # signal counts; one pass per signal over them
    network = raw[MUTUAL].keys() | raw[GROUPS].keys() | raw[EVENTS].keys()
    scores: dict[str, float] = dict.fromkeys(network - skip, 0.0)
    for signal in SIGNALS:
        values, scale, signal_gain = raw[signal], rules.scales[signal], gain[signal]
        for candidate in scores:
            value = values.get(candidate)
            if value:
                scores[candidate] += signal_gain * (1 - math.exp(-value / scale))
    scored = [(score, c) for c, score in scores.items() if c in known]
    # the others have the fit only, so their order is the fit's: only the best `limit` of
    # them can make it (a bounded min-heap; no score for the rest)
    fit_only: list[tuple[float, _Reversed]] = []
    for candidate, value in raw[FIT].items():
        if candidate in network or candidate in skip:
            continue
        entry = (value, _Reversed(candidate))
        if len(fit_only) < limit:
            heapq.heappush(fit_only, entry)
        elif fit_only[0] < entry:
            heapq.heapreplace(fit_only, entry)
    fit_scale = rules.scales[FIT]
    scored += [(gain[FIT] * (1 - math.exp(-value / fit_scale)), ref.id) for value, ref in fit_only]
    best = heapq.nsmallest(limit, ((-score, c) for score, c in scored if score > 0))
    return [candidate for _, candidate in best]
