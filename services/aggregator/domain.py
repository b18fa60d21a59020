"""Relationship facts (connected, follows, blocks) and trust. Pure Python.

A fact is a last-writer-wins register per (member, other, aspect), ordered by the event's
time and then its id, so the same events in any order, with any duplicates, give the same
state.
"""

from __future__ import annotations

from dataclasses import dataclass

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
class Ties:
    """What stands between a member and another, from the member's side."""

    connected: bool = False
    following: bool = False
    followed_by: bool = False
    blocked: bool = False

    def trust(self, weights: TrustWeights) -> float:
        if self.connected:
            return weights.connected
        if self.following or self.followed_by:
            return weights.follow
        return 0.0


def ties_between(member: str, other: str, active: set[tuple[str, str, str]]) -> Ties:
    """The ties of `member` towards `other` from the active facts (member, other, aspect)."""
    return Ties(
        connected=(member, other, CONNECTED) in active or (other, member, CONNECTED) in active,
        following=(member, other, FOLLOWS) in active,
        followed_by=(other, member, FOLLOWS) in active,
        blocked=(member, other, BLOCKS) in active or (other, member, BLOCKS) in active,
    )


def ties_of(member: str, active: set[tuple[str, str, str]]) -> dict[str, Ties]:
    """The ties of `member` towards every other member an active fact links them with, in
    one pass over the facts (`ties_between` for each of them; others have no ties)."""
    found: dict[str, dict[str, bool]] = {}
    for one, other, aspect in active:
        if one == member:
            ties = found.setdefault(other, {})
            ties[{CONNECTED: "connected", FOLLOWS: "following", BLOCKS: "blocked"}[aspect]] = True
        elif other == member:
            ties = found.setdefault(one, {})
            ties[{CONNECTED: "connected", FOLLOWS: "followed_by", BLOCKS: "blocked"}[aspect]] = True
    return {other: Ties(**ties) for other, ties in found.items()}
