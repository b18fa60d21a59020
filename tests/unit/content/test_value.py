"""The content value score: engagement from distinct other members, decayed, over the square
root of the author's audience; and its anchored form, which ranks posts without time."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from services.content.value import (
    COMMENT,
    REACTION,
    SHARE,
    UNRANKED,
    Engagement,
    ValueRules,
    anchor,
    credits,
    rank_key,
    value,
    value_at,
)

RULES = ValueRules()
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
AUTHOR = "author"


def engaged(member: str, kind: str, days_ago: float = 0.0) -> Engagement:
    return Engagement(member, kind, NOW - timedelta(days=days_ago))


def anchored_value(engagements: list[Engagement], audience: int, now: datetime = NOW) -> float:
    return value_at(anchor(credits(AUTHOR, engagements), RULES), audience, now, RULES)


def test_a_reaction_a_comment_and_a_share_weigh_one_two_and_three():
    assert value(AUTHOR, [engaged("a", REACTION)], 1, NOW, RULES) == pytest.approx(1)
    assert value(AUTHOR, [engaged("a", COMMENT)], 1, NOW, RULES) == pytest.approx(2)
    assert value(AUTHOR, [engaged("a", SHARE)], 1, NOW, RULES) == pytest.approx(3)


def test_a_member_counts_once_per_kind_however_often_they_comment():
    chatty = [engaged("a", COMMENT, days_ago=d) for d in (0, 0.1, 0.2, 0.3)]
    assert value(AUTHOR, chatty, 1, NOW, RULES) == pytest.approx(2 * 2 ** (-0.3 / 7))


def test_the_earliest_engagement_of_a_kind_is_the_one_that_counts():
    assert credits(AUTHOR, [engaged("a", COMMENT, 1), engaged("a", COMMENT, 3)]) == {
        ("a", COMMENT): NOW - timedelta(days=3)
    }


def test_every_kind_of_one_member_adds_up():
    everything = [engaged("a", REACTION), engaged("a", COMMENT), engaged("a", SHARE)]
    assert value(AUTHOR, everything, 1, NOW, RULES) == pytest.approx(6)


def test_the_authors_own_engagement_counts_for_nothing():
    assert value(AUTHOR, [engaged(AUTHOR, COMMENT), engaged(AUTHOR, REACTION)], 1, NOW, RULES) == 0
    assert anchor(credits(AUTHOR, [engaged(AUTHOR, SHARE)]), RULES) is None


def test_engagement_halves_every_seven_days():
    fresh = value(AUTHOR, [engaged("a", SHARE, 0)], 1, NOW, RULES)
    week = value(AUTHOR, [engaged("a", SHARE, 7)], 1, NOW, RULES)
    fortnight = value(AUTHOR, [engaged("a", SHARE, 14)], 1, NOW, RULES)
    assert week == pytest.approx(fresh / 2)
    assert fortnight == pytest.approx(fresh / 4)


def test_value_is_divided_by_the_square_root_of_the_audience_of_at_least_one():
    likes = [engaged(m, REACTION) for m in "abcd"]
    assert value(AUTHOR, likes, 0, NOW, RULES) == pytest.approx(4)
    assert value(AUTHOR, likes, 1, NOW, RULES) == pytest.approx(4)
    assert value(AUTHOR, likes, 16, NOW, RULES) == pytest.approx(1)


def test_the_half_life_and_weights_are_configuration():
    rules = ValueRules(half_life_days=1, reaction=5, comment=0, share=0)
    engagements = [engaged("a", REACTION, 1), engaged("b", COMMENT)]
    assert value(AUTHOR, engagements, 1, NOW, rules) == pytest.approx(2.5)


@pytest.mark.parametrize("audience", [0, 1, 7, 500])
def test_the_anchored_form_agrees_with_the_definition(audience: int):
    engagements = [
        engaged("a", REACTION, 0.5),
        engaged("a", COMMENT, 3),
        engaged("b", SHARE, 10),
        engaged("c", COMMENT, 40),
        engaged(AUTHOR, SHARE, 1),
    ]
    direct = value(AUTHOR, engagements, audience, NOW, RULES)
    assert anchored_value(engagements, audience) == pytest.approx(direct, rel=1e-9)


def test_the_anchored_form_stays_exact_decades_away_from_its_epoch():
    far = NOW + timedelta(days=365 * 30)
    engagements = [Engagement("a", SHARE, far - timedelta(days=7))]
    assert anchored_value(engagements, 4, now=far) == pytest.approx(0.75, rel=1e-9)


def test_no_engagement_is_worth_zero_and_ranks_below_any_engagement():
    assert anchored_value([], 10) == 0.0
    assert rank_key(None, 10) == UNRANKED
    old_like = anchor(credits(AUTHOR, [engaged("a", REACTION, 365)]), RULES)
    assert rank_key(old_like, 100_000) > UNRANKED


def test_ranking_by_the_anchored_key_is_ranking_by_value_at_any_moment():
    posts = {
        "fresh-like-big-audience": ([engaged("a", REACTION, 0)], 400),
        "old-shares": ([engaged("a", SHARE, 20), engaged("b", SHARE, 21)], 4),
        "comment": ([engaged("a", COMMENT, 2)], 1),
        "week-old-everything": (
            [engaged(m, k, 7) for m in "abc" for k in (REACTION, COMMENT, SHARE)],
            9,
        ),
    }
    keys = {
        name: rank_key(anchor(credits(AUTHOR, e), RULES), audience)
        for name, (e, audience) in posts.items()
    }
    by_key = sorted(posts, key=lambda name: -keys[name])
    for later in (0, 3, 30, 300):
        moment = NOW + timedelta(days=later)
        values = {
            name: value(AUTHOR, e, audience, moment, RULES) for name, (e, audience) in posts.items()
        }
        assert sorted(posts, key=lambda name: -values[name]) == by_key


def test_the_signature_changes_with_every_number_anchors_depend_on():
    base = ValueRules().signature()
    assert ValueRules(half_life_days=8).signature() != base
    assert ValueRules(share=4).signature() != base
    assert ValueRules().signature() == base
    assert math.isfinite(RULES.half_lives_since_epoch(NOW))
