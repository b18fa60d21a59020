"""The rules between two members: requests, connection, follows and blocks. Pure Python.

Every rule is about one pair, so the pair is the aggregate: load it, call one method, save
it, publish the events it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.contracts.envelope import Event
from shared.contracts.events import (
    ConnectionAccepted,
    ConnectionDeclined,
    ConnectionRemoved,
    ConnectionRequestCancelled,
    ConnectionRequested,
    ConnectionWithdrawn,
    MemberBlocked,
    MemberFollowed,
    MemberUnblocked,
    MemberUnfollowed,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

PENDING, ACCEPTED, DECLINED, WITHDRAWN, CANCELLED = (
    "pending",
    "accepted",
    "declined",
    "withdrawn",
    "cancelled",
)


@dataclass
class Request:
    id: str
    requester_id: str
    addressee_id: str
    status: str
    created_at: datetime
    closed_at: datetime | None = None

    def close(self, status: str, now: datetime) -> None:
        self.status, self.closed_at = status, now

    def ids(self) -> dict:
        return {
            "request_id": self.id,
            "requester_id": self.requester_id,
            "addressee_id": self.addressee_id,
        }


@dataclass
class Pair:
    """Everything between members `a` and `b` (a < b)."""

    a: str
    b: str
    connected_since: datetime | None = None
    following_since: dict[str, datetime] = field(default_factory=dict)  # follower -> since
    blocking_since: dict[str, datetime] = field(default_factory=dict)  # blocker -> since
    pending: Request | None = None
    closed_requests: list[Request] = field(default_factory=list)  # closed now, to save
    # the stored version this pair was loaded at: saving is conditional on it, so of two
    # concurrent changes of one pair exactly one is saved (the other is a Conflict)
    version: int = 0

    @staticmethod
    def key(one: str, other: str, *, field: str = "other_id") -> tuple[str, str]:
        if one == other:
            raise Invalid("a member cannot do this with themselves", field=field)
        return (one, other) if one < other else (other, one)

    def other(self, member: str) -> str:
        return self.b if member == self.a else self.a

    @property
    def blocked(self) -> bool:
        return bool(self.blocking_since)

    @property
    def connected(self) -> bool:
        return self.connected_since is not None

    def follows(self, follower: str) -> bool:
        return follower in self.following_since

    def _refuse_if_blocked(self, field: str = "other_id") -> None:
        if self.blocked:
            raise Forbidden("one of these members has blocked the other", field=field)

    # --- requests ---------------------------------------------------------------------

    def request(self, requester: str, request_id: str, now: datetime) -> list[Event]:
        self._refuse_if_blocked("addressee_id")
        if self.connected:
            raise Conflict("these members are already connected", field="addressee_id")
        if self.pending is not None:
            raise Conflict(
                "a connection request between these members is already pending",
                field="addressee_id",
            )
        self.pending = Request(request_id, requester, self.other(requester), PENDING, now)
        return [ConnectionRequested(**self.pending.ids())]

    def _pending(self, request_id: str) -> Request:
        if self.pending is None or self.pending.id != request_id:
            raise Conflict("this connection request is no longer pending", field="request_id")
        return self.pending

    def _close_pending(self, status: str, now: datetime) -> Request:
        assert self.pending is not None
        request, self.pending = self.pending, None
        request.close(status, now)
        self.closed_requests.append(request)
        return request

    def accept(self, request_id: str, member: str, now: datetime) -> list[Event]:
        request = self._pending(request_id)
        if member != request.addressee_id:
            raise Forbidden("only the addressee can accept a request", field="member_id")
        self._refuse_if_blocked()
        self._close_pending(ACCEPTED, now)
        self.connected_since = now
        return [ConnectionAccepted(**request.ids())]

    def decline(self, request_id: str, member: str, now: datetime) -> list[Event]:
        request = self._pending(request_id)
        if member != request.addressee_id:
            raise Forbidden("only the addressee can decline a request", field="member_id")
        self._close_pending(DECLINED, now)
        return [ConnectionDeclined(**request.ids())]

    def withdraw(self, request_id: str, member: str, now: datetime) -> list[Event]:
        request = self._pending(request_id)
        if member != request.requester_id:
            raise Forbidden("only the requester can withdraw a request", field="member_id")
        self._close_pending(WITHDRAWN, now)
        return [ConnectionWithdrawn(**request.ids())]

    # --- connection, follows, blocks --------------------------------------------------

    def disconnect(self, member: str) -> list[Event]:
        if not self.connected:
            raise NotFound("these members are not connected", field="other_id")
        self.connected_since = None
        return [ConnectionRemoved(member_id=member, other_id=self.other(member), reason="removed")]

    def follow(self, follower: str, now: datetime) -> list[Event]:
        self._refuse_if_blocked()
        if self.follows(follower):
            return []  # PUT is idempotent
        self.following_since[follower] = now
        return [MemberFollowed(member_id=follower, other_id=self.other(follower))]

    def unfollow(self, follower: str) -> list[Event]:
        if not self.follows(follower):
            raise NotFound("this member does not follow the other", field="other_id")
        del self.following_since[follower]
        return [
            MemberUnfollowed(member_id=follower, other_id=self.other(follower), reason="unfollowed")
        ]

    def block(self, blocker: str, now: datetime) -> list[Event]:
        """Blocking ends any connection, follow and pending request between the two."""
        if blocker in self.blocking_since:
            return []
        other = self.other(blocker)
        events: list[Event] = []
        if self.pending is not None:
            request = self._close_pending(CANCELLED, now)
            events.append(ConnectionRequestCancelled(**request.ids(), reason="blocked"))
        if self.connected:
            self.connected_since = None
            events.append(ConnectionRemoved(member_id=blocker, other_id=other, reason="blocked"))
        for follower in sorted(self.following_since):
            events.append(
                MemberUnfollowed(
                    member_id=follower, other_id=self.other(follower), reason="blocked"
                )
            )
        self.following_since.clear()
        self.blocking_since[blocker] = now
        events.append(MemberBlocked(member_id=blocker, other_id=other))
        return events

    def unblock(self, blocker: str) -> list[Event]:
        if blocker not in self.blocking_since:
            raise NotFound("this member has not blocked the other", field="other_id")
        del self.blocking_since[blocker]
        return [MemberUnblocked(member_id=blocker, other_id=self.other(blocker))]
