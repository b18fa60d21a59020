"""The connections service's API: connection requests, connections, follows, blocks and
suggestions of whom to connect with.

Every field of a request is a member or request id (at most 64 characters) or a small
integer; the acting member is named in the path or body until authentication names them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from ..fields import MemberId
from ..operations import SELF, Answer, Request, operation, ping_operation

SERVICE = "connections"

RequestStatus = Literal["pending", "accepted", "declined", "withdrawn", "cancelled"]


# --- requests ------------------------------------------------------------------------------


class ConnectionInvite(Request):
    """POST /v1/connection-requests: the caller asks `addressee_id` to connect."""

    addressee_id: MemberId


class SendConnectionRequest(ConnectionInvite):
    requester_id: MemberId  # the caller, from the token


class DecideConnectionRequest(Request):
    """Accept, decline or withdraw: `member_id` is the member acting."""

    request_id: MemberId
    member_id: MemberId


class PairCommand(Request):
    """An action of `member_id` towards `other_id` (remove connection, follow, block...)."""

    member_id: MemberId
    other_id: MemberId


class MemberRef(Request):
    member_id: MemberId


class SuggestionsQuery(Request):
    """A member's suggestions; `limit` is checked by the connections service (1 to
    RAPPORT_SUGGESTION_LIMIT_MAX, default RAPPORT_SUGGESTION_LIMIT_DEFAULT): out of it, 400."""

    member_id: MemberId
    limit: int | None = None


class DismissSuggestion(Request):
    """`member_id` no longer wants `other_id` suggested, for good."""

    member_id: MemberId
    other_id: MemberId


# --- replies -------------------------------------------------------------------------------


class ConnectionRequest(Answer):
    id: str
    requester_id: str
    addressee_id: str
    status: RequestStatus
    created_at: datetime
    closed_at: datetime | None


class PendingRequests(Answer):
    member_id: str
    incoming: list[ConnectionRequest]
    outgoing: list[ConnectionRequest]


class Connection(Answer):
    member_id: str
    handle: str | None
    name: str | None
    since: datetime


class Connections(Answer):
    """A member's connections, newest first."""

    member_id: str
    items: list[Connection]


class Block(Answer):
    member_id: str
    handle: str | None
    name: str | None
    since: datetime


class Blocks(Answer):
    """The members a member blocks, newest first (not those who block them: that stays
    private to the blocker)."""

    member_id: str
    items: list[Block]


class PairState(Answer):
    """What is between `member_id` and `other_id`, seen from `member_id`."""

    member_id: str
    other_id: str
    connected: bool
    following: bool
    followed_by: bool
    blocking: bool


class FitReason(Answer):
    signal: Literal["fit"]
    text: str
    points: float
    goal: str | None
    matched: list[str]


class MutualConnectionsReason(Answer):
    signal: Literal["mutual_connections"]
    text: str
    points: float
    count: int
    names: list[str]


class SharedGroupsReason(Answer):
    signal: Literal["shared_groups"]
    text: str
    points: float
    count: int
    names: list[str]


class SharedEventsReason(Answer):
    signal: Literal["shared_events"]
    text: str
    points: float
    count: int
    names: list[str]


SuggestionReason = Annotated[
    FitReason | MutualConnectionsReason | SharedGroupsReason | SharedEventsReason,
    Field(discriminator="signal"),
]


class Suggestion(Answer):
    member_id: str
    handle: str
    name: str
    headline: str
    score: float
    reasons: list[SuggestionReason]


class Suggestions(Answer):
    member_id: str
    items: list[Suggestion]


class Dismissal(Answer):
    member_id: str
    other_id: str
    dismissed_at: datetime


# --- operations ----------------------------------------------------------------------------

ping = ping_operation(SERVICE)
send_request = operation(
    SERVICE,
    "send_request",
    SendConnectionRequest,
    ConnectionRequest,
    "Ask another member to connect",
    errors=(403, 404, 409, 422),
    idempotent=True,
    access=SELF("requester_id"),
)
# Decisions are conditional on the request still pending: of concurrent ones, one wins and
# the others get 409.
accept_request = operation(
    SERVICE,
    "accept_request",
    DecideConnectionRequest,
    ConnectionRequest,
    "The addressee accepts a request",
    errors=(403, 404, 409),
    access=SELF(),
)
decline_request = operation(
    SERVICE,
    "decline_request",
    DecideConnectionRequest,
    ConnectionRequest,
    "The addressee declines a request",
    errors=(403, 404, 409),
    access=SELF(),
)
withdraw_request = operation(
    SERVICE,
    "withdraw_request",
    DecideConnectionRequest,
    ConnectionRequest,
    "The requester withdraws a request",
    errors=(403, 404, 409),
    access=SELF(),
)
remove_connection = operation(
    SERVICE,
    "remove_connection",
    PairCommand,
    PairState,
    "End a connection",
    errors=(404, 409, 422),
    access=SELF(),
)
follow = operation(
    SERVICE,
    "follow",
    PairCommand,
    PairState,
    "Follow a member",
    errors=(403, 404, 409, 422),
    access=SELF(),
)
unfollow = operation(
    SERVICE,
    "unfollow",
    PairCommand,
    PairState,
    "Stop following a member",
    errors=(404, 409, 422),
    access=SELF(),
)
block = operation(
    SERVICE,
    "block",
    PairCommand,
    PairState,
    "Block a member (ends any connection, follow and pending request)",
    errors=(404, 409, 422),
    access=SELF(),
)
unblock = operation(
    SERVICE,
    "unblock",
    PairCommand,
    PairState,
    "Lift a block (what the block ended stays ended)",
    errors=(404, 409, 422),
    access=SELF(),
)
list_connections = operation(
    SERVICE,
    "list_connections",
    MemberRef,
    Connections,
    "A member's connections",
    errors=(404,),
    access=SELF(),
)
list_requests = operation(
    SERVICE,
    "list_requests",
    MemberRef,
    PendingRequests,
    "A member's pending requests, incoming and outgoing",
    errors=(404,),
    access=SELF(),
)
list_blocks = operation(
    SERVICE,
    "list_blocks",
    MemberRef,
    Blocks,
    "The members a member blocks",
    errors=(404,),
    access=SELF(),
)
suggestions = operation(
    SERVICE,
    "suggestions",
    SuggestionsQuery,
    Suggestions,
    "Whom the member could connect with, best first, each with its reasons",
    errors=(400, 404),
    access=SELF(),
)
dismiss_suggestion = operation(
    SERVICE,
    "dismiss_suggestion",
    DismissSuggestion,
    Dismissal,
    "Never suggest this member again",
    errors=(404, 409),
    access=SELF(),
)
