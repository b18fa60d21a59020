"""Profile strength: the score, its level, the missing items and the industry keywords."""

from __future__ import annotations

import random

import pytest

from services.profiles.domain import Member
from services.profiles.industry_keywords import (
    IndustryKeywords,
    ProfileChange,
    Standing,
    industry_item_moves,
)
from services.profiles.strength import ITEMS, StrengthRules, assess, strength_changes
from shared.settings import Settings

RULES = StrengthRules.from_settings(Settings())
WEIGHTS = RULES.weights


def member(id: str = "m-ada", **fields) -> Member:
    return Member(id=id, handle=id, name=id.title(), email=f"{id}@example.org", **fields)


def complete(id: str = "m-ada", **overrides) -> Member:
    fields = {
        "headline": "Data engineer",
        "about": "I build pipelines.",
        "headshot_url": "https://example.com/ada.png",
        "industry": "Data",
        "location": "Lisbon",
        "keywords": ["spark", "airflow", "dbt"],
        "skills": ["python", "sql", "spark", "kafka", "airflow"],
        "accomplishments": ["Cut report latency from 2 h to 5 min"],
        "goals": ["lead a data platform team"],
        "values": ["mentoring"],
    }
    return member(id, **(fields | overrides))


def industry_of(*members: Member, name: str = "Data") -> IndustryKeywords:
    return IndustryKeywords.of(name, [m.keywords for m in members])


def data_peers(n: int = 4, keywords=("spark", "airflow", "dbt")) -> list[Member]:
    return [member(f"peer{i}", industry="Data", keywords=list(keywords)) for i in range(n)]


def test_the_default_weights_sum_to_100_so_each_is_its_items_points():
    assert sum(WEIGHTS.values()) == 100
    assert set(WEIGHTS) == set(ITEMS)


def test_an_empty_profile_scores_0_as_a_starter_and_lists_every_item_as_missing():
    strength = assess(member(), None, RULES)

    assert strength.score == 0
    assert strength.level == "starter"
    assert [m.item for m in strength.missing] == sorted(
        ITEMS, key=lambda i: (-WEIGHTS[i], ITEMS.index(i))
    )
    assert {m.item: m.points for m in strength.missing} == dict(WEIGHTS)


def test_a_complete_profile_whose_keywords_are_common_in_its_industry_scores_100():
    ada = complete()
    strength = assess(ada, industry_of(ada, *data_peers()), RULES)

    assert strength.score == 100
    assert strength.level == "all_star"
    assert strength.missing == []
    assert strength.completed == list(ITEMS)
    assert strength.industry_keywords == {
        "industry": "Data",
        "common": ["airflow", "dbt", "spark"],
        "yours": ["airflow", "dbt", "spark"],
    }


@pytest.mark.parametrize(
    ("item", "change"),
    [
        ("headshot", {"headshot_url": None}),
        ("headline", {"headline": ""}),
        ("about", {"about": "  "}),
        ("location", {"location": ""}),
        ("keywords", {"keywords": ["spark", "airflow"]}),
        ("skills", {"skills": ["python", "sql", "spark", "kafka"]}),
        ("accomplishments", {"accomplishments": []}),
        ("goals", {"goals": []}),
        ("values", {"values": []}),
    ],
)
def test_each_missing_item_costs_its_weight_and_says_so(item: str, change: dict):
    ada = complete(**change)
    strength = assess(ada, industry_of(ada, *data_peers()), RULES)

    assert strength.score == 100 - WEIGHTS[item]
    [missing] = [m for m in strength.missing if m.item == item]
    assert missing.points == WEIGHTS[item]
    assert missing.suggestion


def test_suggestions_say_how_many_more_are_needed():
    ada = member(keywords=["spark"], skills=["python", "sql"])
    missing = {m.item: m.suggestion for m in assess(ada, None, RULES).missing}

    assert missing["keywords"].startswith("Add 2 more keywords")
    assert missing["skills"].startswith("Add 3 more skills")
    assert missing["goals"].startswith("Add a goal")
    assert missing["accomplishments"].startswith("Add an accomplishment")
    assert "move into data engineering" in missing["goals"]


def test_the_levels_follow_the_configured_thresholds():
    assert [RULES.level(s) for s in (0, 39, 40, 69, 70, 89, 90, 100)] == [
        "starter",
        "starter",
        "intermediate",
        "intermediate",
        "strong",
        "strong",
        "all_star",
        "all_star",
    ]


def test_keywords_not_common_in_the_industry_miss_the_item_and_the_suggestion_names_them():
    ada = complete(keywords=["knitting", "chess", "sailing"])
    strength = assess(ada, industry_of(ada, *data_peers()), RULES)

    [missing] = strength.missing
    assert missing.item == "industry_keywords"
    assert missing.points == WEIGHTS["industry_keywords"]
    assert "'airflow', 'dbt', 'spark'" in missing.suggestion
    assert missing.suggestion.startswith("Add 2 keywords common among Data members")
    assert strength.score == 90


def test_one_common_keyword_of_the_two_needed_asks_for_one_more():
    ada = complete(keywords=["spark", "chess", "sailing"])
    strength = assess(ada, industry_of(ada, *data_peers()), RULES)

    [missing] = strength.missing
    assert missing.suggestion.startswith("Add 1 more keyword common among Data members")
    assert "'spark'" not in missing.suggestion


def test_industry_names_differing_in_case_and_spacing_are_one_industry():
    ada = complete(industry=" data ")
    peers = [member(f"p{i}", industry="DATA", keywords=["spark", "dbt"]) for i in range(3)]
    strength = assess(ada, industry_of(ada, *peers), RULES)
    assert "industry_keywords" in strength.completed


def test_a_keyword_is_common_only_when_enough_other_members_use_it():
    ada = complete(keywords=["spark", "dbt", "rust"])
    # 10 peers: "spark" used by 2 (20 %: common), "rust" by 1 (too few), "dbt" by 9
    peers = [member(f"p{i}", industry="Data", keywords=["dbt"]) for i in range(10)]
    peers[0].keywords += ["spark", "rust"]
    peers[1].keywords += ["spark"]
    peers[9].keywords = []
    stats = industry_of(ada, *peers)

    assert stats.common_for(ada.keywords, RULES) == ["dbt", "spark"]


def test_the_member_own_use_of_a_keyword_does_not_make_it_common():
    ada = complete(keywords=["rust", "zig", "ocaml"])
    peers = [member(f"p{i}", industry="Data", keywords=["rust"]) for i in range(4)]
    peers[0].keywords = ["zig"]
    stats = industry_of(ada, *peers)

    assert stats.common_for(ada.keywords, RULES) == ["rust"]  # zig: ada and one peer, not two peers


def test_with_too_few_peers_the_industry_keywords_are_not_measured_and_the_rest_is_scaled():
    ada = complete(skills=[])
    stats = industry_of(ada, *data_peers(2))
    strength = assess(ada, stats, RULES)

    assert strength.not_measured == ["industry_keywords"]
    measured = 100 - WEIGHTS["industry_keywords"]
    assert strength.score == round(100 * (measured - WEIGHTS["skills"]) / measured)
    [missing] = strength.missing
    assert missing.points == 100 - strength.score


def test_without_an_industry_the_industry_keywords_are_missing_and_say_to_add_one():
    ada = complete(industry="")
    strength = assess(ada, None, RULES)

    missing = {m.item: m for m in strength.missing}
    assert set(missing) == {"industry", "industry_keywords"}
    assert "industry first" in missing["industry_keywords"].suggestion
    assert strength.score == 100 - WEIGHTS["industry"] - WEIGHTS["industry_keywords"]
    assert strength.industry_keywords is None


def test_the_points_of_a_missing_item_are_exactly_what_adding_it_would_add():
    rules = StrengthRules(weights=dict.fromkeys(ITEMS, 3))  # 33 points: rounding matters
    ada = member(headline="x")
    strength = assess(ada, None, rules)

    for missing in strength.missing[:3]:
        assert missing.points in (9, 10)
    with_about = assess(member(headline="x", about="y"), None, rules)
    about = next(m for m in strength.missing if m.item == "about")
    assert with_about.score - strength.score == about.points


def test_weights_must_name_every_item_and_not_all_be_zero():
    with pytest.raises(ValueError):
        StrengthRules(weights={"headshot": 10})
    with pytest.raises(ValueError):
        StrengthRules(weights=dict.fromkeys(ITEMS, 0))


def test_strength_changes_lists_only_members_whose_score_differs_from_the_recorded_one():
    ada, ben = complete("ada"), complete("ben", keywords=["chess"])
    stats = industry_of(ada, ben, *data_peers())

    changes = strength_changes([(ada, 100), (ben, 100)], stats, RULES)

    assert [(c.member.id, c.strength.score, c.previous_score) for c in changes] == [
        ("ben", 80, 100)  # keywords (3 needed) and industry keywords both missing
    ]


# --- rescoring an industry cheaply ---------------------------------------------------------


def test_the_fast_industry_item_agrees_with_assess_on_random_industries():
    rng = random.Random(3)
    words = [f"kw{i}" for i in range(12)]
    for _ in range(200):
        members = [
            member(f"p{i}", industry="Data", keywords=rng.sample(words, rng.randint(0, 5)))
            for i in range(rng.randint(1, 15))
        ]
        stats = IndustryKeywords.of("Data", [m.keywords for m in members])
        rule = stats.item_rule(RULES)
        for m in members:
            strength = assess(m, stats, RULES)
            measured = "industry_keywords" not in strength.not_measured
            met = "industry_keywords" in strength.completed
            assert rule.state(m.keywords) == (measured, met)


def test_adding_and_removing_a_member_undo_each_other():
    stats = IndustryKeywords.of("Data", [["spark", "dbt"], ["spark"], ["sql"]])
    assert stats.adding(["Spark", "rust"]).removing(["spark", "Rust"]) == stats


def test_only_members_whose_industry_item_moves_are_rescored():
    peers = [(f"p{i}", ["spark", "dbt"]) for i in range(3)] + [("odd", ["chess"])]
    after = IndustryKeywords.of("Data", [keywords for _, keywords in peers])
    # a fifth member with the peers' keywords joins: nobody's item changes (the peers' was
    # met and stays met, odd's was missing and stays missing)
    change = ProfileChange("new", None, Standing("Data", ["spark", "dbt"]))
    now = after.adding(["spark", "dbt"])

    assert industry_item_moves(peers, change.before_in(now), now, RULES) == []
    # one of them leaves for another industry: the three left have two peers each, too few
    # to measure, so all three items move (from measured to not measured)
    leaving = ProfileChange("p0", Standing("Data", ["spark", "dbt"]), Standing("Ops", []))
    fewer = after.removing(["spark", "dbt"])
    moved = industry_item_moves(peers[1:], leaving.before_in(fewer), fewer, RULES)
    assert moved == ["p1", "p2", "odd"]
    assert leaving.industries() == ["Data", "Ops"]


def test_a_change_of_neither_industry_nor_keywords_concerns_no_other_member():
    same = ProfileChange("m", Standing("Data", ["Spark"]), Standing(" data ", ["spark"]))
    assert same.industries() == []
    assert ProfileChange("m", None, Standing("", [])).industries() == []
    assert ProfileChange("m", Standing("Data", []), None).industries() == ["Data"]
