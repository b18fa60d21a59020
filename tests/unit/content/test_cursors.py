"""Pagination cursors: only what the API signed, for the listing it signed it for, is read."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from services.content.paging import parse_position
from shared.cursors import BadCursor, Cursors

CURSORS = Cursors(b"k" * 32)
SCOPE = "feed:ana:recent"
POSITION = ["2026-01-01T00:00:00+00:00", "post-1"]


def test_a_cursor_gives_back_the_position_it_was_issued_for():
    cursor = CURSORS.issue(SCOPE, POSITION)
    assert CURSORS.read(cursor, SCOPE) == POSITION


def test_a_cursor_is_opaque_url_safe_text():
    cursor = CURSORS.issue(SCOPE, POSITION)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


@pytest.mark.parametrize(
    "cursor",
    ["", "abc", "a.b", "a.b.c", "!!!.###", "x" * 2000, "eyJzIjoiZmVlZCJ9.AAAA"],
    ids=["empty", "word", "two-words", "three-parts", "not-base64", "huge", "unsigned"],
)
def test_anything_that_is_not_a_cursor_is_refused_naming_the_cursor(cursor: str):
    with pytest.raises(BadCursor) as refused:
        CURSORS.read(cursor, SCOPE)
    assert refused.value.field == "cursor"
    assert refused.value.status == 400


def test_a_forged_position_with_the_old_signature_is_refused():
    cursor = CURSORS.issue(SCOPE, POSITION)
    _, mac = cursor.split(".")
    forged = json.dumps({"s": SCOPE, "p": ["2030-01-01T00:00:00+00:00", "x"]}).encode()
    with pytest.raises(BadCursor):
        CURSORS.read(base64.urlsafe_b64encode(forged).decode().rstrip("=") + "." + mac, SCOPE)


def test_a_cursor_of_another_listing_is_refused():
    cursor = CURSORS.issue("feed:ben:recent", POSITION)
    with pytest.raises(BadCursor):
        CURSORS.read(cursor, SCOPE)
    with pytest.raises(BadCursor):
        CURSORS.read(CURSORS.issue("feed:ana:value", POSITION), SCOPE)


def test_a_cursor_signed_with_another_key_is_refused():
    with pytest.raises(BadCursor):
        CURSORS.read(Cursors(b"other" * 8).issue(SCOPE, POSITION), SCOPE)


def test_positions_are_read_strictly_by_shape():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_position(POSITION, "ts") == (at, "post-1")
    assert parse_position([1.5, *POSITION], "fts") == (1.5, at, "post-1")
    for wrong, shape in [
        (POSITION, "fts"),
        (["2026-01-01T00:00:00", "post-1"], "ts"),  # naive time
        (["yesterday", "post-1"], "ts"),
        ([True, *POSITION], "fts"),
        ([POSITION[0], 7], "ts"),
    ]:
        with pytest.raises(BadCursor):
            parse_position(wrong, shape)
