"""The health model anywhere in the accepted time range (1970..2100): interactions and reads
at its very edges, with half-lives down to a day, never overflow or divide by zero, and give
the model's figures (computed here term by term) to 1e-9 relative."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from services.aggregator.health import components, explanation, status_drops_at
from services.aggregator.model import HealthModel, Interaction
from services.aggregator.sums import ChannelSums, PairSums
from shared.contracts.api import aggregator as api
from shared.contracts.fields import EARLIEST, LATEST

FIRST = EARLIEST
LAST = LATEST - timedelta(microseconds=1)
MIDDLE = datetime(2026, 6, 1, tzinfo=EARLIEST.tzinfo)
HALF_LIVES = (30.0, 7.0, 1.0)  # days: the shorter, the further apart the exponents
ANA, BEN = "ana", "ben"


def interactions_at(*times: datetime) -> list[Interaction]:
    """At each time: a message from Ana, a reaction from Ben, and a meeting both ways."""
    found = []
    for t in times:
        found += [
            Interaction(ANA, BEN, "direct_message", t, 3.0),
            Interaction(BEN, ANA, "reaction", t, 1.0),
            Interaction(ANA, BEN, "meeting", t, 2.5),
            Interaction(BEN, ANA, "meeting", t, 2.5),
        ]
    return found


def summed(interactions: list[Interaction], model: HealthModel) -> PairSums:
    sums = PairSums(ANA, BEN)
    for interaction in interactions:
        sums.add(interaction, model)
    return sums


def expected_health(interactions: list[Interaction], at: datetime, trust: float, h: float):
    """The model's formula term by term. Reciprocity and diversity are ratios of sums that
    decay alike, so they are taken relative to the latest interaction (where a term
    underflows at `at`, its share does not)."""
    latest = max(i.time for i in interactions)

    def total(keep, when: datetime) -> float:
        return sum(
            i.weight * 2 ** (-(when - i.time).total_seconds() / (h * 86400))
            for i in interactions
            if keep(i)
        )

    i_all = total(lambda i: True, at)
    ab, ba = total(lambda i: i.actor == ANA, latest), total(lambda i: i.actor == BEN, latest)
    on = total(lambda i: i.kind != "meeting", latest)
    off = total(lambda i: i.kind == "meeting", latest)
    s = 1 - math.exp(-i_all / 10)
    r = 2 * min(ab, ba) / (ab + ba)
    d = 2 * min(on, off) / (ab + ba)
    return 100 * (0.75 * s * (0.4 + 0.6 * r) + 0.15 * trust + 0.10 * d), i_all


@pytest.mark.parametrize("half_life", HALF_LIVES)
@pytest.mark.parametrize(
    ("times", "at"),
    [
        ((FIRST,), FIRST),
        ((FIRST,), LAST),
        ((LAST,), LAST),
        ((FIRST, LAST), LAST),
        ((FIRST, MIDDLE, LAST), LAST),
        ((FIRST, FIRST + timedelta(days=3)), FIRST + timedelta(days=10)),
        ((LAST - timedelta(days=3), LAST - timedelta(hours=1)), LAST),
    ],
)
def test_interactions_and_reads_at_the_edges_of_the_range_give_the_models_figures(
    half_life, times, at
):
    model = HealthModel(half_life_days=half_life)
    interactions = interactions_at(*times)
    c = components(summed(interactions, model), trust=1.0, at=at, model=model)
    health, total = expected_health(interactions, at, 1.0, half_life)
    assert c.health == pytest.approx(health, rel=1e-9)
    assert c.total == pytest.approx(total, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("half_life", HALF_LIVES)
def test_the_same_interactions_at_the_edges_in_any_order_give_the_same_sums(half_life):
    model = HealthModel(half_life_days=half_life)
    interactions = [
        *interactions_at(FIRST)[:2],
        *interactions_at(MIDDLE)[1:3],
        Interaction(BEN, ANA, "meeting", LAST - timedelta(days=1), 1.5),
        Interaction(ANA, BEN, "comment", LAST, 2.0),
    ]
    reference = components(summed(interactions, model), 1.0, LAST, model)
    for order in itertools.permutations(interactions):
        c = components(summed(list(order), model), 1.0, LAST, model)
        assert c.health == pytest.approx(reference.health, rel=1e-9)
        assert c.i_ab == pytest.approx(reference.i_ab, rel=1e-9)
        assert c.i_offline == pytest.approx(reference.i_offline, rel=1e-9)


@pytest.mark.parametrize("half_life", HALF_LIVES)
@pytest.mark.parametrize("at", [FIRST, MIDDLE, LAST])
def test_when_a_status_drops_is_a_time_or_never_at_any_read(half_life, at):
    model = HealthModel(half_life_days=half_life)
    for times in ((FIRST,), (at,), (FIRST, at)):
        for trust in (0.0, 0.5, 1.0):
            sums = summed(interactions_at(*times), model)
            drops = status_drops_at(sums, components(sums, trust, at, model), at, model)
            assert drops is None or drops >= at
            assert [e["share"] for e in explanation(sums, at, model)] == pytest.approx(
                [5 / 9, 3 / 9, 1 / 9]
            )


def test_a_fading_pair_held_just_short_by_diversity_never_divides_by_zero():
    # 1 online to 3 offline: diversity 0.5, and 0.15 + 0.05 is the fading threshold itself
    model = HealthModel()
    sums = PairSums(ANA, BEN)
    sums.add(Interaction(ANA, BEN, "reaction", MIDDLE, 1.0), model)
    sums.add(Interaction(BEN, ANA, "meeting", MIDDLE, 3.0), model)
    for at in (MIDDLE, LAST):
        c = components(sums, 1.0, at, model)
        status_drops_at(sums, c, at, model)  # no ZeroDivisionError


@pytest.mark.parametrize("half_life", HALF_LIVES)
def test_a_balance_is_the_sum_of_its_partitions_at_any_time(half_life):
    model = HealthModel(half_life_days=half_life)
    contributions = [("online", 3.0, FIRST), ("offline", 2.0, MIDDLE), ("online", 1.0, LAST)]
    whole, parts = ChannelSums(), [ChannelSums(), ChannelSums()]
    for n, (channel, weight, t) in enumerate(contributions):
        whole.add(channel, weight, t, model)
        parts[n % 2].add(channel, weight, t, model)
    merged = ChannelSums()
    for part in reversed(parts):
        merged.merge(part, model)
    for at in (MIDDLE, LAST):
        if at < max(t for *_, t in contributions):
            continue
        assert merged.at(at, model) == pytest.approx(whole.at(at, model), rel=1e-9)
    expected_at_last = sum(
        w * 2 ** (-(LAST - t).total_seconds() / (half_life * 86400))
        for c, w, t in contributions
        if c == "online"
    )
    assert whole.at(LAST, model)[0] == pytest.approx(expected_at_last, rel=1e-9)
    assert whole.offline_share == pytest.approx(merged.offline_share, rel=1e-9)


EDGES_OUTSIDE = [
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00",
    "1000-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
]
QUERIES = [
    (api.RelationshipsQuery, {"member_id": ANA}),
    (api.PairQuery, {"member_id": ANA, "other_id": BEN}),
    (api.MemberQuery, {"member_id": ANA}),
    (api.OrgInsightsQuery, {}),
    (api.TeamInsightsQuery, {"team": "design"}),
]


@pytest.mark.parametrize("value", EDGES_OUTSIDE)
@pytest.mark.parametrize(("query", "fields"), QUERIES)
def test_every_query_refuses_a_time_outside_the_range_naming_at(query, fields, value):
    with pytest.raises(ValidationError) as refused:
        query(**fields, at=value)
    assert [e["loc"] for e in refused.value.errors()] == [("at",)]


@pytest.mark.parametrize(("query", "fields"), QUERIES)
def test_every_query_reads_an_offset_less_time_as_utc(query, fields):
    assert query(**fields, at="1970-01-01T00:00:00").at == FIRST
