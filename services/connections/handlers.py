"""Connections' handlers: check members exist, run the pair's rule, save, publish, reply."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from shared.contracts.commands import (
    DecideConnectionRequest,
    MemberRef,
    PairCommand,
    SendConnectionRequest,
)
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberDeleted, MemberProfile
from shared.db import UnitOfWork
from shared.errors import NotFound

from .domain import Pair, Request
from .store import Members, Pairs


async def _require_members(uow: UnitOfWork, **ids: str) -> None:
    members = Members(uow.session)
    for field, member_id in ids.items():
        if await members.active(member_id) is None:
            raise NotFound(f"no member with id {member_id}", field=field)


async def _commit(uow: UnitOfWork, pair: Pair, events: list[Event]) -> None:
    await Pairs(uow.session).save(pair)
    for event in events:
        await uow.publish(event)
    await uow.commit()


def _request_view(request: Request) -> dict:
    return {
        "id": request.id,
        "requester_id": request.requester_id,
        "addressee_id": request.addressee_id,
        "status": request.status,
        "created_at": request.created_at.isoformat(),
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
    }


def _pair_view(pair: Pair, member: str) -> dict:
    other = pair.other(member)
    return {
        "member_id": member,
        "other_id": other,
        "connected": pair.connected,
        "following": pair.follows(member),
        "followed_by": pair.follows(other),
        "blocking": member in pair.blocking_since,
    }


async def send_request(command: SendConnectionRequest, uow: UnitOfWork) -> dict:
    """Ask another member to connect; publishes connection.requested."""
    Pair.key(command.requester_id, command.addressee_id, field="addressee_id")
    await _require_members(
        uow, requester_id=command.requester_id, addressee_id=command.addressee_id
    )
    pair = await Pairs(uow.session).get(command.requester_id, command.addressee_id)
    events = pair.request(command.requester_id, str(uuid.uuid4()), datetime.now(UTC))
    await _commit(uow, pair, events)
    assert pair.pending is not None
    return _request_view(pair.pending)


def _decision(rule: Callable[[Pair], Callable]):
    async def decide(command: DecideConnectionRequest, uow: UnitOfWork) -> dict:
        pairs = Pairs(uow.session)
        request = await pairs.request(command.request_id)
        if request is None:
            raise NotFound(
                f"no connection request with id {command.request_id}", field="request_id"
            )
        await _require_members(uow, member_id=command.member_id)
        pair = await pairs.get(request.requester_id, request.addressee_id)
        events = rule(pair)(command.request_id, command.member_id, datetime.now(UTC))
        await _commit(uow, pair, events)
        return _request_view(pair.closed_requests[-1])

    return decide


accept_request = _decision(lambda pair: pair.accept)
accept_request.__doc__ = "The addressee accepts; publishes connection.accepted."
decline_request = _decision(lambda pair: pair.decline)
decline_request.__doc__ = "The addressee declines; publishes connection.declined."
withdraw_request = _decision(lambda pair: pair.withdraw)
withdraw_request.__doc__ = "The requester withdraws; publishes connection.withdrawn."


def _pair_action(act: Callable[[Pair, str, datetime], list[Event]], doc: str):
    async def handle(command: PairCommand, uow: UnitOfWork) -> dict:
        Pair.key(command.member_id, command.other_id)
        await _require_members(uow, member_id=command.member_id, other_id=command.other_id)
        pair = await Pairs(uow.session).get(command.member_id, command.other_id)
        events = act(pair, command.member_id, datetime.now(UTC))
        await _commit(uow, pair, events)
        return _pair_view(pair, command.member_id)

    handle.__doc__ = doc
    return handle


remove_connection = _pair_action(
    lambda pair, member, _: pair.disconnect(member), "End a connection; connection.removed."
)
follow = _pair_action(lambda pair, member, now: pair.follow(member, now), "Follow a member.")
unfollow = _pair_action(lambda pair, member, _: pair.unfollow(member), "Stop following.")
block = _pair_action(
    lambda pair, member, now: pair.block(member, now),
    "Block a member: ends connection, follows and pending requests between the two.",
)
unblock = _pair_action(lambda pair, member, _: pair.unblock(member), "Lift a block.")


async def list_connections(query: MemberRef, uow: UnitOfWork) -> dict:
    """A member's connections, newest first."""
    await _require_members(uow, member_id=query.member_id)
    connections = await Pairs(uow.session).connections_of(query.member_id)
    known = await Members(uow.session).names([other for other, _ in connections])
    return {
        "member_id": query.member_id,
        "items": [
            {
                "member_id": other,
                "handle": known[other].handle if other in known else None,
                "name": known[other].name if other in known else None,
                "since": since.isoformat(),
            }
            for other, since in connections
        ],
    }


async def list_requests(query: MemberRef, uow: UnitOfWork) -> dict:
    """A member's pending requests, incoming and outgoing."""
    await _require_members(uow, member_id=query.member_id)
    pending = await Pairs(uow.session).pending_requests_of(query.member_id)
    return {
        "member_id": query.member_id,
        "incoming": [_request_view(r) for r in pending if r.addressee_id == query.member_id],
        "outgoing": [_request_view(r) for r in pending if r.requester_id == query.member_id],
    }


# --- events from profiles -------------------------------------------------------------


async def on_member_profile(event: MemberProfile, envelope: Envelope, uow: UnitOfWork) -> None:
    await Members(uow.session).upsert(
        event.member_id, handle=event.handle, name=event.name, as_of=envelope.time
    )


async def on_member_deleted(event: MemberDeleted, envelope: Envelope, uow: UnitOfWork) -> None:
    await Members(uow.session).forget(event.member_id, as_of=envelope.time)
