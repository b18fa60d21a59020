"""The health model v1 against hand-computed cases, including docs/health-model.md's example."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from services.aggregator.health import at_risk, components, explanation, status_drops_at
from services.aggregator.interactions import activities_of, interactions_of
from services.aggregator.model import HealthModel, Interaction
from services.aggregator.sums import PairSums
from shared.contracts.events import (
    AttendeeCheckedIn,
    CommentCreated,
    ConnectionAccepted,
    ConnectionRequested,
    DirectMessageSent,
    GroupMessagePosted,
    MeetingLogged,
    PostCreated,
    PostShared,
    ReactionSet,
)

MODEL = HealthModel()
DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
ANA, BEN = "ana", "ben"


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


def test_the_worked_example_gives_the_documented_figures():
    c = components(worked_example(), trust=1.0, at=day(60), model=MODEL)

    assert c.i_ab == pytest.approx(7.25, rel=1e-12)
    assert c.i_ba == pytest.approx(7.75, rel=1e-12)
    assert c.i_online == pytest.approx(3.0, rel=1e-12)
    assert c.i_offline == pytest.approx(12.0, rel=1e-12)
    assert c.intensity == pytest.approx(1 - math.exp(-1.5), rel=1e-12)
    assert c.reciprocity == pytest.approx(2 * 7.25 / 15, rel=1e-12)
    assert c.diversity == pytest.approx(0.4, rel=1e-12)
    assert c.health == pytest.approx(76.0999, abs=1e-4)
    assert MODEL.status(c.health) == "thriving"


def test_the_worked_example_drops_to_steady_about_ten_days_later():
    sums = worked_example()
    c = components(sums, 1.0, day(60), MODEL)

    drops = status_drops_at(sums, c, day(60), MODEL)

    assert (drops - day(60)).total_seconds() / 86400 == pytest.approx(10.2472, abs=1e-4)
    just_before = components(sums, 1.0, drops - timedelta(seconds=1), MODEL).health
    just_after = components(sums, 1.0, drops + timedelta(seconds=1), MODEL).health
    assert just_before > 70 > just_after


def test_the_worked_example_is_at_risk_after_three_mean_gaps_of_silence():
    sums = worked_example()  # 6 interactions over 60 days: a mean gap of 12 days
    assert not at_risk(sums, day(60 + 36), MODEL)
    assert at_risk(sums, day(60 + 36.01), MODEL)


def test_an_interaction_loses_half_its_weight_every_half_life():
    sums = PairSums(ANA, BEN)
    sums.add(Interaction(ANA, BEN, "direct_message", day(0), 3), MODEL)
    assert components(sums, 0, day(30), MODEL).i_ab == pytest.approx(1.5, rel=1e-12)
    assert components(sums, 0, day(90), MODEL).i_ab == pytest.approx(0.375, rel=1e-12)


def test_a_one_sided_online_only_pair_has_no_reciprocity_and_no_diversity():
    sums = PairSums(ANA, BEN)
    sums.add(Interaction(ANA, BEN, "reaction", day(0), 1), MODEL)
    c = components(sums, 0.0, day(0), MODEL)
    assert c.reciprocity == 0 and c.diversity == 0
    assert c.health == pytest.approx(100 * 0.75 * (1 - math.exp(-0.1)) * 0.4, rel=1e-12)


def test_a_pair_without_interactions_is_worth_its_trust_only():
    c = components(PairSums(ANA, BEN), 1.0, day(0), MODEL)
    assert c.health == pytest.approx(15.0) and MODEL.status(c.health) == "dormant"
    assert status_drops_at(PairSums(ANA, BEN), c, day(0), MODEL) is None


def test_a_status_held_up_by_trust_and_diversity_alone_never_drops():
    sums = PairSums(ANA, BEN)
    for actor, target in ((ANA, BEN), (BEN, ANA)):
        sums.add(Interaction(actor, target, "reaction", day(0), 0.1), MODEL)
        sums.add(Interaction(actor, target, "meeting", day(0), 0.1), MODEL)
    c = components(sums, 1.0, day(0), MODEL)
    assert MODEL.status(c.health) == "fading"  # 15 trust + 10 diversity + a little intensity
    assert status_drops_at(sums, c, day(0), MODEL) is None


@pytest.mark.parametrize(
    ("health", "status"),
    [
        (70, "thriving"),
        (69.99, "steady"),
        (45, "steady"),
        (44.9, "fading"),
        (20, "fading"),
        (19.9, "dormant"),
    ],
)
def test_statuses_begin_at_their_thresholds(health, status):
    assert MODEL.status(health) == status


@pytest.mark.parametrize(
    ("minutes", "weight"), [(None, 2.5), (0, 1.0), (50, 6.0), (120, 13.0), (600, 13.0)]
)
def test_a_meeting_weighs_one_plus_a_point_per_ten_minutes_up_to_thirteen(minutes, weight):
    assert MODEL.meeting_weight(minutes) == weight


@pytest.mark.parametrize(
    ("online", "offline", "status"),
    [
        (0.5, 0.4, "inactive"),
        (8, 2, "online_heavy"),
        (7.5, 2.5, "balanced"),
        (2.5, 7.5, "balanced"),
        (2, 8, "offline_heavy"),
    ],
)
def test_balance_statuses(online, offline, status):
    assert MODEL.balance_status(online, offline) == status


def test_the_explanation_ranks_kinds_by_their_decayed_contribution():
    parts = explanation(worked_example(), day(60), MODEL)
    assert [p["kind"] for p in parts] == ["meeting", "direct_message", "comment"]
    assert parts[0]["share"] == pytest.approx(12 / 15)


# --- which interactions an event stands for -------------------------------------------


def kinds(interactions):
    return sorted((i.actor, i.target, i.kind, i.weight, i.channel) for i in interactions)


def test_connection_events_are_online_interactions_of_weight_one():
    assert kinds(
        interactions_of(
            ConnectionRequested(request_id="r", requester_id=ANA, addressee_id=BEN), day(0), MODEL
        )
    ) == [(ANA, BEN, "connection_request", 1.0, "online")]
    assert kinds(
        interactions_of(
            ConnectionAccepted(request_id="r", requester_id=ANA, addressee_id=BEN), day(0), MODEL
        )
    ) == [(BEN, ANA, "connection_acceptance", 1.0, "online")]


def test_a_comment_reply_with_mentions_counts_each_member_concerned():
    event = CommentCreated(
        comment_id="c",
        post_id="p",
        author_id=ANA,
        post_author_id=BEN,
        reply_to_comment_id="c0",
        reply_to_author_id="chen",
        mentioned_ids=["dana", ANA, "dana"],
    )
    assert kinds(interactions_of(event, day(0), MODEL)) == [
        (ANA, BEN, "comment", 2.0, "online"),
        (ANA, "chen", "reply", 2.0, "online"),
        (ANA, "dana", "mention", 2.0, "online"),
    ]


def test_reactions_count_once_and_a_change_of_kind_adds_nothing():
    first = ReactionSet(target="post", post_id="p", actor_id=ANA, target_author_id=BEN, kind="like")
    changed = first.model_copy(update={"kind": "celebrate", "previous_kind": "like"})
    assert kinds(interactions_of(first, day(0), MODEL)) == [(ANA, BEN, "reaction", 1.0, "online")]
    assert interactions_of(changed, day(0), MODEL) == []


def test_acting_on_ones_own_content_is_no_interaction():
    assert (
        interactions_of(
            PostShared(share_id="s", post_id="p", actor_id=ANA, post_author_id=ANA), day(0), MODEL
        )
        == []
    )


def test_a_direct_message_weighs_three():
    event = DirectMessageSent(message_id="m", sender_id=ANA, recipient_id=BEN)
    assert kinds(interactions_of(event, day(0), MODEL)) == [
        (ANA, BEN, "direct_message", 3.0, "online")
    ]


def test_a_meeting_links_every_pair_both_ways_at_its_end():
    event = MeetingLogged(
        meeting_id="m",
        participant_ids=[ANA, BEN, "chen"],
        started_at=day(0),
        ended_at=day(0) + timedelta(minutes=30),
    )
    found = interactions_of(event, day(5), MODEL)
    assert len(found) == 6
    assert {i.time for i in found} == {day(0) + timedelta(minutes=30)}
    assert {i.weight for i in found} == {4.0} and {i.channel for i in found} == {"offline"}


def test_a_meeting_without_an_end_or_duration_lasted_fifteen_minutes():
    event = MeetingLogged(meeting_id="m", participant_ids=[ANA, BEN], started_at=day(0))
    found = interactions_of(event, day(5), MODEL)
    assert {i.time for i in found} == {day(0) + timedelta(minutes=15)}
    assert {i.weight for i in found} == {2.5}


def test_own_activity_counts_in_the_balance_only():
    post = PostCreated(post_id="p", author_id=ANA, visibility="org")
    message = GroupMessagePosted(message_id="m", group_id="g", author_id=ANA)
    in_person = AttendeeCheckedIn(
        event_id="e", member_id=ANA, attendance="in_person", checked_in_at=day(1)
    )
    online = in_person.model_copy(update={"attendance": "online"})
    assert [(a.kind, a.channel, a.weight) for a in activities_of(post, day(0), MODEL)] == [
        ("post", "online", 1.0)
    ]
    assert [(a.channel, a.weight) for a in activities_of(message, day(0), MODEL)] == [
        ("online", 1.0)
    ]
    assert [(a.channel, a.weight, a.time) for a in activities_of(in_person, day(0), MODEL)] == [
        ("offline", 3.0, day(1))
    ]
    assert [a.channel for a in activities_of(online, day(0), MODEL)] == ["online"]
