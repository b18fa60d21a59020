"""Facts published by the connections service (stream CONNECTIONS)."""

from __future__ import annotations

from typing import Literal

from shared.contracts.envelope import Event

Id = str


class _RequestEvent(Event):
    domain = "connections"

    request_id: Id
    requester_id: Id
    addressee_id: Id

    def entity(self) -> str:
        return self.request_id


class ConnectionRequested(_RequestEvent):
    """A member asked another to connect."""

    type = "connection.requested"


class ConnectionAccepted(_RequestEvent):
    """The addressee accepted: the two members are now connected."""

    type = "connection.accepted"


class ConnectionDeclined(_RequestEvent):
    """The addressee declined the request."""

    type = "connection.declined"


class ConnectionWithdrawn(_RequestEvent):
    """The requester withdrew the request."""

    type = "connection.withdrawn"


class ConnectionRequestCancelled(_RequestEvent):
    """A pending request ended because one member blocked the other."""

    type = "connection.request_cancelled"

    reason: Literal["blocked"]


class _PairEvent(Event):
    domain = "connections"

    member_id: Id
    other_id: Id

    def entity(self) -> str:
        return self.member_id


class ConnectionRemoved(_PairEvent):
    """member_id ended the connection with other_id (or blocked them)."""

    type = "connection.removed"

    reason: Literal["removed", "blocked"]


class MemberFollowed(_PairEvent):
    """member_id follows other_id."""

    type = "member.followed"


class MemberUnfollowed(_PairEvent):
    """member_id no longer follows other_id."""

    type = "member.unfollowed"

    reason: Literal["unfollowed", "blocked"]


class MemberBlocked(_PairEvent):
    """member_id blocked other_id: the pair is invisible to both."""

    type = "member.blocked"


class MemberUnblocked(_PairEvent):
    """member_id lifted their block of other_id."""

    type = "member.unblocked"


EVENTS: tuple[type[Event], ...] = (
    ConnectionRequested,
    ConnectionAccepted,
    ConnectionDeclined,
    ConnectionWithdrawn,
    ConnectionRequestCancelled,
    ConnectionRemoved,
    MemberFollowed,
    MemberUnfollowed,
    MemberBlocked,
    MemberUnblocked,
)

__all__ = [cls.__name__ for cls in EVENTS]
