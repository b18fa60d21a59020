"""Watermarks per member: the time of the latest interaction or activity applied for a
member (their balance's `as_of`). A read about a member is answered at or after the member's
own watermark, so that one member's data (a fact far ahead, say) never holds up reads about
anyone else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import ProjectionTables, chunks


class Watermarks:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.table = tables.member_sums

    async def of(self, members: list[str]) -> datetime | None:
        """The latest of these members' watermarks (None when none has data)."""
        s = self.table
        found: list[datetime] = []
        for chunk in chunks(sorted(set(members))):
            latest = await self.session.scalar(
                select(func.max(s.c.as_of)).where(s.c.member_id.in_(chunk))
            )
            if latest is not None:
                found.append(latest)
        return max(found, default=None)

    async def overall(self) -> datetime | None:
        """The latest watermark of all (org-wide reads)."""
        return await self.session.scalar(select(func.max(self.table.c.as_of)))
