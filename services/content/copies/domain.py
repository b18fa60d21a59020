"""What connections' facts say about who sees whom. Pure Python."""

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
class Standing:
    """What another member is to a member, from the service's copies."""

    connected: bool = False
    blocked: bool = False  # either one blocks the other


def relation_changes(event: Event) -> list[tuple[str, str, str, bool]]:
    """What a connections event says about the copy: (member, other, aspect, active). A
    connection is recorded in both directions, follows and blocks in theirs."""
    match event:
        case ConnectionAccepted(requester_id=a, addressee_id=b):
            return [(a, b, CONNECTED, True), (b, a, CONNECTED, True)]
        case ConnectionRemoved(member_id=a, other_id=b):
            return [(a, b, CONNECTED, False), (b, a, CONNECTED, False)]
        case MemberFollowed(member_id=a, other_id=b):
            return [(a, b, FOLLOWS, True)]
        case MemberUnfollowed(member_id=a, other_id=b):
            return [(a, b, FOLLOWS, False)]
        case MemberBlocked(member_id=a, other_id=b):
            return [(a, b, BLOCKS, True)]
        case MemberUnblocked(member_id=a, other_id=b):
            return [(a, b, BLOCKS, False)]
    return []
