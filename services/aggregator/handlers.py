"""The aggregator's event handlers and queries."""

from __future__ import annotations

from shared.contracts.commands import MemberRef
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberDeleted, MemberRegistered
from shared.db import UnitOfWork
from shared.errors import NotFound

from .domain import TrustWeights, Version, fact_changes, relationships
from .store import Projection


async def on_member_registered(event: MemberRegistered, _: Envelope, uow: UnitOfWork) -> None:
    await Projection(uow.session).register(event.member_id)


async def on_member_deleted(event: MemberDeleted, _: Envelope, uow: UnitOfWork) -> None:
    await Projection(uow.session).erase(event.member_id)


async def on_connection_event(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    projection = Projection(uow.session)
    version = Version(envelope.time, envelope.id)
    for change in fact_changes(event):
        # an erased member stays erased, whatever arrives late
        if "deleted" in {
            await projection.member_status(change.member_id),
            await projection.member_status(change.other_id),
        }:
            return
        await projection.apply(change, version)


def relationships_query(weights: TrustWeights):
    async def member_relationships(query: MemberRef, uow: UnitOfWork) -> dict:
        """A member's related members with the trust of each relationship."""
        projection = Projection(uow.session)
        if await projection.member_status(query.member_id) != "active":
            raise NotFound(f"no member with id {query.member_id}", field="member_id")
        facts = await projection.active_facts_of(query.member_id)
        related = relationships(query.member_id, facts, weights)
        return {"member_id": query.member_id, "items": [r.view() for r in related]}

    return member_relationships
