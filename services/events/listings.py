"""Paginated listings (events, webhook deliveries): the key signing their cursors and the
positions the cursors hold (shared.cursors: opaque, signed, for one listing and its filters)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from shared.cursors import BadCursor, Cursors, kept_key
from shared.db import KeptValues, UnitOfWork

from .store.state import StateRow


async def load_cursor_key(uow: UnitOfWork, cursors: Cursors, secret: str | None) -> None:
    """The key signing the service's cursors (`shared.cursors.kept_key`)."""
    try:
        cursors.key = await kept_key(KeptValues(uow.session, StateRow.__table__), secret)
        await uow.commit()
    except IntegrityError:  # another replica stored its key at the same moment: use it
        await uow.session.rollback()
        cursors.key = await kept_key(KeptValues(uow.session, StateRow.__table__), secret)


def listing_scope(listing: str, *filters: object) -> str:
    """A cursor's scope: the listing and its filters (times in UTC, so that one instant
    written two ways is one listing), hashed to keep cursors short."""
    canonical = [f.astimezone(UTC).isoformat() if isinstance(f, datetime) else f for f in filters]
    digest = hashlib.sha256(repr(canonical).encode()).hexdigest()[:16]
    return f"{listing}:{digest}"


def read_position(cursors: Cursors, cursor: str | None, scope: str, shape: str) -> tuple | None:
    """The position a cursor holds, checked against its shape (`t` an aware ISO time, `s` a
    string); a cursor of another listing, filter or key is BadCursor (400 naming `cursor`)."""
    if cursor is None:
        return None
    position = cursors.read(cursor, scope)
    if len(position) != len(shape) or not all(isinstance(v, str) for v in position):
        raise BadCursor()
    parsed: list = []
    for value, kind in zip(position, shape, strict=True):
        if kind == "t":
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise BadCursor() from None
            if value.tzinfo is None:
                raise BadCursor()
        parsed.append(value)
    return tuple(parsed)
