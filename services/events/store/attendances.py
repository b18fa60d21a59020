"""Attendances: a member's (or a not yet matched email's) RSVP and check-in at an event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..domain import Attendance, ChangedMeanwhile
from .base import Base


class AttendanceRow(Base):
    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        UniqueConstraint("event_id", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), index=True)
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    rsvp: Mapped[str | None] = mapped_column(String(16))
    rsvp_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=0)


class Attendances:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_member(self, event_id: str, member_id: str) -> Attendance:
        row = await self.session.scalar(
            select(AttendanceRow).where(
                AttendanceRow.event_id == event_id, AttendanceRow.member_id == member_id
            )
        )
        return _to_attendance(row) if row else Attendance(event_id, member_id=member_id)

    async def of_email(self, event_id: str, email: str) -> Attendance:
        row = await self.session.scalar(
            select(AttendanceRow).where(
                AttendanceRow.event_id == event_id, AttendanceRow.email == email
            )
        )
        return _to_attendance(row) if row else Attendance(event_id, email=email)

    async def pending_for(self, email: str) -> list[Attendance]:
        rows = await self.session.scalars(
            select(AttendanceRow)
            .where(AttendanceRow.email == email, AttendanceRow.member_id.is_(None))
            .order_by(AttendanceRow.id)
        )
        return [_to_attendance(row) for row in rows]

    async def save(self, attendance: Attendance) -> None:
        """Insert a new attendance (the unique (event, member) and (event, email) make a
        racing insert fail), or update the row it was loaded from only if nobody changed it
        since (compare-and-set on its version). Either way, of two racing RSVPs or check-ins
        one wins and the other is refused: never two facts for one change."""
        fields = {
            "member_id": attendance.member_id,
            "email": attendance.email,
            "rsvp": attendance.rsvp,
            "rsvp_at": attendance.rsvp_at,
            "checked_in_at": attendance.checked_in_at,
            "attendance": attendance.attendance,
        }
        if attendance.row_id is None:
            row = AttendanceRow(event_id=attendance.event_id, **fields, version=0)
            self.session.add(row)
            await self.session.flush()
            attendance.row_id, attendance.version = row.id, 0
            return
        done = await self.session.execute(
            update(AttendanceRow)
            .where(
                AttendanceRow.id == attendance.row_id, AttendanceRow.version == attendance.version
            )
            .values(**fields, version=attendance.version + 1)
        )
        if done.rowcount != 1:
            raise ChangedMeanwhile("attendance", "member_id")
        attendance.version += 1

    async def drop_pending(self, event_id: str, email: str | None) -> None:
        if email is None:
            return
        await self.session.execute(
            delete(AttendanceRow).where(
                AttendanceRow.event_id == event_id,
                AttendanceRow.email == email,
                AttendanceRow.member_id.is_(None),
            )
        )

    async def members_of(self, event_id: str) -> list[Attendance]:
        rows = await self.session.scalars(
            select(AttendanceRow)
            .where(AttendanceRow.event_id == event_id, AttendanceRow.member_id.is_not(None))
            .order_by(AttendanceRow.id)
        )
        return [_to_attendance(row) for row in rows]

    async def pending_count(self, event_id: str) -> int:
        return await self.session.scalar(
            select(func.count())
            .select_from(AttendanceRow)
            .where(AttendanceRow.event_id == event_id, AttendanceRow.member_id.is_(None))
        )

    async def erase_member(self, member_id: str) -> None:
        await self.session.execute(
            delete(AttendanceRow).where(AttendanceRow.member_id == member_id)
        )


def _to_attendance(row: AttendanceRow) -> Attendance:
    return Attendance(
        row_id=row.id,
        event_id=row.event_id,
        member_id=row.member_id,
        email=row.email,
        rsvp=row.rsvp,
        rsvp_at=row.rsvp_at,
        checked_in_at=row.checked_in_at,
        attendance=row.attendance,
        version=row.version,
    )
