"""Profile strength: a 0-100 score over the items of an engaging profile, the level it
reaches, and each missing item with a concrete suggestion and the points it would add.

"Keywords relevant to your industry" is measured among the member's industry peers
(`industry_keywords.py`).

Pure Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .domain import Member
from .industry_keywords import IndustryKeywords, normalise_keyword

if TYPE_CHECKING:
    from shared.settings import Settings

ITEMS = (
    "headshot",
    "headline",
    "about",
    "industry",
    "location",
    "keywords",
    "skills",
    "accomplishments",
    "goals",
    "values",
    "industry_keywords",
)
STARTER, INTERMEDIATE, STRONG, ALL_STAR = "starter", "intermediate", "strong", "all_star"


@dataclass(frozen=True)
class StrengthRules:
    """The weights and thresholds of the score (defaults and meaning:
    shared/settings/scoring.py)."""

    weights: Mapping[str, int]
    min_keywords: int = 3
    min_skills: int = 5
    min_accomplishments: int = 1
    min_goals: int = 1
    min_values: int = 1
    level_intermediate: int = 40
    level_strong: int = 70
    level_all_star: int = 90
    industry_min_peers: int = 3
    industry_keyword_share: float = 0.2
    industry_keyword_min_members: int = 2
    industry_keywords_needed: int = 2
    industry_keywords_shown: int = 5

    def __post_init__(self) -> None:
        if set(self.weights) != set(ITEMS):
            raise ValueError(f"weights must name exactly {', '.join(ITEMS)}")
        if any(w < 0 for w in self.weights.values()) or not sum(self.weights.values()):
            raise ValueError("weights must be >= 0 and not all 0")

    @classmethod
    def from_settings(cls, settings: Settings) -> StrengthRules:
        return cls(
            weights={item: getattr(settings.strength, f"weight_{item}") for item in ITEMS},
            min_keywords=settings.strength.min_keywords,
            min_skills=settings.strength.min_skills,
            min_accomplishments=settings.strength.min_accomplishments,
            min_goals=settings.strength.min_goals,
            min_values=settings.strength.min_values,
            level_intermediate=settings.strength.level_intermediate,
            level_strong=settings.strength.level_strong,
            level_all_star=settings.strength.level_all_star,
            industry_min_peers=settings.strength.industry_min_peers,
            industry_keyword_share=settings.strength.industry_keyword_share,
            industry_keyword_min_members=settings.strength.industry_keyword_min_members,
            industry_keywords_needed=settings.strength.industry_keywords_needed,
            industry_keywords_shown=settings.strength.industry_keywords_shown,
        )

    def level(self, score: int) -> str:
        if score >= self.level_all_star:
            return ALL_STAR
        if score >= self.level_strong:
            return STRONG
        if score >= self.level_intermediate:
            return INTERMEDIATE
        return STARTER


@dataclass(frozen=True)
class Missing:
    item: str
    suggestion: str
    points: int

    def view(self) -> dict:
        return {"item": self.item, "suggestion": self.suggestion, "points": self.points}


@dataclass(frozen=True)
class Strength:
    score: int
    level: str
    completed: list[str]
    missing: list[Missing]
    not_measured: list[str] = field(default_factory=list)
    industry_keywords: dict | None = None

    def view(self, member_id: str) -> dict:
        return {
            "member_id": member_id,
            "score": self.score,
            "level": self.level,
            "completed": self.completed,
            "missing": [m.view() for m in self.missing],
            "not_measured": self.not_measured,
            "industry_keywords": self.industry_keywords,
        }


def _score(met: set[str], measured: set[str], weights: Mapping[str, int]) -> int:
    total = sum(weights[i] for i in measured)
    if not total:
        return 0
    return round(100 * sum(weights[i] for i in met & measured) / total)


def _more(count: int, needed: int, plural: str, singular: str) -> str:
    """'2 more skills', '3 keywords', 'a goal': what is short of `needed`."""
    missing = needed - count
    noun = plural if missing > 1 else singular
    if count:
        return f"{missing} more {noun}"
    if missing > 1:
        return f"{missing} {noun}"
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def assess(member: Member, industry: IndustryKeywords | None, rules: StrengthRules) -> Strength:
    """The member's profile strength. `industry` holds the keyword use of the member's
    industry (the member included), or None when the member has no industry."""
    common = industry.common_for(member.keywords, rules) if industry and member.industry else []
    own = {normalise_keyword(k) for k in member.keywords}
    matched = [k for k in common if k in own]
    industry_needed = min(rules.industry_keywords_needed, len(common))
    has = {
        "headshot": bool(member.headshot_url),
        "headline": bool(member.headline.strip()),
        "about": bool(member.about.strip()),
        "industry": bool(member.industry.strip()),
        "location": bool(member.location.strip()),
        "keywords": len(member.keywords) >= rules.min_keywords,
        "skills": len(member.skills) >= rules.min_skills,
        "accomplishments": len(member.accomplishments) >= rules.min_accomplishments,
        "goals": len(member.goals) >= rules.min_goals,
        "values": len(member.values) >= rules.min_values,
        "industry_keywords": bool(common) and len(matched) >= industry_needed,
    }
    # without an industry the item is missing (setting one is the way to it); with one whose
    # common keywords cannot be measured, the item is left out of the score
    measured = set(ITEMS) - ({"industry_keywords"} if member.industry and not common else set())
    met = {item for item, ok in has.items() if ok} & measured
    score = _score(met, measured, rules.weights)
    suggestions = _suggestions(member, rules, common, matched, industry_needed)
    missing = [
        Missing(item, suggestions[item], _score(met | {item}, measured, rules.weights) - score)
        for item in ITEMS
        if item in measured and item not in met
    ]
    missing.sort(key=lambda m: (-m.points, ITEMS.index(m.item)))
    return Strength(
        score=score,
        level=rules.level(score),
        completed=[item for item in ITEMS if item in met],
        missing=missing,
        not_measured=[item for item in ITEMS if item not in measured],
        industry_keywords=(
            {
                "industry": member.industry,
                "common": common[: rules.industry_keywords_shown],
                "yours": matched,
            }
            if member.industry
            else None
        ),
    )


def _suggestions(
    member: Member, rules: StrengthRules, common: list[str], matched: list[str], needed: int
) -> dict[str, str]:
    to_add = [k for k in common if k not in matched][: rules.industry_keywords_shown]
    industry_keywords = (
        f"Add {_more(len(matched), needed, 'keywords', 'keyword')} common among "
        f"{member.industry} members here: {', '.join(repr(k) for k in to_add)}."
        if member.industry
        else "Add your industry first: then the keywords common in it here can be measured."
    )
    return {
        "headshot": "Add a professional headshot: a recent, well-lit photo of your face "
        "(an http(s) URL). Members are far more likely to accept someone they can recognise.",
        "headline": "Write a headline saying what you do and for whom, e.g. 'Data engineer "
        "building streaming pipelines for finance'.",
        "about": "Write a few sentences about your work, what you care about and what you "
        "are looking for.",
        "industry": "Add your industry, so that members of it find you and your profile can "
        "be compared with theirs.",
        "location": "Add your location (city or office), so that members nearby can meet you "
        "in person.",
        "keywords": f"Add {_more(len(member.keywords), rules.min_keywords, 'keywords', 'keyword')}"
        f" (at least {rules.min_keywords}) for the topics you work on.",
        "skills": f"Add {_more(len(member.skills), rules.min_skills, 'skills', 'skill')} "
        f"(at least {rules.min_skills}): tools, methods and domains you are good at.",
        "accomplishments": "Add "
        + _more(
            len(member.accomplishments),
            rules.min_accomplishments,
            "accomplishments",
            "accomplishment",
        )
        + ": a result you are proud of, with a number if you can, e.g. 'Cut report "
        "latency from 2 h to 5 min'.",
        "goals": "Add "
        + _more(len(member.goals), rules.min_goals, "goals", "goal")
        + ", personal or professional, e.g. 'move into data engineering': connection "
        "suggestions follow your goals.",
        "values": "Add "
        + _more(len(member.values), rules.min_values, "values", "value")
        + " you work by, e.g. 'mentoring' or 'open source'.",
        "industry_keywords": industry_keywords,
    }


@dataclass(frozen=True)
class StrengthChange:
    member: Member
    strength: Strength
    previous_score: int | None


def strength_changes(
    members: Iterable[tuple[Member, int | None]],
    industry: IndustryKeywords | None,
    rules: StrengthRules,
) -> list[StrengthChange]:
    """The members (with the score last recorded for each) whose score is now different."""
    changes = []
    for member, recorded in members:
        strength = assess(member, industry if member.industry else None, rules)
        if strength.score != recorded:
            changes.append(StrengthChange(member, strength, recorded))
    return changes
