"""The aggregator's projection tables: known members and relationship facts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, MetaData, String, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime

from .domain import FactChange, Version


class Base(DeclarativeBase):
    metadata = MetaData()


class MemberRow(Base):
    """Members the aggregator has heard of; a deleted member keeps only a tombstone."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class FactRow(Base):
    __tablename__ = "relation_facts"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    aspect: Mapped[str] = mapped_column(String(16), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(64))


class Projection:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def member_status(self, member_id: str) -> str:
        row = await self.session.get(MemberRow, member_id)
        if row is None:
            return "unknown"
        return "deleted" if row.deleted else "active"

    async def register(self, member_id: str) -> None:
        if await self.session.get(MemberRow, member_id) is None:
            self.session.add(MemberRow(id=member_id, deleted=False))

    async def erase(self, member_id: str) -> None:
        row = await self.session.get(MemberRow, member_id)
        if row is None:
            self.session.add(MemberRow(id=member_id, deleted=True))
        else:
            row.deleted = True
        await self.session.execute(
            delete(FactRow).where(
                or_(FactRow.member_id == member_id, FactRow.other_id == member_id)
            )
        )

    async def apply(self, change: FactChange, version: Version) -> None:
        key = (change.member_id, change.other_id, change.aspect)
        row = await self.session.get(FactRow, key)
        if row is None:
            self.session.add(
                FactRow(
                    member_id=change.member_id,
                    other_id=change.other_id,
                    aspect=change.aspect,
                    active=change.active,
                    as_of=version.time,
                    event_id=version.event_id,
                )
            )
            await self.session.flush()
        elif version.newer_than(Version(row.as_of, row.event_id)):
            row.active, row.as_of, row.event_id = change.active, version.time, version.event_id

    async def active_facts_of(self, member_id: str) -> set[tuple[str, str, str]]:
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.other_id, FactRow.aspect).where(
                FactRow.active.is_(True),
                or_(FactRow.member_id == member_id, FactRow.other_id == member_id),
            )
        )
        return {(r.member_id, r.other_id, r.aspect) for r in rows}
