"""Listings a page at a time: the positions signed in cursors, and keyset conditions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_

from shared.cursors import BadCursor

T = TypeVar("T")


def parse_position(position: list[Any], shape: str) -> tuple:
    """A signed position, checked strictly against its shape: `t` an aware ISO time, `s` a
    string, `f` a number."""
    if len(position) != len(shape):
        raise BadCursor()
    parsed: list[Any] = []
    for value, kind in zip(position, shape, strict=True):
        if kind == "s" and isinstance(value, str):
            parsed.append(value)
        elif kind == "f" and isinstance(value, int | float) and not isinstance(value, bool):
            parsed.append(float(value))
        elif kind == "t" and isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                raise BadCursor() from None
            if at.tzinfo is None:
                raise BadCursor()
            parsed.append(at)
        else:
            raise BadCursor()
    return tuple(parsed)


def before(at_column, id_column, at: datetime, entry_id: str) -> ColumnElement[bool]:
    """Keyset condition for newest-first listings ordered by (time, id) descending."""
    return or_(at_column < at, and_(at_column == at, id_column < entry_id))


def cut(items: list[T], limit: int) -> tuple[list[T], bool]:
    """A page fetched with one item more than `limit`: the page, and whether more follow."""
    return items[:limit], len(items) > limit


def time_position(last: Any) -> list[Any]:
    """The position after the last row of a (created_at, id) listing ([] when empty)."""
    return [last.created_at.isoformat(), last.id] if last is not None else []
