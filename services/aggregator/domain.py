"""Relationship facts and the trust component of the health model. Pure Python.

A fact is a last-writer-wins register per (member, other, aspect), ordered by the event's
time and then its id, so the same events in any order, with any duplicates, give the same
state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.envelope import Event
from shared.contracts.events import (
    ConnectionAccepted,
    ConnectionRemoved,
    MemberBlocked,
    MemberFollowed,
    MemberUnblocked,
    MemberUnfollowed,
)

CONNECTED, FOLLOWS, BLOCKS = "connected", "follows", "blocks"


@dataclass(frozen=True)
class FactChange:
    member_id: str
    other_id: str
    aspect: str
    active: bool


@dataclass(frozen=True)
class Version:
    """Orders writes to one fact: event time, then event id as a tie-break."""

    time: datetime
    event_id: str

    def newer_than(self, other: Version) -> bool:
        return (self.time, self.event_id) > (other.time, other.event_id)


def fact_changes(event: Event) -> list[FactChange]:
    """What a connection event says about the facts of its pair."""
    match event:
        case ConnectionAccepted(requester_id=a, addressee_id=b):
            return [FactChange(a, b, CONNECTED, True), FactChange(b, a, CONNECTED, True)]
        case ConnectionRemoved(member_id=a, other_id=b):
            return [FactChange(a, b, CONNECTED, False), FactChange(b, a, CONNECTED, False)]
        case MemberFollowed(member_id=a, other_id=b):
            return [FactChange(a, b, FOLLOWS, True)]
        case MemberUnfollowed(member_id=a, other_id=b):
            return [FactChange(a, b, FOLLOWS, False)]
        case MemberBlocked(member_id=a, other_id=b):
            return [FactChange(a, b, BLOCKS, True)]
        case MemberUnblocked(member_id=a, other_id=b):
            return [FactChange(a, b, BLOCKS, False)]
    return []


@dataclass(frozen=True)
class TrustWeights:
    connected: float = 1.0
    follow: float = 0.5


@dataclass(frozen=True)
class Relationship:
    """One related member as seen from `member_id`."""

    member_id: str
    other_id: str
    connected: bool
    following: bool
    followed_by: bool
    trust: float

    def view(self) -> dict:
        return {
            "member_id": self.other_id,
            "trust": self.trust,
            "connected": self.connected,
            "following": self.following,
            "followed_by": self.followed_by,
        }


def relationships(
    member_id: str, active: set[tuple[str, str, str]], weights: TrustWeights
) -> list[Relationship]:
    """Related members of `member_id` from the active facts (member, other, aspect) that
    involve them; blocked pairs are invisible. Highest trust first."""
    others = {m if o == member_id else o for m, o, _ in active} - {member_id}
    result = []
    for other in others:
        if (member_id, other, BLOCKS) in active or (other, member_id, BLOCKS) in active:
            continue
        connected = (member_id, other, CONNECTED) in active or (
            other,
            member_id,
            CONNECTED,
        ) in active
        following = (member_id, other, FOLLOWS) in active
        followed_by = (other, member_id, FOLLOWS) in active
        if not (connected or following or followed_by):
            continue
        trust = weights.connected if connected else weights.follow
        result.append(Relationship(member_id, other, connected, following, followed_by, trust))
    return sorted(result, key=lambda r: (-r.trust, r.other_id))
