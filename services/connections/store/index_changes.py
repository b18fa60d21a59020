"""The change feed of the suggestion index: what changed in the tables the index is built
from, written in the same transaction as the change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer, String, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from .base import Base

MEMBER, PAIR, GROUP, MEMBERSHIP, GATHERING, ATTENDANCE = (
    "member",
    "pair",
    "group",
    "membership",
    "gathering",
    "attendance",
)


class IndexChangeRow(Base):
    """What changed in the tables the suggestion index is built from, written in the same
    transaction as the change: every replica's index reads it to catch up."""

    __tablename__ = "index_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def record_change(session: AsyncSession, kind: str, key: str) -> None:
    # a Core insert: no ORM flush or bulk-persistence machinery for one row
    await session.execute(
        insert(IndexChangeRow.__table__).values(kind=kind, key=key, recorded_at=datetime.now(UTC))
    )
