"""Ranking quality on a synthetic org with planted structure: 600 members in clusters of 20
(dense inside, a few links across), six industries with their own vocabularies, groups and
events as noise; then members whose goals match a few others' skills, and members with many
mutual connections with a few others in another cluster. The planted candidates must rank
first."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.connections.suggestions.index import SuggestionIndex
from services.connections.suggestions.model import GOING, Gathering, Profile
from services.connections.suggestions.rules import FIT, MUTUAL, SuggestionRules
from shared.settings import Settings

RULES = SuggestionRules.from_settings(Settings())
NOW = datetime(2025, 6, 1, tzinfo=UTC)
MEMBERS, CLUSTER = 600, 20
INDUSTRIES = {
    "finance": ["risk", "trading", "compliance", "excel", "valuation", "audit", "treasury"],
    "data": ["sql", "python", "dashboards", "etl", "statistics", "tableau", "warehousing"],
    "design": ["figma", "typography", "branding", "illustration", "prototyping", "ux research"],
    "sales": ["negotiation", "crm", "prospecting", "account management", "forecasting"],
    "people": ["recruiting", "onboarding", "coaching", "payroll", "benefits", "culture"],
    "ops": ["logistics", "procurement", "lean", "scheduling", "vendor management", "safety"],
}
# skills nobody in the noise has: the planted goal matches
PLANTED_SKILLS = ("Stream processing", "Apache Flink", "Event sourcing")


def build_org(seed: int) -> tuple[SuggestionIndex, dict[str, list[str]]]:
    rng = random.Random(seed)
    index = SuggestionIndex()
    industries = list(INDUSTRIES)
    ids = [f"m{i:03d}" for i in range(MEMBERS)]
    for n, member_id in enumerate(ids):
        industry = industries[(n // CLUSTER) % len(industries)]
        vocabulary = INDUSTRIES[industry]
        index.put_profile(
            Profile(
                member_id=member_id,
                handle=member_id,
                name=f"Member {n}",
                headline=f"{industry.title()} specialist",
                skills=tuple(rng.sample(vocabulary, 4)),
                keywords=tuple(rng.sample(vocabulary, 2)),
                goals=(f"get better at {rng.choice(vocabulary)}",),
            )
        )
    # clusters: each member knows 8 of their cluster and 2 members anywhere
    for start in range(0, MEMBERS, CLUSTER):
        cluster = ids[start : start + CLUSTER]
        for member_id in cluster:
            for other in rng.sample(cluster, 8):
                if other != member_id:
                    index.set_connected(member_id, other, True)
            for other in rng.sample(ids, 2):
                if other != member_id:
                    index.set_connected(member_id, other, True)
    # noise: 30 groups of 8-40 members, 20 upcoming events of 10-60 participants
    for g in range(30):
        index.name_group(f"g{g}", f"Group {g}")
        for member_id in rng.sample(ids, rng.randint(8, 40)):
            index.set_group_member(f"g{g}", member_id, True)
    for e in range(20):
        index.describe_gathering(
            f"e{e}", Gathering(f"e{e}", f"Event {e}", NOW + timedelta(days=e + 1))
        )
        for member_id in rng.sample(ids, rng.randint(10, 60)):
            index.set_participation(f"e{e}", member_id, GOING)

    planted: dict[str, list[str]] = {}
    # goal fit: a finance member who wants to move into streaming; three members (in other
    # clusters) have the skills, the seeker's cluster-mates have mutual connections
    seeker = ids[5]
    experts = [ids[250], ids[371], ids[522]]
    index.put_profile(
        Profile(
            member_id=seeker,
            handle=seeker,
            name="Seeker",
            headline="Finance analyst",
            skills=("excel", "valuation"),
            goals=("move into stream processing with Apache Flink",),
        )
    )
    for n, expert in enumerate(experts):
        profile = index.profiles[expert]
        index.put_profile(
            Profile(
                member_id=expert,
                handle=expert,
                name=profile.name,
                headline=profile.headline,
                skills=(*profile.skills[:2], *PLANTED_SKILLS[: 3 - n % 2]),
                keywords=profile.keywords,
            )
        )
    planted[seeker] = experts
    # mutual connections: a newcomer who connected with 6 members of one cluster; three
    # members of that cluster know all 6 (the others know some of them, as clusters do)
    bridge = "newcomer"
    index.put_profile(Profile(member_id=bridge, handle=bridge, name="New", headline="Analyst"))
    far_cluster = ids[100:120]
    friends = far_cluster[:6]
    candidates = far_cluster[10:13]
    for friend in friends:
        index.set_connected(bridge, friend, True)
        for candidate in candidates:
            index.set_connected(candidate, friend, True)
    planted[bridge] = candidates
    return index, planted


def top(index: SuggestionIndex, member_id: str, limit: int, excluded=()) -> list:
    """As the service asks: the member's connections and dismissals excluded."""
    excluded = set(excluded) | index.connections_of(member_id)
    return index.suggest(member_id, excluded=excluded, limit=limit, rules=RULES, now=NOW)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_members_whose_skills_match_a_goal_rank_first(seed: int):
    index, planted = build_org(seed)
    seeker = "m005"

    found = top(index, seeker, 3)

    assert {s.profile.member_id for s in found} == set(planted[seeker])
    for suggestion in found:
        fit = next(r for r in suggestion.reasons if r.signal == FIT)
        assert "match your goal 'move into stream processing with Apache Flink'" in fit.text


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_members_with_many_mutual_connections_rank_first(seed: int):
    index, planted = build_org(seed)
    bridge = "newcomer"

    found = top(index, bridge, 3)

    assert {s.profile.member_id for s in found} == set(planted[bridge])
    for suggestion in found:
        mutual = next(r for r in suggestion.reasons if r.signal == MUTUAL)
        assert mutual.detail["count"] >= 6


def test_a_dismissed_candidate_never_comes_back_however_good_they_become():
    index, planted = build_org(1)
    seeker, best = "m005", planted["m005"][0]
    dismissed = {best}  # what the Dismissals table holds for the seeker

    for round_ in range(3):
        # the dismissed member becomes an ever better match, and connected to the seeker's
        # friends
        profile = index.profiles[best]
        index.put_profile(
            Profile(
                member_id=best,
                handle=best,
                name=profile.name,
                headline="Stream processing with Apache Flink",
                skills=(*profile.skills, f"flink {round_}", "stream processing"),
            )
        )
        for friend in index.connections_of(seeker):
            index.set_connected(best, friend, True)
        found = top(index, seeker, RULES.limit_max, excluded=dismissed)
        assert best not in {s.profile.member_id for s in found}
        assert {s.profile.member_id for s in found[:2]} == set(planted[seeker]) - {best}
