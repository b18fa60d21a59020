"""Connections' handlers: check members exist, run the pair's rule, save, publish, reply."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from shared.contracts.api.connections import (
    Block,
    Blocks,
    Connection,
    ConnectionRequest,
    Connections,
    DecideConnectionRequest,
    Dismissal,
    DismissSuggestion,
    MemberRef,
    PairCommand,
    PairState,
    PendingRequests,
    SendConnectionRequest,
    Suggestions,
    SuggestionsQuery,
)
from shared.contracts.api.profiles import PersonalFields
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    AttendeeCheckedIn,
    EventCancelled,
    EventCreated,
    EventUpdated,
    GroupCreated,
    GroupMemberJoined,
    GroupMemberLeft,
    MemberDeleted,
    MemberProfile,
    RsvpChanged,
)
from shared.copies import Version
from shared.db import UnitOfWork
from shared.errors import NotFound

from .domain import Pair, Request
from .index_feed import IndexFeed
from .store import (
    PERSONAL_FIELDS,
    Dismissals,
    Gatherings,
    Groups,
    Members,
    Pairs,
    not_to_suggest,
)
from .suggestions.rules import SuggestionRules, check_dismissal


async def _require_members(uow: UnitOfWork, **ids: str) -> None:
    members = Members(uow.session)
    for field, member_id in ids.items():
        if await members.active(member_id) is None:
            raise NotFound(f"no member with id {member_id}", field=field)


async def _commit(uow: UnitOfWork, pair: Pair, events: list[Event], *, field: str) -> None:
    """Save the pair (409 naming `field` if a concurrent change won) and publish its facts."""
    await Pairs(uow.session).save(pair, field=field)
    for event in events:
        await uow.publish(event)
    await uow.commit()


def _request_view(request: Request) -> ConnectionRequest:
    return ConnectionRequest(
        id=request.id,
        requester_id=request.requester_id,
        addressee_id=request.addressee_id,
        status=request.status,
        created_at=request.created_at,
        closed_at=request.closed_at,
    )


def _pair_view(pair: Pair, member: str) -> PairState:
    other = pair.other(member)
    return PairState(
        member_id=member,
        other_id=other,
        connected=pair.connected,
        following=pair.follows(member),
        followed_by=pair.follows(other),
        blocking=member in pair.blocking_since,
    )


async def send_request(command: SendConnectionRequest, uow: UnitOfWork) -> ConnectionRequest:
    """Ask another member to connect; publishes connection.requested."""
    Pair.key(command.requester_id, command.addressee_id, field="addressee_id")
    await _require_members(
        uow, requester_id=command.requester_id, addressee_id=command.addressee_id
    )
    pair = await Pairs(uow.session).get(command.requester_id, command.addressee_id)
    events = pair.request(command.requester_id, str(uuid.uuid4()), datetime.now(UTC))
    await _commit(uow, pair, events, field="addressee_id")
    assert pair.pending is not None
    return _request_view(pair.pending)


def _decision(rule: Callable[[Pair], Callable]):
    async def decide(command: DecideConnectionRequest, uow: UnitOfWork) -> ConnectionRequest:
        pairs = Pairs(uow.session)
        request = await pairs.request(command.request_id)
        if request is None:
            raise NotFound(
                f"no connection request with id {command.request_id}", field="request_id"
            )
        await _require_members(uow, member_id=command.member_id)
        pair = await pairs.get(request.requester_id, request.addressee_id)
        events = rule(pair)(command.request_id, command.member_id, datetime.now(UTC))
        await _commit(uow, pair, events, field="request_id")
        return _request_view(pair.closed_requests[-1])

    return decide


accept_request = _decision(lambda pair: pair.accept)
accept_request.__doc__ = "The addressee accepts; publishes connection.accepted."
decline_request = _decision(lambda pair: pair.decline)
decline_request.__doc__ = "The addressee declines; publishes connection.declined."
withdraw_request = _decision(lambda pair: pair.withdraw)
withdraw_request.__doc__ = "The requester withdraws; publishes connection.withdrawn."


def _pair_action(act: Callable[[Pair, str, datetime], list[Event]], doc: str):
    async def handle(command: PairCommand, uow: UnitOfWork) -> PairState:
        Pair.key(command.member_id, command.other_id)
        await _require_members(uow, member_id=command.member_id, other_id=command.other_id)
        pair = await Pairs(uow.session).get(command.member_id, command.other_id)
        events = act(pair, command.member_id, datetime.now(UTC))
        await _commit(uow, pair, events, field="other_id")
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


async def list_connections(query: MemberRef, uow: UnitOfWork) -> Connections:
    """A member's connections, newest first."""
    await _require_members(uow, member_id=query.member_id)
    connections = await Pairs(uow.session).connections_of(query.member_id)
    known = await Members(uow.session).names([other for other, _ in connections])
    return Connections(
        member_id=query.member_id,
        items=[
            Connection(
                member_id=other,
                handle=known[other].handle if other in known else None,
                name=known[other].name if other in known else None,
                since=since,
            )
            for other, since in connections
        ],
    )


async def list_blocks(query: MemberRef, uow: UnitOfWork) -> Blocks:
    """The members a member blocks, newest first."""
    await _require_members(uow, member_id=query.member_id)
    blocked = await Pairs(uow.session).blocked_by(query.member_id)
    known = await Members(uow.session).names([other for other, _ in blocked])
    return Blocks(
        member_id=query.member_id,
        items=[
            Block(
                member_id=other,
                handle=known[other].handle if other in known else None,
                name=known[other].name if other in known else None,
                since=since,
            )
            for other, since in blocked
        ],
    )


async def list_requests(query: MemberRef, uow: UnitOfWork) -> PendingRequests:
    """A member's pending requests, incoming and outgoing."""
    await _require_members(uow, member_id=query.member_id)
    pending = await Pairs(uow.session).pending_requests_of(query.member_id)
    return PendingRequests(
        member_id=query.member_id,
        incoming=[_request_view(r) for r in pending if r.addressee_id == query.member_id],
        outgoing=[_request_view(r) for r in pending if r.requester_id == query.member_id],
    )


# --- events from profiles -------------------------------------------------------------


async def on_member_profile(
    event: MemberProfile, envelope: Envelope, personal: PersonalFields, uow: UnitOfWork
) -> None:
    """The handle from the fact, the rest of what suggestions read from profiles (the fields
    of PERSONAL_FIELDS, asked for by the batch: shared/messaging/personal_data.py)."""
    profile = personal.model_dump(include=set(PERSONAL_FIELDS)) | {"handle": event.handle}
    await Members(uow.session).upsert(event.member_id, profile, Version.of(envelope))


async def on_member_deleted(event: MemberDeleted, envelope: Envelope, uow: UnitOfWork) -> None:
    uow.after_erasure(event.member_id)
    await Members(uow.session).forget(event.member_id, Version.of(envelope))


# --- events from content: groups --------------------------------------------------------------


async def on_group_created(event: GroupCreated, envelope: Envelope, uow: UnitOfWork) -> None:
    """A new group, with its owner as its first member."""
    version = Version.of(envelope)
    await Groups(uow.session).name(event.group_id, event.name, version)
    if not await Members(uow.session).is_erased(event.owner_id):
        await Groups(uow.session).set_member(
            event.group_id, event.owner_id, joined=True, version=version
        )


async def on_group_member_joined(
    event: GroupMemberJoined, envelope: Envelope, uow: UnitOfWork
) -> None:
    if not await Members(uow.session).is_erased(event.member_id):
        await Groups(uow.session).set_member(
            event.group_id,
            event.member_id,
            joined=True,
            version=Version.of(envelope),
        )


async def on_group_member_left(event: GroupMemberLeft, envelope: Envelope, uow: UnitOfWork) -> None:
    if not await Members(uow.session).is_erased(event.member_id):
        await Groups(uow.session).set_member(
            event.group_id,
            event.member_id,
            joined=False,
            version=Version.of(envelope),
        )


# --- events from the events service: gatherings and participation ------------------------------


async def on_event_details(
    event: EventCreated | EventUpdated, envelope: Envelope, uow: UnitOfWork
) -> None:
    await Gatherings(uow.session).describe(
        event.event_id,
        title=event.title,
        ends_at=event.ends_at,
        version=Version.of(envelope),
    )


async def on_event_cancelled(event: EventCancelled, envelope: Envelope, uow: UnitOfWork) -> None:
    await Gatherings(uow.session).cancel(event.event_id, Version.of(envelope))


async def on_rsvp_changed(event: RsvpChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    if not await Members(uow.session).is_erased(event.member_id):
        await Gatherings(uow.session).answer(
            event.event_id, event.member_id, event.status, Version.of(envelope)
        )


async def on_attendee_checked_in(
    event: AttendeeCheckedIn, envelope: Envelope, uow: UnitOfWork
) -> None:
    if not await Members(uow.session).is_erased(event.member_id):
        await Gatherings(uow.session).check_in(event.event_id, event.member_id)


# --- suggestions ------------------------------------------------------------------------------


class SuggestionQueries:
    """Suggestions of whom to connect with, from the in-memory index kept by `feed`."""

    def __init__(self, feed: IndexFeed, rules: SuggestionRules) -> None:
        self.feed = feed
        self.rules = rules

    async def suggestions(self, query: SuggestionsQuery, uow: UnitOfWork) -> Suggestions:
        """A member's suggestions, best first, each with its reasons in words and numbers."""
        await _require_members(uow, member_id=query.member_id)
        limit = self.rules.limit(query.limit)
        # read here, not from the index: exact whichever replica answers
        excluded = await not_to_suggest(uow.session, query.member_id)
        if query.member_id not in self.feed.index.profiles:  # registered a moment ago
            await self.feed.catch_up()
        if query.member_id not in self.feed.index.profiles:
            return Suggestions(member_id=query.member_id, items=[])
        while True:
            found = self.feed.index.suggest(
                query.member_id,
                excluded=excluded,
                limit=limit,
                rules=self.rules,
                now=datetime.now(UTC),
            )
            # erased a moment ago, and not yet out of the index: never suggested
            erased = await Members(uow.session).erased_among([s.profile.member_id for s in found])
            if not erased:
                break
            excluded |= erased
        return Suggestions.model_validate(
            {"member_id": query.member_id, "items": [s.view() for s in found]}
        )

    async def dismiss_suggestion(self, command: DismissSuggestion, uow: UnitOfWork) -> Dismissal:
        """Never suggest `other_id` to `member_id` again."""
        await _require_members(uow, member_id=command.member_id)
        connected = False
        if command.member_id != command.other_id:
            await _require_members(uow, other_id=command.other_id)
            pair = await Pairs(uow.session).get(command.member_id, command.other_id)
            connected = pair.connected
        check_dismissal(command.member_id, command.other_id, connected=connected)
        dismissed_at = await Dismissals(uow.session).dismiss(
            command.member_id, command.other_id, datetime.now(UTC)
        )
        await uow.commit()
        return Dismissal(
            member_id=command.member_id, other_id=command.other_id, dismissed_at=dismissed_at
        )
