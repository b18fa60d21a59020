"""The copy of events (gatherings), RSVPs and check-ins, fed by events-service events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version
from shared.db import UTCDateTime

from .base import Base
from .index_changes import ATTENDANCE, GATHERING, record_change


class GatheringRow(CopiedRow, Base):
    """An event of the events service: title and end, for reasons. A cancellation is the
    copy's erasure: cancelled for good, whatever arrives after it."""

    __tablename__ = "gatherings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def cancelled(self) -> bool:
        return self.deleted


class RsvpRow(CopiedRow, Base):
    """A member's answer to an event: a last-writer-wins register per (event, member).
    (`event_id` is the copied fact's id, as in every copied row: the event is a gathering.)"""

    __tablename__ = "rsvps"

    gathering_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    rsvp: Mapped[str] = mapped_column(String(16))


class CheckInRow(Base):
    """A member checked in at an event: once checked in, always checked in."""

    __tablename__ = "check_ins"

    gathering_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Gatherings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.gatherings = Copies(session, GatheringRow)
        self.rsvps = Copies(session, RsvpRow)

    async def describe(
        self, event_id: str, *, title: str, ends_at: datetime, version: Version
    ) -> None:
        fields = {"title": title, "ends_at": ends_at}
        if await self.gatherings.apply(event_id, fields, version):
            await record_change(self.session, GATHERING, event_id)

    async def cancel(self, event_id: str, version: Version) -> None:
        await self.gatherings.erase(event_id, version)
        await record_change(self.session, GATHERING, event_id)

    async def answer(self, event_id: str, member_id: str, rsvp: str, version: Version) -> None:
        if await self.rsvps.apply((event_id, member_id), {"rsvp": rsvp}, version):
            await record_change(self.session, ATTENDANCE, f"{event_id}|{member_id}")

    async def check_in(self, event_id: str, member_id: str) -> None:
        if await self.session.get(CheckInRow, (event_id, member_id)) is None:
            self.session.add(CheckInRow(gathering_id=event_id, member_id=member_id))
            await self.session.flush()
            await record_change(self.session, ATTENDANCE, f"{event_id}|{member_id}")
