"""Additive bulk upserts: a batch's deltas added to the stored sums in SQL.

A batch is folded in memory into one delta per row (a pair, a member, a week), each a
decayed sum as it stands at its own latest contribution. The delta is then added to the
stored row in one `INSERT ... ON CONFLICT ... DO UPDATE` per table: the stored sum and the
delta are both rebased to the later of their two times and added (model.py's rule, in SQL),
the time becomes the later one, counts add, `first` takes the minimum. Adding is commutative
and associative up to rounding, so the batches of any number of instances, in any order,
give the same sums (1e-15 relative), without reading the rows first.

Rebasing needs 2^(-seconds/H) in SQL: `power` (SQLite's math functions, built in since
3.35; PostgreSQL), taken as 0 below 2^-1000 (~1e-301), since PostgreSQL raises on a float
underflow where Python and SQLite give 0. Seconds between two stored times:
`julianday` differences on SQLite (about 0.1 ms of resolution: 1e-10 relative on a decay
factor), `EXTRACT(EPOCH ...)` on PostgreSQL.

Rows are sent sorted by key, so two instances upserting overlapping rows on PostgreSQL lock
them in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Float, Table, and_, case, cast, extract, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

LOWEST_EXPONENT = -1000.0


def seconds_between(earlier, later, dialect: str):
    """later - earlier in seconds, as a float expression."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86_400.0
    return cast(extract("epoch", later - earlier), Float)


def decay(earlier, later, half_life_seconds: float, dialect: str):
    """2^(-(later - earlier)/H), for later >= earlier."""
    exponent = -seconds_between(earlier, later, dialect) / half_life_seconds
    return case((exponent < LOWEST_EXPONENT, 0.0), else_=func.power(2.0, exponent))


def _insert(table: Table, dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def later_of(stored, incoming):
    """The later of two times (a stored one may be NULL: no contribution yet)."""
    return case((or_(stored.is_(None), incoming > stored), incoming), else_=stored)


def earliest(stored, incoming):
    """The earlier of two times, either of which may be NULL."""
    return case(
        (or_(stored.is_(None), and_(incoming.is_not(None), incoming < stored)), incoming),
        else_=stored,
    )


def rebased_sums(
    table: Table,
    excluded,
    sums: Sequence[str],
    anchor: str,
    half_life_seconds: float,
    dialect: str,
    *,
    floor_at_zero: bool = False,
) -> dict:
    """SET clauses adding each delta sum to the stored one, both rebased to the later of
    the two anchors, and the anchor moved to it. `floor_at_zero`: a delta that takes away
    (a hidden or erased pair) never leaves a negative sum through rounding."""
    stored_at, delta_at = table.c[anchor], excluded[anchor]
    moves_on = or_(stored_at.is_(None), delta_at > stored_at)
    stored_factor = decay(stored_at, delta_at, half_life_seconds, dialect)
    delta_factor = decay(delta_at, stored_at, half_life_seconds, dialect)
    values = {}
    for name in sums:
        stored, delta = table.c[name], excluded[name]
        added = case(
            (stored_at.is_(None), delta),  # nothing stored yet (the sums are zero)
            (moves_on, stored * stored_factor + delta),
            else_=stored + delta * delta_factor,
        )
        values[name] = case((added < 0.0, 0.0), else_=added) if floor_at_zero else added
    values[anchor] = later_of(stored_at, delta_at)
    return values


async def upsert(
    session: AsyncSession,
    table: Table,
    rows: Iterable[dict],
    key: Sequence[str],
    set_: Callable[[Table, Any, str], dict],
) -> None:
    """Insert the rows, or add them to the stored ones: `set_(table, excluded, dialect)`
    gives the SET clauses. Rows are sorted by key (a lock order across instances)."""
    ordered = sorted(rows, key=lambda row: tuple(row[k] for k in key))
    if not ordered:
        return
    dialect = session.bind.dialect.name
    statement = _insert(table, dialect)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_=set_(table, statement.excluded, dialect),
    )
    await session.execute(statement, ordered)
