"""One pydantic model per event type. Events are facts, named in the past tense.

Events name every member they concern so that consumers never have to look anything up.
`docs/events.md` is checked against this module by a test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .envelope import Envelope, Event

Id = str


# --- profiles ----------------------------------------------------------------------------


class MemberProfile(Event):
    """Fields shared by member.registered and member.updated: the whole current profile."""

    member_id: Id
    handle: str
    name: str
    email: str
    headline: str = ""
    about: str = ""
    headshot_url: str | None = None
    industry: str = ""
    location: str = ""
    team: str = ""
    keywords: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    accomplishments: list[str] = Field(default_factory=list)
    goals: list[str] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)

    def entity(self) -> str:
        return self.member_id


class MemberRegistered(MemberProfile):
    """A member joined; carries their whole profile."""

    type = "member.registered"
    domain = "profiles"


class MemberUpdated(MemberProfile):
    """A member changed their profile; carries the whole profile and the changed fields."""

    type = "member.updated"
    domain = "profiles"

    changed: list[str]


class MemberDeleted(Event):
    """A member was erased: every service removes the member and their personal data."""

    type = "member.deleted"
    domain = "profiles"

    member_id: Id

    def entity(self) -> str:
        return self.member_id


# --- connections -------------------------------------------------------------------------


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


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        MemberRegistered,
        MemberUpdated,
        MemberDeleted,
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
}


class UnknownEventType(ValueError):
    pass


def parse_event(envelope: Envelope) -> Event:
    """The typed payload of an envelope; raises on an unknown type or a bad payload."""
    try:
        model = EVENT_TYPES[envelope.type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {envelope.type!r}") from None
    return model.model_validate(envelope.data)
