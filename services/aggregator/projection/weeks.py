"""The weekly trend: each member's raw (undecayed) online and offline weight per ISO week.

Accumulated in memory and written in bulk by `flush()`, once per batch."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, distinct, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import ONLINE
from .tables import ProjectionTables, chunks

WeekKey = tuple[str, str]  # (member, ISO Monday)


def week_of(t: datetime) -> str:
    """The ISO date of the Monday of `t`'s week."""
    return (t - timedelta(days=t.weekday())).date().isoformat()


class WeeklyTrend:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.table = tables.weeks
        self._cache: dict[WeekKey, list] = {}  # -> [online, offline, exists, dirty]

    async def prefetch(self, keys: set[WeekKey]) -> None:
        w = self.table
        wanted = [k for k in keys if k not in self._cache]
        for chunk in chunks(wanted):
            condition = tuple_(w.c.member_id, w.c.week).in_(chunk)
            for row in await self.session.execute(select(w).where(condition)):
                self._cache[(row.member_id, row.week)] = [row.online, row.offline, True, False]
        for key in wanted:
            self._cache.setdefault(key, [0.0, 0.0, False, False])

    async def add(self, member_id: str, channel: str, weight: float, t: datetime) -> None:
        key = (member_id, week_of(t))
        await self.prefetch({key})
        cell = self._cache[key]
        cell[0 if channel == ONLINE else 1] += weight
        cell[3] = True

    async def flush(self) -> None:
        w = self.table
        inserts, updates = [], []
        for (member, week), cell in self._cache.items():
            online, offline, exists, dirty = cell
            if not dirty:
                continue
            values = {"online": online, "offline": offline}
            if exists:
                updates.append({"k_member_id": member, "k_week": week} | values)
            else:
                inserts.append({"member_id": member, "week": week} | values)
            cell[2], cell[3] = True, False
        if inserts:
            await self.session.execute(insert(w), inserts)
        if updates:
            await self.session.execute(
                update(w)
                .where(w.c.member_id == bindparam("k_member_id"), w.c.week == bindparam("k_week"))
                .values(online=bindparam("online"), offline=bindparam("offline")),
                updates,
            )

    def forget(self) -> None:
        self._cache.clear()

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
