"""The aggregator's handlers: events into the projection, and queries out of it.

A query is answered in two steps: every partition computes a partial answer from what it
owns (`partial_*`), and the instance that received the query combines them. With one
partition the partial is computed in-process.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import Envelope, Event
from shared.contracts.insights import (
    MemberQuery,
    OrgInsightsQuery,
    PairQuery,
    RelationshipsQuery,
    TeamInsightsQuery,
)
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid, NotFound

from .domain import TrustWeights, ties_between
from .metrics import FRESHNESS, INTERACTIONS_APPLIED
from .model import HealthModel, PairSums, components
from .partition import Partition
from .projector import project_batch
from .store import Projection, ProjectionTables, generations
from .views import (
    balance_view,
    combine_insights,
    go_offline_nudges,
    insights_partial,
    page_of_relationships,
    pair_view,
    reciprocate_nudges,
    reconnect_nudges,
    weeks_back,
)

# --- generations ------------------------------------------------------------------------


async def generation_state(session: AsyncSession) -> tuple[int, int | None]:
    """(live generation, generation being rebuilt or None)."""
    row = (await session.execute(select(generations).where(generations.c.id == 1))).first()
    return (row.live, row.building) if row else (1, None)


async def ensure_generation_row(session: AsyncSession) -> None:
    if (await session.execute(select(generations.c.id))).first() is None:
        await session.execute(insert(generations).values(id=1, live=1, building=None))


async def set_generations(session: AsyncSession, *, live: int, building: int | None) -> None:
    await session.execute(
        update(generations).where(generations.c.id == 1).values(live=live, building=building)
    )


def rebuild_inbox(generation: int) -> str:
    return f"rebuild-g{generation}"


# --- events -----------------------------------------------------------------------------


def batch_handler(model: HealthModel, partition: Partition):
    """Apply a batch of new events to the live generation (and to the one being rebuilt)."""

    async def on_batch(items: list[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
        live, building = await generation_state(uow.session)
        applied = await project_batch(
            Projection(uow.session, ProjectionTables.of(live), model), items, partition
        )
        # while a rebuild runs, live events also go into the new generation (its own inbox
        # makes the replay of the same event harmless)
        if building is not None:
            fresh = await uow.claim_many(rebuild_inbox(building), [e.id for _, e in items])
            await project_batch(
                Projection(uow.session, ProjectionTables.of(building), model),
                [(event, envelope) for event, envelope in items if envelope.id in fresh],
                partition,
            )
        for interaction in applied:
            INTERACTIONS_APPLIED.labels(interaction.kind, interaction.channel).inc()
        now = time.time()
        for _, envelope in items:
            FRESHNESS.observe(max(0.0, now - envelope.time.timestamp()))

    return on_batch


# --- partial queries (what one partition knows) ------------------------------------------


class PartialQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    member_id: str | None = None
    other_id: str | None = None
    members: list[str] | None = None
    # relationships: `ranking` gives only what ordering needs (member, health, status);
    # `others` restricts the full views to these members (the page being answered)
    ranking: bool = False
    others: list[str] | None = None


class Partials:
    def __init__(self, model: HealthModel, weights: TrustWeights) -> None:
        self.model = model
        self.weights = weights

    async def _projection(self, uow: UnitOfWork) -> Projection:
        live, _ = await generation_state(uow.session)
        return Projection(uow.session, ProjectionTables.of(live), self.model)

    async def relationships(self, q: PartialQuery, uow: UnitOfWork) -> dict:
        """One partition's relationships of a member."""
        p = await self._projection(uow)
        member = q.member_id
        facts = await p.active_facts_of(member)
        sums = {(s.b if s.a == member else s.a): s for s in await p.pairs_of(member)}
        others = ({o for m, o, _ in facts} | {m for m, o, _ in facts} | set(sums)) - {member}
        if q.others is not None:
            others &= set(q.others)
        views = []
        for other in others:
            ties = ties_between(member, other, facts)
            pair = sums.get(other)
            no_interactions = pair is None or pair.count == 0
            if ties.blocked or (no_interactions and ties.trust(self.weights) == 0):
                continue
            pair = pair or PairSums(*sorted((member, other)))
            if q.ranking:
                health = components(pair, ties.trust(self.weights), q.at, self.model).health
                views.append(
                    {"member_id": other, "health": health, "status": self.model.status(health)}
                )
            else:
                views.append(pair_view(member, other, pair, ties, q.at, self.model, self.weights))
        return {"views": views, "watermark": _iso(await p.watermark())}

    async def pair(self, q: PartialQuery, uow: UnitOfWork) -> dict:
        p = await self._projection(uow)
        a, b = q.member_id, q.other_id
        ties = ties_between(a, b, await p.active_facts_between(a, b))
        sums = await p.pair(a, b) or PairSums(*sorted((a, b)))
        view = None
        if not ties.blocked:
            view = pair_view(a, b, sums, ties, q.at, self.model, self.weights)
        return {"view": view, "watermark": _iso(await p.watermark())}

    async def balance(self, q: PartialQuery, uow: UnitOfWork) -> dict:
        p = await self._projection(uow)
        online, offline = await p.member_sums(q.member_id)
        weeks = await p.weeks_of([q.member_id], weeks_back(q.at)[0])
        return {
            "online": online,
            "offline": offline,
            "weeks": {w: list(v) for w, v in weeks.items()},
            "watermark": _iso(await p.watermark()),
        }

    async def insights(self, q: PartialQuery, uow: UnitOfWork) -> dict:
        p = await self._projection(uow)
        members = set(q.members) if q.members is not None else None
        facts = await p.all_active_facts()
        pairs = [(s, ties_between(s.a, s.b, facts)) for s in await p.all_pairs()]
        weeks = await p.weeks_of(q.members, weeks_back(q.at)[0])
        partial = insights_partial(
            pairs, await p.all_member_sums(), weeks, members, q.at, self.model, self.weights
        )
        return partial | {"watermark": _iso(await p.watermark())}


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


# --- public queries (combine the partials) ----------------------------------------------

AskPartitions = Callable[[str, dict, UnitOfWork], Awaitable[list[dict]]]


class Queries:
    def __init__(
        self,
        model: HealthModel,
        weights: TrustWeights,
        *,
        ask: AskPartitions,
        reciprocate: tuple[float, float],
        min_group: int,
        owner_of_pair: Callable[[str, str], int],
    ) -> None:
        self.model = model
        self.weights = weights
        self.ask = ask
        self.reciprocate = reciprocate
        self.min_group = min_group
        self.owner_of_pair = owner_of_pair

    async def _gather(
        self, operation: str, payload: dict, at: datetime | None, uow: UnitOfWork
    ) -> tuple[list[dict], datetime]:
        """Partials at `at` (default now); `at` before the watermark is refused."""
        when = at or datetime.now(UTC)
        partials = await self.ask(operation, payload | {"at": when.isoformat()}, uow)
        marks = [datetime.fromisoformat(p["watermark"]) for p in partials if p["watermark"]]
        watermark = max(marks) if marks else None
        if watermark is not None and when < watermark:
            if at is not None:
                raise Invalid(
                    f"at must be at or after the projection's watermark {watermark.isoformat()}",
                    field="at",
                )
            when = watermark  # clocks disagree by a little: read as of the latest interaction
            partials = await self.ask(operation, payload | {"at": when.isoformat()}, uow)
        return partials, when

    async def _require_member(
        self, member_id: str, uow: UnitOfWork, field: str = "member_id"
    ) -> Projection:
        live, _ = await generation_state(uow.session)
        projection = Projection(uow.session, ProjectionTables.of(live), self.model)
        if await projection.member_status(member_id) != "active":
            raise NotFound(f"no member with id {member_id}", field=field)
        return projection

    async def relationships(self, q: RelationshipsQuery, uow: UnitOfWork) -> dict:
        """A member's relationships, healthiest first, with components and explanations."""
        await self._require_member(q.member_id, uow)
        # rank everything cheaply, then build the full views of the page only
        partials, at = await self._gather(
            "relationships", {"member_id": q.member_id, "ranking": True}, q.at, uow
        )
        ranking = [v for p in partials for v in p["views"]]
        fingerprint = hashlib.sha256(
            f"{q.member_id}|{q.status}|{at.isoformat()}".encode()
        ).hexdigest()[:16]
        page = page_of_relationships(
            ranking, status=q.status, limit=q.limit, cursor=q.cursor, fingerprint=fingerprint
        )
        wanted = [v["member_id"] for v in page["items"]]
        if wanted:
            details = await self.ask(
                "relationships",
                {"member_id": q.member_id, "others": wanted, "at": at.isoformat()},
                uow,
            )
            full = {v["member_id"]: v for p in details for v in p["views"]}
            # a pair blocked or erased between the two reads is left out of the page
            page["items"] = [full[member] for member in wanted if member in full]
        return {"member_id": q.member_id, "at": at.isoformat()} | page

    async def pair(self, q: PairQuery, uow: UnitOfWork) -> dict:
        """The relationship between two members, from the first one's side."""
        if q.member_id == q.other_id:
            raise Invalid("a member has no relationship with themselves", field="other_id")
        await self._require_member(q.member_id, uow)
        await self._require_member(q.other_id, uow, field="other_id")
        owner = self.owner_of_pair(q.member_id, q.other_id)
        partials, at = await self._gather(
            "pair", {"member_id": q.member_id, "other_id": q.other_id, "owner": owner}, q.at, uow
        )
        view = next((p["view"] for p in partials if p.get("view")), None)
        if view is None:
            raise NotFound("these members' relationship is hidden by a block", field="other_id")
        return {"member_id": q.member_id, "at": at.isoformat(), "relationship": view}

    async def _balance(
        self, member_id: str, at: datetime | None, uow: UnitOfWork
    ) -> tuple[dict, datetime]:
        partials, at = await self._gather("balance", {"member_id": member_id}, at, uow)
        online = sum(p["online"] for p in partials)
        offline = sum(p["offline"] for p in partials)
        weeks: dict[str, tuple[float, float]] = {}
        for p in partials:
            for week, (on, off) in p["weeks"].items():
                have = weeks.get(week, (0.0, 0.0))
                weeks[week] = (have[0] + on, have[1] + off)
        return balance_view(online, offline, weeks, at, self.model), at

    async def balance(self, q: MemberQuery, uow: UnitOfWork) -> dict:
        """A member's online and offline networking, decayed, and the last 8 weeks."""
        await self._require_member(q.member_id, uow)
        view, at = await self._balance(q.member_id, q.at, uow)
        return {"member_id": q.member_id, "at": at.isoformat()} | view

    async def nudges(self, q: MemberQuery, uow: UnitOfWork) -> dict:
        """Reconnect, reciprocate and go-offline nudges, each with its reason."""
        projection = await self._require_member(q.member_id, uow)
        partials, at = await self._gather("relationships", {"member_id": q.member_id}, q.at, uow)
        views = [v for p in partials for v in p["views"]]
        balance, _ = await self._balance(q.member_id, at, uow)
        handles = await projection.handles([v["member_id"] for v in views])
        events = await projection.upcoming_in_person(at)
        going = await projection.going([e.id for e in events])
        ratio, minimum = self.reciprocate
        items = [
            *reconnect_nudges(views, handles, at),
            *reciprocate_nudges(views, handles, ratio, minimum),
            *go_offline_nudges(balance, views, events, going),
        ]
        return {"member_id": q.member_id, "at": at.isoformat(), "items": items}

    async def org(self, q: OrgInsightsQuery, uow: UnitOfWork) -> dict:
        """Org-wide aggregates: pairs by status, members by balance, isolated, trend."""
        live, _ = await generation_state(uow.session)
        members = set(
            await Projection(uow.session, ProjectionTables.of(live), self.model).active_members()
        )
        partials, at = await self._gather("insights", {}, q.at, uow)
        return {"scope": "org", "at": at.isoformat()} | combine_insights(
            partials, members, at, self.model
        )

    async def team(self, q: TeamInsightsQuery, uow: UnitOfWork) -> dict:
        """A team's aggregates; only for teams of at least `insights_min_group` members."""
        live, _ = await generation_state(uow.session)
        members = set(
            await Projection(uow.session, ProjectionTables.of(live), self.model).team_members(
                q.team
            )
        )
        if len(members) < self.min_group:
            raise Forbidden(
                f"insights are shown only for teams of {self.min_group} or more members, "
                "so that no one can be singled out",
                field="team",
            )
        partials, at = await self._gather("insights", {"members": sorted(members)}, q.at, uow)
        return {"scope": "team", "team": q.team, "at": at.isoformat()} | combine_insights(
            partials, members, at, self.model
        )


def local_partitions(partials: Partials) -> AskPartitions:
    """With one partition: compute the partial in this process, in this transaction."""
    operations = {
        "relationships": partials.relationships,
        "pair": partials.pair,
        "balance": partials.balance,
        "insights": partials.insights,
    }

    async def ask(operation: str, payload: dict, uow: UnitOfWork) -> list[dict]:
        payload = {k: v for k, v in payload.items() if k != "owner"}
        return [await operations[operation](PartialQuery(**payload), uow)]

    return ask


def remote_partitions(
    call: Callable[[int, str, dict], Awaitable[Any]], count: int
) -> AskPartitions:
    """With N partitions: ask each over NATS (the pair query only its owner)."""

    async def ask(operation: str, payload: dict, uow: UnitOfWork) -> list[dict]:
        owner = payload.pop("owner", None)
        targets = [owner] if owner is not None else range(count)
        return list(await asyncio.gather(*(call(i, operation, payload) for i in targets)))

    return ask


def owner_of(partition_count: int) -> Callable[[str, str], int]:
    def owner(a: str, b: str) -> int:
        for index in range(partition_count):
            if Partition(index, partition_count).owns_pair(a, b):
                return index
        raise AssertionError("every pair has an owner")

    return owner
