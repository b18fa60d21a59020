"""Tables of content's copies: members, relation facts, and each member's audience."""

from __future__ import annotations

from sqlalchemy import Boolean, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.copies import CopiedRow

from ..base import Base


class MemberRow(CopiedRow, Base):
    """Content's copy of members: what mentions and views need. An erased member keeps a
    tombstone (the id), so that late events cannot bring them back."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(30), index=True)
    name: Mapped[str | None] = mapped_column(String(100))


class FactRow(CopiedRow, Base):
    """Who is connected to, follows or blocks whom: one copied register per (member, other,
    aspect). A connection is kept in both directions. An erasure deletes the member's rows
    (the member's own tombstone keeps late facts out)."""

    __tablename__ = "relation_facts"
    __table_args__ = (
        Index("ix_relation_facts_other", "other_id", "aspect"),
        # covers the feed's "whom does V connect to / follow / block" lists (no row reads)
        Index("ix_relation_facts_member_aspect", "member_id", "aspect", "active", "other_id"),
    )

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    aspect: Mapped[str] = mapped_column(String(16), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)


class AudienceRow(Base):
    """A member's audience (connections plus followers), kept for the value score."""

    __tablename__ = "audiences"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    size_log2: Mapped[float] = mapped_column(Double)
