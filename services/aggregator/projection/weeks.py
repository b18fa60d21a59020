"""The weekly trend: each member's raw (undecayed) online and offline weight per ISO week.

A batch is folded in memory into one delta per member and week and added to the stored
weights by `flush()` in one bulk upsert."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import ONLINE
from .tables import ProjectionTables
from .upserts import upsert

WeekKey = tuple[str, str]  # (member, ISO Monday)


def week_of(t: datetime) -> str:
    """The ISO date of the Monday of `t`'s week."""
    return (t - timedelta(days=t.weekday())).date().isoformat()


def _added(table, excluded, dialect: str) -> dict:
    return {
        "online": table.c.online + excluded.online,
        "offline": table.c.offline + excluded.offline,
    }


class WeeklyTrend:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.table = tables.weeks
        self._deltas: dict[WeekKey, list[float]] = {}  # -> [online, offline]

    async def add(self, member_id: str, channel: str, weight: float, t: datetime) -> None:
        key = (member_id, week_of(t))
        cell = self._deltas.get(key)
        if cell is None:
            cell = self._deltas[key] = [0.0, 0.0]
        cell[0 if channel == ONLINE else 1] += weight

    async def flush(self) -> None:
        if not self._deltas:
            return
        deltas, self._deltas = self._deltas, {}
        await upsert(
            self.session,
            self.table,
            (
                {"member_id": member, "week": week, "online": online, "offline": offline}
                for (member, week), (online, offline) in deltas.items()
            ),
            ("member_id", "week"),
            _added,
        )

    def forget(self) -> None:
        self._deltas.clear()

    async def since(self, week: str, member_ids: list[str] | None) -> dict[str, tuple]:
        """Per week from `week` on: (online, offline, active members), the raw weights summed
        over the members (all when None) and how many of them had any activity that week."""
        w = self.table
        active = case((w.c.online + w.c.offline > 0, w.c.member_id))
        query = (
            select(
                w.c.week,
                func.sum(w.c.online),
                func.sum(w.c.offline),
                func.count(distinct(active)),
            )
            .where(w.c.week >= week)
            .group_by(w.c.week)
        )
        if member_ids is not None:
            query = query.where(w.c.member_id.in_(member_ids))
        rows = await self.session.execute(query)
        return {r[0]: (r[1] or 0.0, r[2] or 0.0, r[3] or 0) for r in rows}

    async def erase_member(self, member_id: str) -> None:
        w = self.table
        await self.session.execute(delete(w).where(w.c.member_id == member_id))
