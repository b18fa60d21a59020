"""Cursors of the events service's listings: signed for one listing and its filters, holding
a position of the listing's shape; anything else is a 400 naming `cursor`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.events.listings import listing_scope, read_position
from shared.cursors import BadCursor, Cursors

CURSORS = Cursors(b"k" * 32)
AT = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


def test_a_cursor_reads_back_its_position_in_its_own_listing():
    scope = listing_scope("events", AT, None, "online")
    cursor = CURSORS.issue(scope, [AT.isoformat(), "e1"])
    assert read_position(CURSORS, cursor, scope, "ts") == (AT, "e1")
    assert read_position(CURSORS, None, scope, "ts") is None


def test_one_instant_written_with_two_offsets_is_one_listing():
    paris = AT.astimezone(timezone(timedelta(hours=2)))
    assert listing_scope("events", paris, None, None) == listing_scope("events", AT, None, None)


@pytest.mark.parametrize(
    "other",
    [
        listing_scope("events", AT, None, "in_person"),
        listing_scope("events", None, None, "online"),
        listing_scope("deliveries", "failed", None),
    ],
    ids=["another-format", "another-window", "another-listing"],
)
def test_a_cursor_of_another_listing_or_filter_is_refused(other: str):
    cursor = CURSORS.issue(listing_scope("events", AT, None, "online"), [AT.isoformat(), "e1"])
    with pytest.raises(BadCursor) as refused:
        read_position(CURSORS, cursor, other, "ts")
    assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    "position",
    [["e1"], [AT.isoformat(), 7], ["yesterday", "e1"], ["2026-05-04T18:00:00", "e1"]],
    ids=["too-short", "not-a-string", "not-a-time", "no-offset"],
)
def test_a_signed_position_of_the_wrong_shape_is_refused(position: list):
    scope = listing_scope("events", None, None, None)
    with pytest.raises(BadCursor):
        read_position(CURSORS, CURSORS.issue(scope, position), scope, "ts")


def test_a_cursor_signed_with_another_key_is_refused():
    scope = listing_scope("deliveries", "failed", None)
    cursor = Cursors(b"x" * 32).issue(scope, ["d1"])
    with pytest.raises(BadCursor):
        read_position(CURSORS, cursor, scope, "s")
