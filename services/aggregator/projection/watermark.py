"""The watermark: the time of the latest interaction or activity projected. Queries are
answered at or after it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import ProjectionTables


class Watermark:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.table = tables.watermark
        self._pending: datetime | None = None

    def advance(self, t: datetime) -> None:
        if self._pending is None or t > self._pending:
            self._pending = t

    async def flush(self) -> None:
        if self._pending is None:
            return
        w = self.table
        current = await self.get()
        if current is None:
            await self.session.execute(insert(w).values(id=1, at=self._pending))
        elif self._pending > current:
            await self.session.execute(update(w).where(w.c.id == 1).values(at=self._pending))
        self._pending = None

    async def get(self) -> datetime | None:
        return await self.session.scalar(select(self.table.c.at).where(self.table.c.id == 1))
