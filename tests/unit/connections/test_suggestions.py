"""The suggestion index: each ranking signal, the reasons, exclusions and the rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from services.connections.suggestions.index import SuggestionIndex
from services.connections.suggestions.model import ATTENDED, GOING, Gathering, Profile
from services.connections.suggestions.rules import (
    EVENTS,
    FIT,
    GROUPS,
    MUTUAL,
    SIGNALS,
    SuggestionRules,
    check_dismissal,
)
from services.connections.suggestions.text import terms
from shared.errors import Conflict, OutOfRange
from shared.settings import Settings

RULES = SuggestionRules.from_settings(Settings())
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def person(member_id: str, **fields) -> Profile:
    return Profile(member_id=member_id, handle=member_id, name=member_id.title(), **fields)


def index_of(*profiles: Profile) -> SuggestionIndex:
    index = SuggestionIndex()
    for profile in profiles:
        index.put_profile(profile)
    return index


def suggest(index: SuggestionIndex, member_id: str, *, excluded=(), limit=10):
    return index.suggest(member_id, excluded=set(excluded), limit=limit, rules=RULES, now=NOW)


def ranked(index: SuggestionIndex, member_id: str, **kwargs) -> list[str]:
    return [s.profile.member_id for s in suggest(index, member_id, **kwargs)]


def reason(suggestion, signal: str):
    [found] = [r for r in suggestion.reasons if r.signal == signal]
    return found


def org(n: int = 10) -> list[Profile]:
    return [person(f"m{i}") for i in range(n)]


# --- text ------------------------------------------------------------------------------------


def test_terms_drop_stopwords_and_fold_plurals_and_ing_forms():
    assert terms("Move into Data Engineering") == ["data", "engineer"]
    assert terms("data engineers, pipelines and analytics") == [
        "data",
        "engineer",
        "pipeline",
        "analytic",
    ]
    assert terms("C++ and C#") == ["c++", "c#"]


# --- fit ---------------------------------------------------------------------------------------


def test_a_candidate_whose_skills_match_the_member_goal_ranks_first_and_says_why():
    ana = person("ana", goals=("move into data engineering",))
    ben = person("ben", skills=("Data Engineering", "Spark"), headline="Data engineer")
    chen = person("chen", skills=("Sales", "Negotiation"))
    dan = person("dan", skills=("Data visualisation",))
    index = index_of(ana, ben, chen, dan)

    found = suggest(index, "ana")

    assert [s.profile.member_id for s in found] == ["ben", "dan"]
    fit = reason(found[0], FIT)
    assert fit.text == (
        "their skills and headline match your goal 'move into data engineering': "
        "Data Engineering, Data engineer"
    )
    assert fit.detail["goal"] == "move into data engineering"
    assert found[0].score > found[1].score


def test_keywords_are_matched_too_and_said_so_when_no_goal_matches():
    ana = person("ana", keywords=("kafka",))
    ben = person("ben", keywords=("Kafka", "streaming"))
    found = suggest(index_of(ana, ben), "ana")

    assert reason(found[0], FIT).text == "their keywords match your keywords: Kafka"


def test_the_candidate_goals_are_not_what_is_matched():
    ana = person("ana", goals=("learn rust",))
    ben = person("ben", goals=("learn rust",))
    assert ranked(index_of(ana, ben), "ana") == []


def test_a_rare_matching_term_weighs_more_than_a_common_one():
    ana = person("ana", goals=("python and haskell",))
    common = [person(f"py{i}", skills=("python",)) for i in range(20)]
    rare = person("hs", skills=("haskell",))
    index = index_of(ana, *common, rare)

    assert ranked(index, "ana")[0] == "hs"


def test_fit_is_bm25_with_the_configured_k1_and_b():
    ana = person("ana", goals=("rust",))
    ben = person("ben", skills=("rust", "scala"))
    chen = person("chen", skills=("java",))
    index = index_of(ana, ben, chen)
    # 3 documents: ana's is empty, ben has 2 terms, chen 1; average length 1
    idf = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    k1, b = RULES.bm25_k1, RULES.bm25_b
    expected = idf * 1 * (k1 + 1) / (1 + k1 * (1 - b + b * 2 / 1))

    assert index.fit(ana, RULES) == pytest.approx({"ben": expected})


# --- mutual connections -----------------------------------------------------------------------


def connect(index: SuggestionIndex, *pairs: tuple[str, str]) -> None:
    for a, b in pairs:
        index.set_connected(a, b, True)


def test_mutual_connections_are_adamic_adar_and_named_in_the_reason():
    index = index_of(*org(), person("ana"), person("ben"), person("chen"), person("zoe"))
    # ana and zoe share ben and chen; ben has 2 connections, chen 3 (chen also knows m1)
    connect(index, ("ana", "ben"), ("ben", "zoe"), ("ana", "chen"), ("chen", "zoe"), ("chen", "m1"))

    assert index.mutual("ana")["zoe"] == pytest.approx(1 / math.log(2) + 1 / math.log(3))
    found = suggest(index, "ana", excluded={"ben", "chen"})
    assert [s.profile.member_id for s in found] == ["zoe", "m1"]
    mutual = reason(found[0], MUTUAL)
    assert mutual.text == "2 mutual connections: Ben, Chen"  # fewest connections first
    assert mutual.detail == {"count": 2, "names": ["Ben", "Chen"]}


def test_a_mutual_connection_with_few_connections_counts_more_than_a_hub():
    index = index_of(*org(30), person("ana"), person("hub"), person("quiet"))
    connect(index, ("ana", "hub"), ("ana", "quiet"), ("quiet", "m0"))
    connect(index, *[("hub", f"m{i}") for i in range(1, 30)])

    assert ranked(index, "ana", excluded={"hub", "quiet"})[0] == "m0"


def test_more_mutual_names_than_shown_say_how_many_more():
    index = index_of(*org(), person("ana"), person("zoe"))
    connect(index, *[(a, f"m{i}") for i in range(5) for a in ("ana", "zoe")])
    found = suggest(index, "ana", excluded={f"m{i}" for i in range(5)})

    assert reason(found[0], MUTUAL).text == "5 mutual connections: M0, M1, M2 and 2 more"


# --- shared groups and events ---------------------------------------------------------------


def test_a_shared_small_group_counts_more_than_a_shared_big_one():
    index = index_of(*org(50), person("ana"), person("ben"), person("chen"))
    index.name_group("guild", "Data Guild")
    index.name_group("all", "Everyone")
    for member in ("ana", "ben", "m0"):
        index.set_group_member("guild", member, True)
    for member in ["ana", "chen", *(f"m{i}" for i in range(1, 50))]:
        index.set_group_member("all", member, True)

    found = suggest(index, "ana", limit=2)

    assert [s.profile.member_id for s in found] == ["ben", "m0"]
    assert reason(found[0], GROUPS).text == "both in the group Data Guild"
    assert index.shared_groups("ana")["ben"] == pytest.approx(1 / math.log(3))


def test_leaving_a_group_ends_its_signal_and_two_groups_are_listed():
    index = index_of(person("ana"), person("ben"))
    for group, name in (("g1", "Data Guild"), ("g2", "Python Club")):
        index.name_group(group, name)
        index.set_group_member(group, "ana", True)
        index.set_group_member(group, "ben", True)
    assert reason(suggest(index, "ana")[0], GROUPS).text.startswith("2 shared groups: ")

    index.set_group_member("g1", "ben", False)
    index.set_group_member("g2", "ben", False)
    assert ranked(index, "ana") == []


def gathering(event_id: str, title: str, *, ends_in_days: float, cancelled=False) -> Gathering:
    return Gathering(event_id, title, NOW + timedelta(days=ends_in_days), cancelled)


def test_shared_events_say_going_for_upcoming_and_attended_for_checked_in():
    index = index_of(person("ana"), person("ben"), person("chen"))
    index.describe_gathering("conf", gathering("conf", "DataConf", ends_in_days=10))
    index.describe_gathering("meetup", gathering("meetup", "PyMeetup", ends_in_days=-3))
    index.set_participation("conf", "ana", GOING)
    index.set_participation("conf", "ben", GOING)
    index.set_participation("meetup", "ana", ATTENDED)
    index.set_participation("meetup", "chen", ATTENDED)

    found = {s.profile.member_id: s for s in suggest(index, "ana")}

    assert reason(found["ben"], EVENTS).text == "both going to DataConf"
    assert reason(found["chen"], EVENTS).text == "both attended PyMeetup"


def test_cancelled_events_and_events_known_only_from_rsvps_do_not_count():
    index = index_of(person("ana"), person("ben"))
    index.set_participation("unknown", "ana", GOING)
    index.set_participation("unknown", "ben", GOING)
    index.describe_gathering("off", gathering("off", "Off", ends_in_days=3, cancelled=True))
    index.set_participation("off", "ana", GOING)
    index.set_participation("off", "ben", GOING)

    assert ranked(index, "ana") == []


def test_declining_an_event_ends_its_signal():
    index = index_of(person("ana"), person("ben"))
    index.describe_gathering("conf", gathering("conf", "DataConf", ends_in_days=10))
    index.set_participation("conf", "ana", GOING)
    index.set_participation("conf", "ben", GOING)
    index.set_participation("conf", "ben", None)
    assert ranked(index, "ana") == []


# --- the ranking as a whole -------------------------------------------------------------------


def test_points_of_the_reasons_add_up_to_the_score_which_stays_within_0_and_100():
    index = index_of(
        person("ana", goals=("lead data teams",)),
        person("ben", skills=("data", "leadership"), headline="Data team lead"),
        person("f1"),
    )
    connect(index, ("ana", "f1"), ("f1", "ben"))
    index.name_group("g", "G")
    index.set_group_member("g", "ana", True)
    index.set_group_member("g", "ben", True)
    index.describe_gathering("e", gathering("e", "E", ends_in_days=1))
    index.set_participation("e", "ana", GOING)
    index.set_participation("e", "ben", GOING)

    [top] = suggest(index, "ana", excluded={"f1"})

    assert {r.signal for r in top.reasons} == set(SIGNALS)
    assert sum(r.points for r in top.reasons) == pytest.approx(top.score)
    assert 0 < top.score < 100
    assert [r.points for r in top.reasons] == sorted((r.points for r in top.reasons), reverse=True)
    assert top.view()["reasons"][0].keys() >= {"signal", "text", "points"}


def test_excluded_and_unknown_members_and_the_member_are_never_suggested():
    index = index_of(person("ana"), person("ben"), person("chen"), person("x"))
    connect(index, ("ana", "x"), ("x", "ben"), ("x", "chen"), ("x", "ghost"), ("x", "dan"))
    index.put_profile(person("dan"))

    # the caller excludes the member's connections (and more): the index decides nothing
    assert ranked(index, "ana", excluded={"x"}) == ["ben", "chen", "dan"]
    assert ranked(index, "ana", excluded={"x", "ben"}) == ["chen", "dan"]


def test_an_erased_member_leaves_every_structure():
    index = index_of(person("ana", goals=("rust",)), person("ben", skills=("rust",)))
    connect(index, ("ana", "ben"))
    index.set_group_member("g", "ben", True)
    index.set_participation("e", "ben", GOING)

    index.remove_member("ben")

    assert ranked(index, "ana") == []
    assert index.connections_of("ana") == set()
    assert index.sizes()["members"] == 1
    assert index.fit(index.profiles["ana"], RULES) == {}


def test_a_changed_profile_replaces_its_document():
    index = index_of(person("ana", goals=("rust",)), person("ben", skills=("rust",)))
    index.put_profile(person("ben", skills=("java",)))
    assert ranked(index, "ana") == []


def test_the_limit_takes_the_best_and_ties_are_broken_by_id():
    index = index_of(*org(6), person("ana"))
    connect(index, ("ana", "hub"), *[("hub", f"m{i}") for i in range(6)])

    assert ranked(index, "ana", excluded={"hub"}, limit=3) == ["m0", "m1", "m2"]


# --- rules ------------------------------------------------------------------------------------


def test_the_limit_defaults_and_must_be_within_range():
    assert RULES.limit(None) == 10
    assert RULES.limit(1) == 1
    assert RULES.limit(50) == 50
    for bad in (0, -1, 51):
        with pytest.raises(OutOfRange) as error:
            RULES.limit(bad)
        assert error.value.field == "limit"
        assert error.value.status == 400


def test_dismissing_oneself_or_a_connected_member_is_a_conflict():
    with pytest.raises(Conflict) as error:
        check_dismissal("ana", "ana", connected=False)
    assert error.value.field == "other_id"
    with pytest.raises(Conflict):
        check_dismissal("ana", "ben", connected=True)
    check_dismissal("ana", "ben", connected=False)


def test_weights_and_scales_are_checked():
    with pytest.raises(ValueError):
        SuggestionRules(weights=dict.fromkeys(SIGNALS, 0.0), scales=dict.fromkeys(SIGNALS, 1.0))
    with pytest.raises(ValueError):
        SuggestionRules(weights=dict.fromkeys(SIGNALS, 1.0), scales=dict.fromkeys(SIGNALS, 0.0))


def test_among_equal_fits_the_limit_keeps_the_smaller_ids():
    same = [person(f"m{i}", skills=("rust",)) for i in (5, 3, 0, 4, 1, 2)]
    index = index_of(person("ana", goals=("rust",)), *same)

    assert ranked(index, "ana", limit=3) == ["m0", "m1", "m2"]
    assert ranked(index, "ana", excluded={"m0"}, limit=2) == ["m1", "m2"]


def test_a_network_candidate_and_a_fit_only_candidate_are_ranked_on_one_scale():
    index = index_of(
        person("ana", goals=("rust",)),
        person("expert", skills=("rust", "tokio")),
        person("friend_of_friend"),
        person("f"),
    )
    connect(index, ("ana", "f"), ("f", "friend_of_friend"))

    found = suggest(index, "ana", excluded={"f"})

    assert {s.profile.member_id for s in found} == {"expert", "friend_of_friend"}
    assert found[0].score >= found[1].score
    assert [r.signal for r in found[0].reasons] + [r.signal for r in found[1].reasons] in (
        ["fit", "mutual_connections"],
        ["mutual_connections", "fit"],
    )
