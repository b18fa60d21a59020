"""In-person attendance and co-attendance: who checked in at which event, and which pairs
were already counted as having attended one together."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import pair_key
from .tables import ProjectionTables


class Attendance:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.table = tables.attendance
        self.co_attended = tables.co_attended

    async def record(self, event_id: str, member_id: str, at: datetime) -> bool:
        """Record a check-in; True the first time (the first check-in counts)."""
        t = self.table
        row = (
            await self.session.execute(
                select(t.c.checked_in_at).where(
                    t.c.event_id == event_id, t.c.member_id == member_id
                )
            )
        ).first()
        if row is not None:
            return False
        await self.session.execute(
            insert(t).values(event_id=event_id, member_id=member_id, checked_in_at=at)
        )
        return True

    async def others_at(self, event_id: str, member_id: str) -> dict[str, datetime]:
        """The event's other attendees and when they checked in."""
        t = self.table
        rows = await self.session.execute(
            select(t.c.member_id, t.c.checked_in_at).where(
                t.c.event_id == event_id, t.c.member_id != member_id
            )
        )
        return {row.member_id: row.checked_in_at for row in rows}

    async def shared(self, a: str, b: str) -> list[tuple[str, datetime]]:
        """Events both attended in person, with the later of their two check-ins."""
        t = self.table
        other = t.alias("other")
        rows = await self.session.execute(
            select(t.c.event_id, t.c.checked_in_at, other.c.checked_in_at)
            .join(other, and_(other.c.event_id == t.c.event_id, other.c.member_id == b))
            .where(t.c.member_id == a)
        )
        return [(r[0], max(r[1], r[2])) for r in rows]

    async def claim_co_attendance(self, event_id: str, a: str, b: str) -> bool:
        """True the first time the pair's co-attendance of the event is counted."""
        a, b = pair_key(a, b)
        c = self.co_attended
        seen = (
            await self.session.execute(
                select(c.c.a).where(c.c.event_id == event_id, c.c.a == a, c.c.b == b)
            )
        ).first()
        if seen:
            return False
        await self.session.execute(insert(c).values(event_id=event_id, a=a, b=b))
        return True

    async def erase_member(self, member_id: str) -> None:
        t, c = self.table, self.co_attended
        await self.session.execute(delete(t).where(t.c.member_id == member_id))
        await self.session.execute(delete(c).where(or_(c.c.a == member_id, c.c.b == member_id)))
