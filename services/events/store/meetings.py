"""In-person meetings and their participants (members, or emails waiting for a match)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..domain import ChangedMeanwhile, Meeting, Participant
from .base import Base


class MeetingRow(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("external_source", "external_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    logged: Mapped[bool] = mapped_column(Boolean, default=False)
    external_source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ParticipantRow(Base):
    __tablename__ = "meeting_participants"

    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)


class Meetings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, meeting_id: str) -> Meeting | None:
        row = await self.session.get(MeetingRow, meeting_id)
        if row is None:
            return None
        participants = await self.session.scalars(
            select(ParticipantRow)
            .where(ParticipantRow.meeting_id == meeting_id)
            .order_by(ParticipantRow.position)
        )
        return Meeting(
            id=row.id,
            participants=[Participant(p.member_id, p.email) for p in participants],
            started_at=row.started_at,
            ended_at=row.ended_at,
            event_id=row.event_id,
            source=row.source,
            logged=row.logged,
            version=row.version,
        )

    async def by_external_ref(self, source: str, external_id: str) -> str | None:
        return await self.session.scalar(
            select(MeetingRow.id).where(
                MeetingRow.external_source == source, MeetingRow.external_id == external_id
            )
        )

    async def add(self, meeting: Meeting, *, external_ref: tuple[str, str] | None = None) -> None:
        source, external_id = external_ref or (None, None)
        self.session.add(
            MeetingRow(
                id=meeting.id,
                started_at=meeting.started_at,
                ended_at=meeting.ended_at,
                event_id=meeting.event_id,
                source=meeting.source,
                logged=meeting.logged,
                external_source=source,
                external_id=external_id,
            )
        )
        await self.session.flush()
        for position, participant in enumerate(meeting.participants):
            self.session.add(
                ParticipantRow(
                    meeting_id=meeting.id,
                    position=position,
                    member_id=participant.member_id,
                    email=participant.email,
                )
            )
        await self.session.flush()

    async def save(self, meeting: Meeting) -> None:
        """Write the matched participants, only if nobody changed the meeting since it was
        loaded (compare-and-set: two participants registering at once must not both leave it
        waiting for the other, nor both publish it)."""
        done = await self.session.execute(
            update(MeetingRow)
            .where(MeetingRow.id == meeting.id, MeetingRow.version == meeting.version)
            .values(logged=meeting.logged, version=meeting.version + 1)
        )
        if done.rowcount != 1:
            raise ChangedMeanwhile("meeting", "meeting_id")
        meeting.version += 1
        for position, participant in enumerate(meeting.participants):
            await self.session.execute(
                update(ParticipantRow)
                .where(ParticipantRow.meeting_id == meeting.id, ParticipantRow.position == position)
                .values(member_id=participant.member_id, email=participant.email)
            )

    async def waiting_for(self, email: str) -> list[str]:
        rows = await self.session.scalars(
            select(ParticipantRow.meeting_id)
            .where(ParticipantRow.email == email, ParticipantRow.member_id.is_(None))
            .distinct()
        )
        return list(rows)

    async def of_member(self, member_id: str, *, limit: int) -> list[Meeting]:
        ids = await self.session.scalars(
            select(MeetingRow.id)
            .join(ParticipantRow, ParticipantRow.meeting_id == MeetingRow.id)
            .where(ParticipantRow.member_id == member_id)
            .order_by(MeetingRow.started_at.desc(), MeetingRow.id)
            .limit(limit)
        )
        return [m for m in [await self.get(i) for i in list(ids)] if m is not None]

    async def erase_member(self, member_id: str) -> None:
        """Remove the member from every meeting; a meeting left with fewer than two
        participants is deleted."""
        meeting_ids = list(
            await self.session.scalars(
                select(ParticipantRow.meeting_id).where(ParticipantRow.member_id == member_id)
            )
        )
        await self.session.execute(
            delete(ParticipantRow).where(ParticipantRow.member_id == member_id)
        )
        for meeting_id in meeting_ids:
            left = await self.session.scalar(
                select(func.count())
                .select_from(ParticipantRow)
                .where(ParticipantRow.meeting_id == meeting_id)
            )
            if left < 2:
                await self.session.execute(
                    delete(ParticipantRow).where(ParticipantRow.meeting_id == meeting_id)
                )
                await self.session.execute(delete(MeetingRow).where(MeetingRow.id == meeting_id))
