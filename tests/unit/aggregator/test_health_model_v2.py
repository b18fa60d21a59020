"""Health model v2 (meetings by duration, closeness from the attention share) against
hand-computed cases, including docs/health-model.md's worked example of the attention share,
and the choice of model by configuration."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from services.aggregator.app import health_model
from services.aggregator.health import Attention, components, status_drops_at
from services.aggregator.model import HealthModel, Interaction
from services.aggregator.sums import DecayedSum, PairSums
from shared.settings import Settings

MODEL = HealthModel.v2()
DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
ANA, BEN, DAN = "ana", "ben", "dan"
# Ana's interactions over all her visible pairs on day 60, and Ben's (a hub): the pair's 23
# included
TOTALS = Attention(a=100.0, b=230.0)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def worked_example() -> PairSums:
    """docs/health-model.md: request and acceptance on day 0, a comment and a direct message
    on day 30, a 50-minute meeting on day 60."""
    sums = PairSums(ANA, BEN)
    for interaction in (
        Interaction(ANA, BEN, "connection_request", day(0), 1),
        Interaction(BEN, ANA, "connection_acceptance", day(0), 1),
        Interaction(ANA, BEN, "comment", day(30), 2),
        Interaction(BEN, ANA, "direct_message", day(30), 3),
        Interaction(ANA, BEN, "meeting", day(60), MODEL.meeting_weight(50)),
        Interaction(BEN, ANA, "meeting", day(60), MODEL.meeting_weight(50)),
    ):
        sums.add(interaction, MODEL)
    return sums


@pytest.mark.parametrize(
    ("minutes", "weight"), [(None, 3.0), (0, 0.0), (50, 10.0), (120, 24.0), (600, 24.0)]
)
def test_a_meeting_weighs_a_point_per_five_minutes_up_to_twenty_four(minutes, weight):
    assert MODEL.meeting_weight(minutes) == pytest.approx(weight)


def test_the_worked_example_gives_the_documented_attention_share_and_health():
    c = components(worked_example(), trust=1.0, at=day(60), model=MODEL, attention=TOTALS)

    assert c.total == pytest.approx(23.0, rel=1e-12)
    assert c.share_of_a == pytest.approx(0.23, rel=1e-12)  # 23 of Ana's 100
    assert c.share_of_b == pytest.approx(0.10, rel=1e-12)  # 23 of Ben's 230
    assert c.attention == pytest.approx(0.165, rel=1e-12)
    assert c.intensity == pytest.approx(1 - math.exp(-2.3), rel=1e-12)
    assert c.closeness == pytest.approx((1 - math.exp(-2.3)) / 2 + 0.165 / 0.2 / 2, rel=1e-12)
    assert c.health == pytest.approx(81.4429, abs=1e-4)
    assert MODEL.status(c.health) == "thriving"


def test_the_attention_share_stays_constant_while_every_sum_decays_alike():
    sums = worked_example()
    now = components(sums, 1.0, day(60), MODEL, TOTALS)
    later = day(80)
    factor = 2 ** (-20 / 30)
    decayed = Attention(TOTALS.a * factor, TOTALS.b * factor)

    assert components(sums, 1.0, later, MODEL, decayed).attention == pytest.approx(
        now.attention, rel=1e-12
    )


def test_the_worked_example_drops_to_steady_when_health_crosses_seventy():
    sums = worked_example()
    c = components(sums, 1.0, day(60), MODEL, TOTALS)

    drops = status_drops_at(sums, c, day(60), MODEL, TOTALS)

    assert (drops - day(60)).total_seconds() / 86400 == pytest.approx(40.9481, abs=1e-4)

    def health(at: datetime) -> float:
        f = 2 ** (-(at - day(60)).total_seconds() / MODEL.half_life_seconds)
        totals = Attention(TOTALS.a * f, TOTALS.b * f)
        return components(sums, 1.0, at, MODEL, totals).health

    assert health(drops - timedelta(seconds=1)) >= 70 > health(drops + timedelta(seconds=1))


def test_a_hubs_single_light_tie_is_far_from_close():
    """Dan, a newcomer, reacts once to Ben, a hub: the floor of 10 keeps Dan's only
    interaction from counting as his full attention, and it is a sliver of Ben's."""
    sums = PairSums(BEN, DAN)
    sums.add(Interaction(DAN, BEN, "reaction", day(60), 1), MODEL)

    c = components(sums, 0.0, day(60), MODEL, Attention(a=230.0, b=1.0))

    assert c.attention == pytest.approx((1 / 230 + 1 / 10) / 2, rel=1e-12)
    assert c.share_of_b == 1.0
    assert MODEL.status(c.health) == "dormant"


def test_a_pair_that_holds_both_members_attention_is_closer_than_its_intensity_says():
    sums = worked_example()

    alone = components(sums, 1.0, day(60), MODEL, Attention(23.0, 23.0))
    v1 = components(sums, 1.0, day(60), HealthModel(meeting_cap=24.0), None)

    assert alone.attention == 1.0 and alone.closeness > alone.intensity
    assert v1.attention is None and v1.closeness == v1.intensity


def test_a_removed_sum_leaves_what_was_added_besides_it():
    total = DecayedSum()
    total.add(5.0, day(0), MODEL)
    total.add(7.0, day(30), MODEL)
    pair = DecayedSum()
    pair.add(5.0, day(0), MODEL)

    total.remove(pair.value, pair.as_of, MODEL)

    assert total.at(day(60), MODEL) == pytest.approx(7.0 * 0.5, rel=1e-12)


def test_the_model_is_chosen_by_configuration_and_v2_is_the_default():
    assert health_model(Settings()).uses_attention
    assert health_model(Settings()).meeting_weight(50) == 10.0
    v1 = health_model(Settings(health={"model": "v1"}))
    assert not v1.uses_attention and v1.meeting_weight(50) == 6.0
    tuned = health_model(Settings(health={"meeting_cap": 8.0, "attention_full_share": 0.5}))
    assert tuned.meeting_weight(120) == 8.0 and tuned.attention_full_share == 0.5
