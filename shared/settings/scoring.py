"""Sections of the settings for the scores: relationship health and balance, content value,
profile strength, connection suggestions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .platform import Section, ServiceSettings


class HealthSettings(Section):
    """The relationship health model (docs/health-model.md)."""

    model: Literal["v1", "v2"] = Field(
        "v2", description="Which health model: v2 (attention share, meetings by duration) or v1."
    )
    half_life_days: float = Field(30.0, description="Half-life H of interactions.")
    weights: dict[str, float] = Field(
        {
            "reaction": 1.0,
            "comment": 2.0,
            "reply": 2.0,
            "share": 2.0,
            "mention": 2.0,
            "direct_message": 3.0,
            "connection_request": 1.0,
            "connection_acceptance": 1.0,
            "co_attendance": 2.0,
        },
        description="Weight of each kind of interaction (JSON object).",
    )
    meeting_base: float | None = Field(
        None, description="A meeting's weight before its minutes (unset: v1 1, v2 0)."
    )
    meeting_minutes_per_point: float | None = Field(
        None, gt=0, description="Minutes of meeting per point of weight (unset: v1 10, v2 5)."
    )
    meeting_cap: float | None = Field(
        None, description="Largest weight of one meeting (unset: v1 13, v2 24)."
    )
    meeting_default_minutes: float = Field(15.0, description="Meeting length if unknown.")
    activity_weights: dict[str, float] = Field(
        {"post": 1.0, "group_message": 1.0, "check_in": 3.0},
        description="Weight of a member's own activity in their balance (JSON object).",
    )
    thresholds: list[float] = Field(
        [70.0, 45.0, 20.0], description="Health at which thriving, steady, fading begin."
    )
    at_risk_gap_factor: float = Field(3.0, description="At risk after this many gaps.")
    attention_floor: float = Field(
        10.0, gt=0, description="v2: attention totals below this count as this much."
    )
    attention_full_share: float = Field(
        0.2, gt=0, description="v2: an attention share c at or above this is full closeness."
    )
    attention_weight: float = Field(
        0.5, ge=0, le=1, description="v2: part of closeness k from attention (the rest: intensity)."
    )


class TrustSettings(Section):
    connected: float = Field(1.0, description="Trust T of a connected pair.")
    follow: float = Field(0.5, description="Trust T when either member follows the other.")


class BalanceSettings(Section):
    bounds: list[float] = Field(
        [0.25, 0.75], description="Offline share below: online-heavy; above: offline-heavy."
    )


class NudgeSettings(Section):
    reciprocate_ratio: float = Field(3.0, description="I_ba >= ratio * I_ab to nudge.")
    reciprocate_minimum: float = Field(3.0, description="...and I_ba at least this.")


class InsightsSettings(Section):
    min_group: int = Field(5, description="Smallest team shown in insights.")


class ContentSettings(ServiceSettings):
    """The content service: its database and port, and how it values posts."""

    port: int = Field(8103, description="Metrics and health port of content.")
    half_life_days: float = Field(
        7.0, gt=0, description="Half-life of engagement in a post's content value, days."
    )
    weight_reaction: float = Field(1.0, ge=0, description="Value of a reaction.")
    weight_comment: float = Field(2.0, ge=0, description="Value of commenting.")
    weight_share: float = Field(3.0, ge=0, description="Value of a share.")
    stats_window_days: float = Field(
        90.0, gt=0, description="Window of a member's content stats, days."
    )
    max_mentions: int = Field(
        50, ge=0, description="Mentions resolved per post, comment or message; more stay text."
    )


class StrengthSettings(Section):
    """Profile strength (services/profiles/strength.py). Weights are points; the score is
    100 * earned / the weight of the items that can be measured, so with every item
    measurable and the default weights (they sum to 100) a weight is the item's points."""

    weight_headshot: int = Field(15, ge=0, description="Points for a headshot.")
    weight_headline: int = Field(10, ge=0, description="Points for a headline.")
    weight_about: int = Field(10, ge=0, description="Points for an about text.")
    weight_industry: int = Field(5, ge=0, description="Points for an industry.")
    weight_location: int = Field(5, ge=0, description="Points for a location.")
    weight_keywords: int = Field(10, ge=0, description="Points for at least min_keywords keywords.")
    weight_skills: int = Field(10, ge=0, description="Points for at least min_skills skills.")
    weight_accomplishments: int = Field(
        10, ge=0, description="Points for at least min_accomplishments."
    )
    weight_goals: int = Field(10, ge=0, description="Points for at least one goal.")
    weight_values: int = Field(5, ge=0, description="Points for at least one value.")
    weight_industry_keywords: int = Field(
        10, ge=0, description="Points for keywords common in the member's industry in the org."
    )
    min_keywords: int = Field(3, ge=1, description="Keywords a profile needs.")
    min_skills: int = Field(5, ge=1, description="Skills a profile needs.")
    min_accomplishments: int = Field(1, ge=1, description="Accomplishments needed.")
    min_goals: int = Field(1, ge=1, description="Goals a profile needs.")
    min_values: int = Field(1, ge=1, description="Values a profile needs.")
    level_intermediate: int = Field(40, description="Lowest intermediate score.")
    level_strong: int = Field(70, description="Lowest strong score.")
    level_all_star: int = Field(90, description="Lowest all-star score.")
    industry_min_peers: int = Field(
        3, ge=1, description="Other members of an industry needed to measure its keywords."
    )
    industry_keyword_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Share of an industry's other members using a keyword "
        "for it to be common there.",
    )
    industry_keyword_min_members: int = Field(
        2, ge=1, description="Fewest other members using a keyword for it to be common."
    )
    industry_keywords_needed: int = Field(
        2, ge=1, description="Common industry keywords a profile needs."
    )
    industry_keywords_shown: int = Field(
        5, ge=1, description="Common industry keywords a suggestion names."
    )


class SuggestionSettings(Section):
    """Connection suggestions (services/connections/suggestions/). Each signal is turned
    into 0-1 by 1 - exp(-raw / scale); the score is 100 * the weighted mean of the four."""

    weight_fit: float = Field(
        0.4, ge=0, description="Weight of the fit between goals/keywords and the candidate."
    )
    weight_mutual: float = Field(
        0.3, ge=0, description="Weight of mutual connections (Adamic-Adar)."
    )
    weight_groups: float = Field(0.15, ge=0, description="Weight of shared groups.")
    weight_events: float = Field(0.15, ge=0, description="Weight of shared events.")
    scale_fit: float = Field(
        4.0, gt=0, description="BM25 fit at which the fit signal reaches 1 - 1/e."
    )
    scale_mutual: float = Field(
        2.0, gt=0, description="Adamic-Adar sum at which the mutual signal reaches 1 - 1/e."
    )
    scale_groups: float = Field(
        0.5, gt=0, description="Shared-group sum at which the group signal reaches 1 - 1/e."
    )
    scale_events: float = Field(
        0.5, gt=0, description="Shared-event sum at which the event signal reaches 1 - 1/e."
    )
    bm25_k1: float = Field(1.2, ge=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    limit_default: int = Field(10, ge=1, description="Suggestions when no limit.")
    limit_max: int = Field(50, ge=1, description="Largest accepted limit.")
    reason_names: int = Field(
        3, ge=1, description="Names a reason lists (mutual connections, groups, events)."
    )
    refresh_interval: float = Field(
        1.0, gt=0, description="Seconds between the index's catch-ups with the change feed."
    )
    change_grace: float = Field(
        10.0, gt=0, description="Seconds a change may take to commit; the feed re-reads them."
    )
    change_retention: float = Field(
        3600.0, gt=0, description="Seconds the change feed keeps its rows."
    )
