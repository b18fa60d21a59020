"""The aggregator's queries, answered straight from the projection by any instance: a query
reads the projection's parts (`Partials`) and builds the answer from them (`Queries`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from shared.contracts.api import aggregator as api
from shared.cursors import BadCursor, Cursors
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid, NotFound

from .domain import Ties, TrustWeights, ties_between, ties_of
from .health import Attention, components
from .model import HealthModel
from .projection import Projection
from .state import Models, live_projection
from .sums import PairSums
from .views import (
    add_sums,
    add_weeks,
    attention_of,
    balance_view,
    combine_insights,
    go_offline_nudges,
    insights_partial,
    pair_view,
    ranked,
    reciprocate_nudges,
    reconnect_nudges,
    weeks_back,
)

# --- reads of the projection --------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    """One of a member's relationships, ranked on its health (its full view not yet built)."""

    member_id: str
    health: float
    status: str
    pair: PairSums
    ties: Ties
    attention: Attention | None


@dataclass
class Standing:
    member: str
    candidates: list[Candidate]
    watermark: datetime | None


class Partials:
    def __init__(self, models: Models, weights: TrustWeights) -> None:
        self.models = models
        self.weights = weights

    async def standing(
        self, member: str, at: datetime, uow: UnitOfWork, *, only: list[str] | None = None
    ) -> Standing:
        """The member's relationships at `at` (or only those with `only`), each with its
        health: what ranking needs, and what the full views of a page are built from."""
        p = await live_projection(uow, self.models)
        model = p.model
        facts = await p.facts.active_of(member)
        if only is None:
            pairs = await p.pairs.of_member(member)
        else:
            pairs = await p.pairs.between(member, only)
        sums = {(s.b if s.a == member else s.a): s for s in pairs}
        others = ({o for m, o, _ in facts} | {m for m, o, _ in facts} | set(sums)) - {member}
        if only is not None:
            others &= set(only)
        totals = await p.attention.of([member, *others]) if model.uses_attention else {}
        ties_with = ties_of(member, facts)
        no_ties = Ties()
        candidates = []
        for other in others:
            ties = ties_with.get(other, no_ties)
            pair = sums.get(other)
            trust = ties.trust(self.weights)
            if ties.blocked or ((pair is None or pair.count == 0) and trust == 0):
                continue
            pair = pair or PairSums(*sorted((member, other)))
            attention = attention_of(pair, totals, at, model)
            health = components(pair, trust, at, model, attention).health
            candidates.append(Candidate(other, health, model.status(health), pair, ties, attention))
        return Standing(member, candidates, await p.watermarks.of([member]))

    async def views(
        self, member: str, chosen: list[Candidate], at: datetime, uow: UnitOfWork
    ) -> list[api.Relationship]:
        """The full views of these relationships (a page), explained by kind."""
        p = await live_projection(uow, self.models)
        await p.pairs.with_kinds([c.pair for c in chosen])
        handles = await p.members.handles(sorted(c.member_id for c in chosen))
        return [
            pair_view(
                member,
                c.member_id,
                c.pair,
                c.ties,
                at,
                p.model,
                self.weights,
                c.attention,
                handles.get(c.member_id),
            )
            for c in chosen
        ]

    async def relationships(
        self, q: api.PartialRelationshipsQuery, uow: UnitOfWork
    ) -> api.PartialRelationships:
        """A member's relationships (a ranking, or the full views of some)."""
        standing = await self.standing(q.member_id, q.at, uow, only=q.others)
        if q.ranking:
            ranking = [
                api.Ranked(member_id=c.member_id, health=c.health, status=c.status)
                for c in standing.candidates
            ]
            return api.PartialRelationships(ranking=ranking, watermark=standing.watermark)
        views = await self.views(q.member_id, standing.candidates, q.at, uow)
        return api.PartialRelationships(views=views, watermark=standing.watermark)

    async def pair(self, q: api.PartialPairQuery, uow: UnitOfWork) -> api.PartialPair:
        p = await live_projection(uow, self.models)
        model = p.model
        a, b = q.member_id, q.other_id
        ties = ties_between(a, b, await p.facts.active_between(a, b))
        sums = await p.pairs.get(a, b) or PairSums(*sorted((a, b)))
        view = None
        if not ties.blocked:
            totals = await p.attention.of([a, b]) if model.uses_attention else {}
            attention = attention_of(sums, totals, q.at, model)
            handle = (await p.members.handles([b])).get(b)
            view = pair_view(a, b, sums, ties, q.at, model, self.weights, attention, handle)
        return api.PartialPair(view=view, watermark=await p.watermarks.of([a]))

    async def balance(self, q: api.PartialBalanceQuery, uow: UnitOfWork) -> api.PartialBalance:
        p = await live_projection(uow, self.models)
        sums = await p.balances.of(q.member_id)
        weeks = await p.weeks.since(weeks_back(q.at)[0], [q.member_id])
        return api.PartialBalance(
            sums=api.ChannelFigures(online=sums.online, offline=sums.offline, as_of=sums.as_of),
            weeks={w: api.WeekSums(online=on, offline=off) for w, (on, off, _) in weeks.items()},
            watermark=await p.watermarks.of([q.member_id]),
        )

    async def insights(self, q: api.PartialInsightsQuery, uow: UnitOfWork) -> api.PartialInsights:
        p = await live_projection(uow, self.models)
        model = p.model
        members = set(q.members) if q.members is not None else None
        facts = await p.facts.all_active()
        pairs = [(s, ties_between(s.a, s.b, facts)) for s in await p.pairs.all()]
        totals = await p.attention.all() if model.uses_attention else {}
        # SQLite reads outside a write see each statement's latest commit: the weeks are read
        # after the balances, so they are never older than the balances that release a team
        balances = await p.balances.all()
        weeks = await p.weeks.since(weeks_back(q.at)[0], q.members)
        return insights_partial(
            pairs,
            totals,
            balances,
            weeks,
            members,
            q.at,
            model,
            self.weights,
            await p.watermarks.overall() if q.members is None else await p.watermarks.of(q.members),
        )


# --- public queries ----------------------------------------------------------------------

T = TypeVar("T")


class Queries:
    def __init__(
        self,
        model: HealthModel,
        weights: TrustWeights,
        *,
        models: Models,
        partials: Partials,
        reciprocate: tuple[float, float],
        min_group: int,
        cursors: Cursors,
    ) -> None:
        self.model = model  # balances and insights: the same numbers in every model
        self.models = models
        self.weights = weights
        self.partials = partials
        self.reciprocate = reciprocate
        self.min_group = min_group
        self.cursors = cursors

    async def _read_at(
        self, read: Callable[[datetime], Awaitable[T]], at: datetime | None
    ) -> tuple[T, datetime]:
        """`read` at `at` (default now); `at` before the watermark of the members the query
        is about (their latest data, which `read`'s answer carries) is refused."""
        when = at or datetime.now(UTC)
        part = await read(when)
        watermark = part.watermark
        if watermark is not None and when < watermark:
            if at is not None:
                raise Invalid(
                    "at must be at or after the latest data of the members concerned "
                    f"({watermark.isoformat()})",
                    field="at",
                )
            when = watermark  # clocks disagree by a little: read as of the latest interaction
            part = await read(when)
        return part, when

    async def _require_member(
        self, member_id: str, uow: UnitOfWork, field: str = "member_id"
    ) -> Projection:
        projection = await live_projection(uow, self.models)
        if await projection.members.status(member_id) != "active":
            raise NotFound(f"no member with id {member_id}", field=field)
        return projection

    async def relationships(self, q: api.RelationshipsQuery, uow: UnitOfWork) -> api.Relationships:
        """A member's relationships, healthiest first, with components and explanations."""
        await self._require_member(q.member_id, uow)
        # rank everything on health alone, then build the full views of the page only
        standing, at = await self._read_at(
            lambda when: self.partials.standing(q.member_id, when, uow), q.at
        )
        chosen = ranked(standing.candidates, q.status)
        # a cursor belongs to one listing: this member, this filter, this time
        scope = (
            "relationships:"
            + hashlib.sha256(f"{q.member_id}|{q.status}|{at.isoformat()}".encode()).hexdigest()[:16]
        )
        offset = self._offset(q.cursor, scope) if q.cursor else 0
        page = chosen[offset : offset + q.limit]
        more = offset + q.limit < len(chosen)
        return api.Relationships(
            member_id=q.member_id,
            at=at,
            items=await self.partials.views(q.member_id, page, at, uow),
            total=len(chosen),
            next_cursor=self.cursors.issue(scope, [offset + q.limit]) if more else None,
        )

    def _offset(self, cursor: str, scope: str) -> int:
        position = self.cursors.read(cursor, scope)
        if len(position) != 1 or type(position[0]) is not int or position[0] < 0:
            raise BadCursor()
        return position[0]

    async def pair(self, q: api.PairQuery, uow: UnitOfWork) -> api.PairRelationship:
        """The relationship between two members, from the first one's side."""
        if q.member_id == q.other_id:
            raise Invalid("a member has no relationship with themselves", field="other_id")
        await self._require_member(q.member_id, uow)
        await self._require_member(q.other_id, uow, field="other_id")
        part, at = await self._read_at(
            lambda when: self.partials.pair(
                api.PartialPairQuery(at=when, member_id=q.member_id, other_id=q.other_id), uow
            ),
            q.at,
        )
        view = part.view
        if view is None:
            raise NotFound("these members' relationship is hidden by a block", field="other_id")
        return api.PairRelationship(member_id=q.member_id, at=at, relationship=view)

    async def _balance(self, member_id: str, at: datetime | None, uow: UnitOfWork) -> api.Balance:
        part, at = await self._read_at(
            lambda when: self.partials.balance(
                api.PartialBalanceQuery(at=when, member_id=member_id), uow
            ),
            at,
        )
        sums = add_sums([part.sums], self.model)
        weeks = add_weeks([part.weeks])
        return balance_view(member_id, sums, weeks, at, self.model)

    async def balance(self, q: api.MemberQuery, uow: UnitOfWork) -> api.Balance:
        """A member's online and offline networking, decayed, and the last 8 weeks."""
        await self._require_member(q.member_id, uow)
        return await self._balance(q.member_id, q.at, uow)

    async def nudges(self, q: api.MemberQuery, uow: UnitOfWork) -> api.Nudges:
        """Reconnect, reciprocate and go-offline nudges, each with its reason."""
        projection = await self._require_member(q.member_id, uow)
        part, at = await self._read_at(
            lambda when: self.partials.relationships(
                api.PartialRelationshipsQuery(at=when, member_id=q.member_id), uow
            ),
            q.at,
        )
        views = part.views
        balance = await self._balance(q.member_id, at, uow)
        handles = await projection.members.handles([v.member_id for v in views])
        events = await projection.gatherings.upcoming_in_person(at)
        going = await projection.gatherings.going([e.id for e in events])
        ratio, minimum = self.reciprocate
        items = [
            *reconnect_nudges(views, handles, at),
            *reciprocate_nudges(views, handles, ratio, minimum),
            *go_offline_nudges(balance, views, events, going),
        ]
        return api.Nudges(member_id=q.member_id, at=at, items=items)

    async def org(self, q: api.OrgInsightsQuery, uow: UnitOfWork) -> api.OrgInsights:
        """Org-wide aggregates: pairs by status, members by balance, isolated, trend."""
        projection = await live_projection(uow, self.models)
        members = set(await projection.members.active())
        part, at = await self._read_at(
            lambda when: self.partials.insights(api.PartialInsightsQuery(at=when), uow), q.at
        )
        figures = combine_insights([part], members, at, self.model, self.min_group)
        return api.OrgInsights(at=at, **dict(figures))

    async def team(self, q: api.TeamInsightsQuery, uow: UnitOfWork) -> api.TeamInsights:
        """A team's aggregates; only for teams with at least `insights.min_group` members,
        that many of them active (idle members would leave one member's figures bare), and
        each week of the trend only when that many were active in it."""
        projection = await live_projection(uow, self.models)
        members = set(await projection.members.of_team(q.team))
        if len(members) < self.min_group:
            raise Forbidden(
                f"insights are shown only for teams of {self.min_group} or more members, "
                "so that no one can be singled out",
                field="team",
            )
        part, at = await self._read_at(
            lambda when: self.partials.insights(
                api.PartialInsightsQuery(at=when, members=sorted(members)), uow
            ),
            q.at,
        )
        figures = combine_insights([part], members, at, self.model, self.min_group)
        active = figures.members - figures.members_by_balance.inactive
        if active < self.min_group:
            raise Forbidden(
                f"insights are shown only for teams with {self.min_group} or more active "
                f"members; {q.team} has fewer, so its figures could single someone out",
                field="team",
            )
        return api.TeamInsights(team=q.team, at=at, **dict(figures))
