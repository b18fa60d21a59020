"""The projection's tables. Every one exists once per generation (suffix `_g<n>`), so that a
rebuild can replay the streams into a fresh generation while the live one keeps serving, then
switch; `projection_generation` says which one is live, `aggregator_state` keeps the service's
own small values (the cursor key) across generations.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, mapped_column

from shared.copies import CopiedRow
from shared.db import UTCDateTime

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


# Which generation is live: a tiny table outside the generations.
generations = Table(
    "projection_generation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("live", Integer, nullable=False),
    Column("building", Integer, nullable=True),
)

service_state = Table(
    "aggregator_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def _member_copy(suffix: str) -> type[CopiedRow]:
    """The copy of a member (profiles' facts): handle and team, or a tombstone."""
    return type(
        f"MemberCopy{suffix}",
        (CopiedRow, Base),
        {
            "__tablename__": f"members{suffix}",
            "id": mapped_column(String(64), primary_key=True),
            "handle": mapped_column(String(30), nullable=True),
            "team": mapped_column(String(100), nullable=True),
        },
    )


def _fact_copy(suffix: str) -> type[CopiedRow]:
    """The copy of one relation fact (connections' facts): connected, follows or blocks,
    from one member towards another."""
    return type(
        f"FactCopy{suffix}",
        (CopiedRow, Base),
        {
            "__tablename__": f"relation_facts{suffix}",
            "member_id": mapped_column(String(64), primary_key=True),
            "other_id": mapped_column(String(64), primary_key=True, index=True),
            "aspect": mapped_column(String(16), primary_key=True),
            "active": mapped_column(Boolean, nullable=False),
        },
    )


class ProjectionTables:
    """The projection's tables for one generation."""

    _cache: dict[int, ProjectionTables] = {}

    def __init__(self, generation: int) -> None:
        g = f"_g{generation}"
        self.generation = generation
        self.MemberCopy = _member_copy(g)
        self.FactCopy = _fact_copy(g)
        self.members: Table = self.MemberCopy.__table__
        self.facts: Table = self.FactCopy.__table__
        self.pairs = Table(
            f"pairs{g}",
            metadata,
            Column("a", String(64), primary_key=True),
            Column("b", String(64), primary_key=True, index=True),
            # sums as they stood at `last` (see model.py)
            Column("ab", Float, nullable=False, default=0.0),
            Column("ba", Float, nullable=False, default=0.0),
            Column("online", Float, nullable=False, default=0.0),
            Column("offline", Float, nullable=False, default=0.0),
            Column("count", Integer, nullable=False, default=0),
            Column("first", UTCDateTime, nullable=True),
            Column("last", UTCDateTime, nullable=True),
            # legacy: the sums per kind are in pair_kinds (carried over at start)
            Column("by_kind", JSON, nullable=False, default=dict),
            Column("ever_connected", Boolean, nullable=False, default=False),
        )
        self.pair_kinds = Table(
            f"pair_kinds{g}",
            metadata,
            Column("a", String(64), primary_key=True),
            Column("b", String(64), primary_key=True, index=True),
            Column("kind", String(32), primary_key=True),
            # the pair's sum of this kind as it stood at `as_of`, its latest contribution
            Column("sum", Float, nullable=False),
            Column("as_of", UTCDateTime, nullable=False),
        )
        self.member_sums = Table(
            f"member_sums{g}",
            metadata,
            Column("member_id", String(64), primary_key=True),
            # sums as they stood at `as_of`, the member's latest contribution
            Column("online", Float, nullable=False, default=0.0),
            Column("offline", Float, nullable=False, default=0.0),
            Column("as_of", UTCDateTime, nullable=True),
        )
        self.attention = Table(
            f"attention{g}",
            metadata,
            Column("member_id", String(64), primary_key=True),
            # model v2's A_x: the member's interactions over their visible pairs, as it
            # stood at `as_of`, its latest contribution
            Column("total", Float, nullable=False, default=0.0),
            Column("as_of", UTCDateTime, nullable=True),
        )
        self.weeks = Table(
            f"member_weeks{g}",
            metadata,
            Column("member_id", String(64), primary_key=True),
            Column("week", String(10), primary_key=True),  # ISO date of the week's Monday
            Column("online", Float, nullable=False, default=0.0),
            Column("offline", Float, nullable=False, default=0.0),
        )
        self.attendance = Table(
            f"attendance{g}",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("member_id", String(64), primary_key=True, index=True),
            Column("checked_in_at", UTCDateTime, nullable=False),
        )
        self.co_attended = Table(
            f"co_attended{g}",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("a", String(64), primary_key=True),
            Column("b", String(64), primary_key=True),
        )
        self.events = Table(
            f"gatherings{g}",
            metadata,
            Column("id", String(64), primary_key=True),
            Column("title", String(300), nullable=False),
            Column("format", String(16), nullable=False),
            Column("starts_at", UTCDateTime, nullable=False),
            Column("ends_at", UTCDateTime, nullable=False),
            Column("cancelled", Boolean, nullable=False, default=False),
            Column("as_of", UTCDateTime, nullable=False),
        )
        self.rsvps = Table(
            f"rsvps{g}",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("member_id", String(64), primary_key=True, index=True),
            Column("status", String(16), nullable=False),
            Column("as_of", UTCDateTime, nullable=False),
            Column("event_order", String(64), nullable=False),
        )

    @classmethod
    def of(cls, generation: int) -> ProjectionTables:
        if generation not in cls._cache:
            cls._cache[generation] = cls(generation)
        return cls._cache[generation]

    def all(self) -> list[Table]:
        return [
            self.members,
            self.facts,
            self.pairs,
            self.pair_kinds,
            self.member_sums,
            self.attention,
            self.weeks,
            self.attendance,
            self.co_attended,
            self.events,
            self.rsvps,
        ]


def chunks(items: list, size: int = 400):
    """Slices small enough for an IN list on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
