"""The rules of the `Pair` aggregate: requests, connection, follows and blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.connections.domain import (
    ACCEPTED,
    CANCELLED,
    DECLINED,
    PENDING,
    WITHDRAWN,
    Pair,
    Request,
)
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

ALICE, BOB = "alice", "bob"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)


def new_pair() -> Pair:
    return Pair(*Pair.key(ALICE, BOB))


def requested_pair(requester: str = ALICE, request_id: str = "r1") -> Pair:
    pair = new_pair()
    pair.request(requester, request_id, T0)
    return pair


def connected_pair() -> Pair:
    pair = requested_pair(ALICE, "r1")
    pair.accept("r1", BOB, T1)
    pair.closed_requests.clear()
    return pair


# --- the key -------------------------------------------------------------------------------


def test_a_member_cannot_form_a_pair_with_themselves():
    with pytest.raises(Invalid) as error:
        Pair.key(ALICE, ALICE)
    assert error.value.field == "other_id"


def test_the_pair_key_is_ordered_whichever_member_comes_first():
    assert Pair.key(ALICE, BOB) == (ALICE, BOB)
    assert Pair.key(BOB, ALICE) == (ALICE, BOB)


def test_a_new_pair_has_nothing_between_the_members():
    pair = new_pair()
    assert not pair.connected
    assert not pair.blocked
    assert pair.pending is None
    assert not pair.follows(ALICE)
    assert not pair.follows(BOB)


# --- requests ------------------------------------------------------------------------------


def test_a_request_creates_a_pending_request_and_returns_connection_requested():
    pair = new_pair()

    events = pair.request(ALICE, "r1", T0)

    assert events == [ConnectionRequested(request_id="r1", requester_id=ALICE, addressee_id=BOB)]
    assert pair.pending == Request("r1", ALICE, BOB, PENDING, T0)
    assert not pair.connected


def test_a_request_from_the_second_member_addresses_the_first():
    pair = new_pair()

    events = pair.request(BOB, "r1", T0)

    assert events == [ConnectionRequested(request_id="r1", requester_id=BOB, addressee_id=ALICE)]
    assert pair.pending is not None
    assert pair.pending.addressee_id == ALICE


@pytest.mark.parametrize("second_requester", [ALICE, BOB], ids=["same-way", "other-way"])
def test_a_second_pending_request_in_either_direction_is_a_conflict(second_requester):
    pair = requested_pair(ALICE, "r1")

    with pytest.raises(Conflict) as error:
        pair.request(second_requester, "r2", T1)

    assert error.value.field == "addressee_id"
    assert pair.pending is not None
    assert pair.pending.id == "r1"


@pytest.mark.parametrize("requester", [ALICE, BOB])
def test_requesting_when_already_connected_is_a_conflict(requester):
    pair = connected_pair()

    with pytest.raises(Conflict) as error:
        pair.request(requester, "r2", T2)

    assert error.value.field == "addressee_id"
    assert pair.pending is None


def test_accepting_connects_the_members_and_records_the_closed_request_as_accepted():
    pair = requested_pair(ALICE, "r1")

    events = pair.accept("r1", BOB, T1)

    assert events == [ConnectionAccepted(request_id="r1", requester_id=ALICE, addressee_id=BOB)]
    assert pair.connected
    assert pair.connected_since == T1
    assert pair.pending is None
    assert pair.closed_requests == [Request("r1", ALICE, BOB, ACCEPTED, T0, closed_at=T1)]


def test_only_the_addressee_can_accept_a_request():
    pair = requested_pair(ALICE, "r1")

    with pytest.raises(Forbidden) as error:
        pair.accept("r1", ALICE, T1)

    assert error.value.field == "member_id"
    assert not pair.connected
    assert pair.pending is not None
    assert pair.closed_requests == []


def test_declining_closes_the_request_without_connecting():
    pair = requested_pair(ALICE, "r1")

    events = pair.decline("r1", BOB, T1)

    assert events == [ConnectionDeclined(request_id="r1", requester_id=ALICE, addressee_id=BOB)]
    assert not pair.connected
    assert pair.pending is None
    assert pair.closed_requests == [Request("r1", ALICE, BOB, DECLINED, T0, closed_at=T1)]


def test_only_the_addressee_can_decline_a_request():
    pair = requested_pair(ALICE, "r1")

    with pytest.raises(Forbidden) as error:
        pair.decline("r1", ALICE, T1)

    assert error.value.field == "member_id"
    assert pair.pending is not None
    assert pair.closed_requests == []


def test_withdrawing_closes_the_request_without_connecting():
    pair = requested_pair(ALICE, "r1")

    events = pair.withdraw("r1", ALICE, T1)

    assert events == [ConnectionWithdrawn(request_id="r1", requester_id=ALICE, addressee_id=BOB)]
    assert not pair.connected
    assert pair.pending is None
    assert pair.closed_requests == [Request("r1", ALICE, BOB, WITHDRAWN, T0, closed_at=T1)]


def test_only_the_requester_can_withdraw_a_request():
    pair = requested_pair(ALICE, "r1")

    with pytest.raises(Forbidden) as error:
        pair.withdraw("r1", BOB, T1)

    assert error.value.field == "member_id"
    assert pair.pending is not None
    assert pair.closed_requests == []


@pytest.mark.parametrize(
    ("decide", "member"),
    [("accept", BOB), ("decline", BOB), ("withdraw", ALICE)],
)
def test_deciding_on_a_request_id_that_is_not_the_pending_one_is_a_conflict(decide, member):
    pair = requested_pair(ALICE, "r1")

    with pytest.raises(Conflict) as error:
        getattr(pair, decide)("r-other", member, T1)

    assert error.value.field == "request_id"
    assert pair.pending is not None
    assert pair.pending.id == "r1"
    assert not pair.connected


@pytest.mark.parametrize("decide", ["accept", "decline", "withdraw"])
def test_deciding_when_no_request_is_pending_is_a_conflict(decide):
    pair = new_pair()

    with pytest.raises(Conflict) as error:
        getattr(pair, decide)("r1", BOB, T1)

    assert error.value.field == "request_id"


def test_a_decided_request_cannot_be_decided_again():
    pair = requested_pair(ALICE, "r1")
    pair.decline("r1", BOB, T1)

    with pytest.raises(Conflict):
        pair.accept("r1", BOB, T2)


def test_after_a_decline_either_member_may_request_again():
    pair = requested_pair(ALICE, "r1")
    pair.decline("r1", BOB, T1)

    events = pair.request(BOB, "r2", T2)

    assert events == [ConnectionRequested(request_id="r2", requester_id=BOB, addressee_id=ALICE)]


# --- connection ----------------------------------------------------------------------------


def test_disconnecting_removes_the_connection():
    pair = connected_pair()

    events = pair.disconnect(BOB)

    assert events == [ConnectionRemoved(member_id=BOB, other_id=ALICE, reason="removed")]
    assert not pair.connected
    assert pair.connected_since is None


def test_disconnecting_when_not_connected_is_not_found():
    pair = new_pair()

    with pytest.raises(NotFound) as error:
        pair.disconnect(ALICE)

    assert error.value.field == "other_id"


def test_disconnecting_twice_is_not_found_the_second_time():
    pair = connected_pair()
    pair.disconnect(ALICE)

    with pytest.raises(NotFound):
        pair.disconnect(ALICE)


# --- follows -------------------------------------------------------------------------------


def test_following_records_the_follow_and_returns_member_followed():
    pair = new_pair()

    events = pair.follow(ALICE, T0)

    assert events == [MemberFollowed(member_id=ALICE, other_id=BOB)]
    assert pair.follows(ALICE)
    assert not pair.follows(BOB)
    assert pair.following_since == {ALICE: T0}


def test_following_does_not_need_a_connection():
    pair = new_pair()
    pair.follow(BOB, T0)
    assert pair.follows(BOB)
    assert not pair.connected


def test_following_is_idempotent_and_the_second_follow_returns_no_events():
    pair = new_pair()
    pair.follow(ALICE, T0)

    events = pair.follow(ALICE, T1)

    assert events == []
    assert pair.following_since == {ALICE: T0}


def test_unfollowing_removes_the_follow():
    pair = new_pair()
    pair.follow(ALICE, T0)
    pair.follow(BOB, T0)

    events = pair.unfollow(ALICE)

    assert events == [MemberUnfollowed(member_id=ALICE, other_id=BOB, reason="unfollowed")]
    assert not pair.follows(ALICE)
    assert pair.follows(BOB)


def test_unfollowing_when_not_following_is_not_found():
    pair = new_pair()
    pair.follow(BOB, T0)

    with pytest.raises(NotFound) as error:
        pair.unfollow(ALICE)

    assert error.value.field == "other_id"
    assert pair.follows(BOB)


# --- blocks --------------------------------------------------------------------------------


def test_a_block_cancels_the_pending_request_and_removes_the_connection_and_both_follows():
    # A pending request alongside a connection cannot be reached through the public methods,
    # so the loaded state is built directly: it exercises every branch of `block` at once.
    pair = new_pair()
    pair.connected_since = T0
    pair.follow(ALICE, T0)
    pair.follow(BOB, T0)
    pair.pending = Request("r1", BOB, ALICE, PENDING, T0)

    events = pair.block(BOB, T1)

    assert events == [
        ConnectionRequestCancelled(
            request_id="r1", requester_id=BOB, addressee_id=ALICE, reason="blocked"
        ),
        ConnectionRemoved(member_id=BOB, other_id=ALICE, reason="blocked"),
        MemberUnfollowed(member_id=ALICE, other_id=BOB, reason="blocked"),
        MemberUnfollowed(member_id=BOB, other_id=ALICE, reason="blocked"),
        MemberBlocked(member_id=BOB, other_id=ALICE),
    ]
    assert pair.blocked
    assert pair.blocking_since == {BOB: T1}
    assert not pair.connected
    assert pair.following_since == {}
    assert pair.pending is None
    assert pair.closed_requests == [Request("r1", BOB, ALICE, CANCELLED, T0, closed_at=T1)]


def test_a_block_cancels_a_pending_request_and_both_follows():
    pair = requested_pair(ALICE, "r1")
    pair.follow(ALICE, T0)
    pair.follow(BOB, T0)

    events = pair.block(ALICE, T1)

    assert events == [
        ConnectionRequestCancelled(
            request_id="r1", requester_id=ALICE, addressee_id=BOB, reason="blocked"
        ),
        MemberUnfollowed(member_id=ALICE, other_id=BOB, reason="blocked"),
        MemberUnfollowed(member_id=BOB, other_id=ALICE, reason="blocked"),
        MemberBlocked(member_id=ALICE, other_id=BOB),
    ]
    assert pair.pending is None
    assert [r.status for r in pair.closed_requests] == [CANCELLED]


def test_a_block_removes_the_connection_and_the_follow():
    pair = connected_pair()
    pair.follow(ALICE, T1)

    events = pair.block(ALICE, T2)

    assert events == [
        ConnectionRemoved(member_id=ALICE, other_id=BOB, reason="blocked"),
        MemberUnfollowed(member_id=ALICE, other_id=BOB, reason="blocked"),
        MemberBlocked(member_id=ALICE, other_id=BOB),
    ]
    assert not pair.connected
    assert pair.following_since == {}


def test_a_block_between_strangers_only_emits_member_blocked():
    pair = new_pair()

    events = pair.block(BOB, T0)

    assert events == [MemberBlocked(member_id=BOB, other_id=ALICE)]
    assert pair.closed_requests == []


def test_blocking_twice_is_idempotent():
    pair = new_pair()
    pair.block(ALICE, T0)

    events = pair.block(ALICE, T1)

    assert events == []
    assert pair.blocking_since == {ALICE: T0}


@pytest.mark.parametrize("blocker", [ALICE, BOB])
@pytest.mark.parametrize("member", [ALICE, BOB])
def test_after_a_block_neither_member_can_request(blocker, member):
    pair = new_pair()
    pair.block(blocker, T0)

    with pytest.raises(Forbidden) as error:
        pair.request(member, "r1", T1)

    assert error.value.field == "addressee_id"
    assert pair.pending is None


@pytest.mark.parametrize("blocker", [ALICE, BOB])
@pytest.mark.parametrize("member", [ALICE, BOB])
def test_after_a_block_neither_member_can_follow(blocker, member):
    pair = new_pair()
    pair.block(blocker, T0)

    with pytest.raises(Forbidden) as error:
        pair.follow(member, T1)

    assert error.value.field == "other_id"
    assert pair.following_since == {}


@pytest.mark.parametrize("blocker", [ALICE, BOB])
def test_after_a_block_the_addressee_cannot_accept_a_request_still_pending(blocker):
    # `block` always cancels the pending request; a pending request next to a block can only
    # come from stored state, and accepting it must still be refused.
    pair = new_pair()
    pair.blocking_since[blocker] = T0
    pair.pending = Request("r1", ALICE, BOB, PENDING, T0)

    with pytest.raises(Forbidden) as error:
        pair.accept("r1", BOB, T1)

    assert error.value.field == "other_id"
    assert not pair.connected
    assert pair.pending is not None


@pytest.mark.parametrize("blocker", [ALICE, BOB])
def test_after_a_block_the_requester_cannot_accept_a_request_still_pending(blocker):
    pair = new_pair()
    pair.blocking_since[blocker] = T0
    pair.pending = Request("r1", ALICE, BOB, PENDING, T0)

    with pytest.raises(Forbidden):
        pair.accept("r1", ALICE, T1)

    assert not pair.connected


@pytest.mark.parametrize("blocker", [ALICE, BOB])
@pytest.mark.parametrize("member", [ALICE, BOB])
def test_after_a_block_the_cancelled_request_cannot_be_accepted(blocker, member):
    pair = requested_pair(ALICE, "r1")
    pair.block(blocker, T1)

    with pytest.raises(Conflict) as error:
        pair.accept("r1", member, T2)

    assert error.value.field == "request_id"

    assert not pair.connected


def test_unblocking_by_the_blocker_lifts_the_block():
    pair = new_pair()
    pair.block(ALICE, T0)

    events = pair.unblock(ALICE)

    assert events == [MemberUnblocked(member_id=ALICE, other_id=BOB)]
    assert not pair.blocked
    assert pair.follow(BOB, T1) == [MemberFollowed(member_id=BOB, other_id=ALICE)]
    assert pair.request(BOB, "r2", T1) == [
        ConnectionRequested(request_id="r2", requester_id=BOB, addressee_id=ALICE)
    ]


def test_unblocking_does_not_restore_what_the_block_removed():
    pair = connected_pair()
    pair.follow(ALICE, T1)
    pair.block(ALICE, T2)

    pair.unblock(ALICE)

    assert not pair.connected
    assert pair.following_since == {}


def test_when_both_members_blocked_each_other_the_pair_stays_blocked_until_both_unblock():
    pair = new_pair()
    pair.block(ALICE, T0)
    assert pair.block(BOB, T1) == [MemberBlocked(member_id=BOB, other_id=ALICE)]

    assert pair.unblock(ALICE) == [MemberUnblocked(member_id=ALICE, other_id=BOB)]
    assert pair.blocked
    with pytest.raises(Forbidden):
        pair.follow(ALICE, T2)
    with pytest.raises(Forbidden):
        pair.request(ALICE, "r1", T2)

    assert pair.unblock(BOB) == [MemberUnblocked(member_id=BOB, other_id=ALICE)]
    assert not pair.blocked
    assert pair.follow(ALICE, T2) == [MemberFollowed(member_id=ALICE, other_id=BOB)]


def test_unblocking_by_a_member_who_did_not_block_is_not_found():
    pair = new_pair()
    pair.block(ALICE, T0)

    with pytest.raises(NotFound) as error:
        pair.unblock(BOB)

    assert error.value.field == "other_id"
    assert pair.blocking_since == {ALICE: T0}


def test_unblocking_when_nobody_blocked_is_not_found():
    with pytest.raises(NotFound):
        new_pair().unblock(ALICE)
