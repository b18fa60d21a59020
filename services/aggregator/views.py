"""What the aggregator answers, computed from sums at a time `at`. Pure Python.

Queries are built in two steps: a *partial* view read from the projection, and a *combine*
step that turns it into the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TypeVar

from shared.contracts.api import aggregator as api

from .domain import Ties, TrustWeights
from .health import Attention, Components, at_risk, components, explanation, status_drops_at
from .model import (
    BALANCED,
    FADING,
    INACTIVE,
    OFFLINE_HEAVY,
    ONLINE_HEAVY,
    STATUS_ORDER,
    STEADY,
    THRIVING,
    HealthModel,
)
from .projection import week_of
from .sums import ChannelSums, DecayedSum, PairSums

R = TypeVar("R")
STATUSES = (THRIVING, STEADY, FADING, "dormant")
BALANCE_STATUSES = (ONLINE_HEAVY, BALANCED, OFFLINE_HEAVY, INACTIVE)
TREND_WEEKS = 8


def steady_or_better(status: str) -> bool:
    return STATUS_ORDER.index(status) >= STATUS_ORDER.index(STEADY)


def attention_of(
    sums: PairSums, totals: dict[str, DecayedSum], at: datetime, model: HealthModel
) -> Attention | None:
    """Both members' attention totals at `at` (model v2), from the members' stored totals."""
    if not model.uses_attention:
        return None
    none = DecayedSum()
    return Attention(totals.get(sums.a, none).at(at, model), totals.get(sums.b, none).at(at, model))


def _percent(share: float | None) -> str:
    return "none" if share is None else f"{share:.0%}"


def attention_view(
    member: str, sums: PairSums, c: Components, who: str, model: HealthModel
) -> api.AttentionFigures | None:
    if c.attention is None:
        return None
    mine, theirs = (
        (c.share_of_a, c.share_of_b) if member == sums.a else (c.share_of_b, c.share_of_a)
    )
    return api.AttentionFigures(
        of_member=mine,
        of_other=theirs,
        share=c.attention,
        reason=(
            f"You are {_percent(theirs)} of {who}'s recent interactions, and {who} is "
            f"{_percent(mine)} of yours (decayed with a {model.half_life_days:g}-day half-life)."
        ),
    )


def pair_view(
    member: str,
    other: str,
    sums: PairSums,
    ties: Ties,
    at: datetime,
    model: HealthModel,
    weights: TrustWeights,
    attention: Attention | None = None,
    handle: str | None = None,
) -> api.Relationship:
    """The relationship of `member` with `other` at `at`, from `member`'s side."""
    trust = ties.trust(weights)
    c = components(sums, trust, at, model, attention)
    mine, theirs = (c.i_ab, c.i_ba) if member == sums.a else (c.i_ba, c.i_ab)
    was = None
    if sums.last is not None:
        # the status just after the last interaction, with the attention share of now (the
        # totals as they would have stood then had nothing else happened since)
        factor = sums.factor(at, model)
        then = attention
        if attention is not None and factor > 0:
            then = Attention(attention.a / factor, attention.b / factor)
        was = model.status(components(sums, trust, sums.last, model, then).health)
    return api.Relationship(
        member_id=other,
        health=c.health,
        status=model.status(c.health),
        components=api.HealthComponents(
            intensity=c.intensity,
            reciprocity=c.reciprocity,
            trust=c.trust,
            diversity=c.diversity,
            closeness=c.closeness,
            attention=c.attention,
        ),
        sums=api.PairFigures(
            from_member=mine,
            to_member=theirs,
            online=c.i_online,
            offline=c.i_offline,
            total=c.total,
        ),
        connected=ties.connected,
        following=ties.following,
        followed_by=ties.followed_by,
        interaction_count=sums.count,
        first_interaction=sums.first,
        last_interaction=sums.last,
        status_at_last_interaction=was,
        at_risk=at_risk(sums, at, model),
        status_drops_at=status_drops_at(sums, c, at, model, attention),
        explanation=[api.Contribution(**item) for item in explanation(sums, at, model)],
        attention=attention_view(member, sums, c, handle or other, model),
    )


# --- relationships -----------------------------------------------------------------------


def ranked(ranking: list[R], status: str | None) -> list[R]:
    """Healthiest first (anything with `member_id`, `health` and `status`); `status` filters."""
    chosen = [r for r in ranking if status is None or r.status == status]
    chosen.sort(key=lambda r: (-r.health, r.member_id))
    return chosen


# --- balance -----------------------------------------------------------------------------


def weeks_back(at: datetime, count: int = TREND_WEEKS) -> list[str]:
    """The ISO Mondays of the last `count` weeks, oldest first, the week of `at` last."""
    return [week_of(at - timedelta(weeks=n)) for n in range(count - 1, -1, -1)]


def share(online: float, offline: float) -> float | None:
    total = online + offline
    return offline / total if total > 0 else None


def add_sums(parts: Iterable[api.ChannelFigures], model: HealthModel) -> ChannelSums:
    """A member's sums, added (each as of its own time)."""
    total = ChannelSums()
    for part in parts:
        total.merge(ChannelSums(part.online, part.offline, part.as_of), model)
    return total


def add_weeks(parts: Iterable[dict[str, api.WeekSums]]) -> dict[str, tuple[float, float, int]]:
    """Weekly sums added up: (online, offline, active members)."""
    total: dict[str, list] = {}
    for part in parts:
        for week, figures in part.items():
            acc = total.setdefault(week, [0.0, 0.0, 0])
            acc[0] += figures.online
            acc[1] += figures.offline
            acc[2] += figures.active_members
    return {w: (v[0], v[1], v[2]) for w, v in total.items()}


def trend(weeks: dict[str, tuple], at: datetime) -> list[api.WeekFigures]:
    """A member's own last weeks."""
    figures = []
    for week in weeks_back(at):
        online, offline, *_ = weeks.get(week, (0.0, 0.0))
        figures.append(
            api.WeekFigures(
                week=date.fromisoformat(week),
                online=online,
                offline=offline,
                offline_share=share(online, offline),
            )
        )
    return figures


def group_trend(
    weeks: dict[str, tuple[float, float, int]], at: datetime, minimum: int
) -> list[api.TrendWeek]:
    """A group's last weeks, each released only when at least `minimum` of its members were
    active that week: otherwise the week's figure could be one member's own (the others idle),
    so it is withheld with the reason."""
    figures = []
    for week in weeks_back(at):
        online, offline, active = weeks.get(week, (0.0, 0.0, 0))
        monday = date.fromisoformat(week)
        if active < minimum:
            reason = f"fewer than {minimum} members were active this week"
            figures.append(api.TrendWeek(week=monday, suppressed=reason))
            continue
        figures.append(
            api.TrendWeek(
                week=monday,
                online=online,
                offline=offline,
                offline_share=share(online, offline),
                active_members=active,
            )
        )
    return figures


def balance_view(
    member_id: str,
    sums: ChannelSums,
    weeks: dict[str, tuple[float, float]],
    at: datetime,
    model: HealthModel,
) -> api.Balance:
    online, offline = sums.at(at, model)
    return api.Balance(
        member_id=member_id,
        at=at,
        online=online,
        offline=offline,
        offline_share=sums.offline_share,
        status=model.balance_status(online, offline),
        weeks=trend(weeks, at),
    )


# --- nudges ------------------------------------------------------------------------------


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86_400


def reconnect_nudges(
    views: list[api.Relationship], handles: dict[str, str], at: datetime
) -> list[api.ReconnectNudge]:
    """At-risk pairs that were steady or better at their last interaction."""
    nudges = []
    for v in views:
        was = v.status_at_last_interaction
        if not (v.at_risk and was and steady_or_better(was)):
            continue
        assert v.last_interaction is not None and v.first_interaction is not None
        gap = _days(v.last_interaction - v.first_interaction) / max(1, v.interaction_count - 1)
        since = _days(at - v.last_interaction)
        who = handles.get(v.member_id, v.member_id)
        nudges.append(
            api.ReconnectNudge(
                member_id=v.member_id,
                reason=(
                    f"You and {who} were {was} when you last interacted "
                    f"{since:.0f} days ago; you usually interact every {gap:.1f} "
                    f"days. Health is {v.health:.0f} ({v.status}) now."
                ),
                numbers=api.ReconnectNumbers(
                    days_since_last=since,
                    mean_gap_days=gap,
                    health=v.health,
                    status_at_last_interaction=was,
                ),
            )
        )
    return sorted(nudges, key=lambda n: -n.numbers.days_since_last)


def reciprocate_nudges(
    views: list[api.Relationship], handles: dict[str, str], ratio: float, minimum: float
) -> list[api.ReciprocateNudge]:
    """The other invests and the member does not: I_ba >= ratio I_ab and I_ba >= minimum."""
    nudges = []
    for v in views:
        mine, theirs = v.sums.from_member, v.sums.to_member
        if theirs >= minimum and theirs >= ratio * mine:
            who = handles.get(v.member_id, v.member_id)
            nudges.append(
                api.ReciprocateNudge(
                    member_id=v.member_id,
                    reason=(
                        f"{who} has put {theirs:.1f} into your relationship recently and you "
                        f"{mine:.1f}: a comment, a message or a meeting would return it."
                    ),
                    numbers=api.ReciprocateNumbers(from_member=mine, to_member=theirs),
                )
            )
    return sorted(nudges, key=lambda n: -n.numbers.to_member)


def go_offline_nudges(
    balance: api.Balance,
    views: list[api.Relationship],
    events: list,
    going: dict[str, set[str]],
    limit: int = 5,
) -> list[api.GoOfflineNudge]:
    """For online-heavy members: upcoming in-person events ranked by how many of their
    steady-or-better relationships are going."""
    if balance.status != ONLINE_HEAVY:
        return []
    close = {v.member_id for v in views if steady_or_better(v.status)}
    ranked_events = sorted(
        ((len(close & going.get(e.id, set())), e) for e in events),
        key=lambda item: (-item[0], item[1].starts_at, item[1].id),
    )[:limit]
    share_text = f"{balance.offline_share:.0%}" if balance.offline_share is not None else "none"
    return [
        api.GoOfflineNudge(
            event_id=e.id,
            reason=(
                f"Only {share_text} of your networking is in person. {e.title} on "
                f"{e.starts_at.date().isoformat()}: {count} of your steady or thriving "
                f"relationships {'is' if count == 1 else 'are'} going."
            ),
            numbers=api.GoOfflineNumbers(
                offline_share=balance.offline_share, close_going=count, starts_at=e.starts_at
            ),
        )
        for count, e in ranked_events
    ]


# --- insights ----------------------------------------------------------------------------


def insights_partial(
    pairs: list[tuple[PairSums, Ties]],
    attention: dict[str, DecayedSum],
    member_sums: dict[str, ChannelSums],
    weeks: dict[str, tuple[float, float]],
    members: set[str] | None,
    at: datetime,
    model: HealthModel,
    weights: TrustWeights,
    watermark: datetime | None,
) -> api.PartialInsights:
    """The insights' figures, for all members or for `members` (a team).

    A pair counts for a team when either member is in it."""
    by_status = dict.fromkeys(STATUSES, 0)
    steady_members: set[str] = set()
    for sums, ties in pairs:
        if members is not None and sums.a not in members and sums.b not in members:
            continue
        if ties.blocked:
            continue
        both = attention_of(sums, attention, at, model)
        status = model.status(components(sums, ties.trust(weights), at, model, both).health)
        by_status[status] += 1
        if steady_or_better(status):
            steady_members.update((sums.a, sums.b))
    return api.PartialInsights(
        pairs_by_status=api.PairsByStatus(**by_status),
        member_sums={
            m: api.ChannelFigures(online=s.online, offline=s.offline, as_of=s.as_of)
            for m, s in member_sums.items()
            if members is None or m in members
        },
        steady_members=sorted(steady_members),
        weeks={
            w: api.WeekSums(online=on, offline=off, active_members=active)
            for w, (on, off, active) in weeks.items()
        },
        watermark=watermark,
    )


def combine_insights(
    partials: list[api.PartialInsights],
    members: set[str],
    at: datetime,
    model: HealthModel,
    min_group: int,
) -> api.InsightFigures:
    by_status = dict.fromkeys(STATUSES, 0)
    steady: set[str] = set()
    for part in partials:
        for status, n in part.pairs_by_status.model_dump().items():
            by_status[status] += n
        steady.update(part.steady_members)
    by_balance = dict.fromkeys(BALANCE_STATUSES, 0)
    for member in members:
        sums = add_sums((p.member_sums[member] for p in partials if member in p.member_sums), model)
        by_balance[model.balance_status(*sums.at(at, model))] += 1
    return api.InsightFigures(
        members=len(members),
        pairs_by_status=api.PairsByStatus(**by_status),
        members_by_balance=api.MembersByBalance(**by_balance),
        isolated_members=len(members - steady),
        weekly_trend=group_trend(add_weeks(part.weeks for part in partials), at, min_group),
    )
