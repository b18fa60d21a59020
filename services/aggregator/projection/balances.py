"""Each member's decayed online and offline sums (their balance), as they stood at their
latest contribution: the interactions they take part in plus their own activity.

Accumulated in memory and written in bulk by `flush()`, once per batch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import ChannelSums, HealthModel, PairSums
from .tables import ProjectionTables, chunks


class _Cached:
    def __init__(self, sums: ChannelSums, *, exists: bool) -> None:
        self.sums = sums
        self.exists = exists
        self.dirty = False


class Balances:
    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.table = tables.member_sums
        self.model = model
        self._cache: dict[str, _Cached] = {}

    async def prefetch(self, members: set[str]) -> None:
        s = self.table
        wanted = [m for m in members if m not in self._cache]
        for chunk in chunks(wanted):
            for row in await self.session.execute(select(s).where(s.c.member_id.in_(chunk))):
                self._cache[row.member_id] = _Cached(_channel_sums(row), exists=True)
        for member in wanted:
            self._cache.setdefault(member, _Cached(ChannelSums(), exists=False))

    async def add(self, member_id: str, channel: str, weight: float, t: datetime) -> None:
        await self.prefetch({member_id})
        cached = self._cache[member_id]
        cached.sums.add(channel, weight, t, self.model)
        cached.dirty = True

    async def flush(self) -> None:
        s = self.table
        inserts, updates = [], []
        for member, cached in self._cache.items():
            if not cached.dirty:
                continue
            values = {
                "online": cached.sums.online,
                "offline": cached.sums.offline,
                "as_of": cached.sums.as_of,
            }
            if cached.exists:
                updates.append({"k_member_id": member} | values)
            else:
                inserts.append({"member_id": member} | values)
            cached.exists, cached.dirty = True, False
        if inserts:
            await self.session.execute(insert(s), inserts)
        if updates:
            await self.session.execute(
                update(s)
                .where(s.c.member_id == bindparam("k_member_id"))
                .values(
                    online=bindparam("online"),
                    offline=bindparam("offline"),
                    as_of=bindparam("as_of"),
                ),
                updates,
            )

    def forget(self) -> None:
        self._cache.clear()

    async def of(self, member_id: str) -> ChannelSums:
        s = self.table
        row = (await self.session.execute(select(s).where(s.c.member_id == member_id))).first()
        return _channel_sums(row) if row else ChannelSums()

    async def all(self) -> dict[str, ChannelSums]:
        return {
            r.member_id: _channel_sums(r) for r in await self.session.execute(select(self.table))
        }

    async def remove_pair(self, member_id: str, pair: PairSums) -> None:
        """The member's balance loses what they did with an erased partner."""
        if pair.last is None:
            return
        sums = await self.of(member_id)
        sums.remove(pair.online, pair.offline, pair.last, self.model)
        s = self.table
        await self.session.execute(
            update(s)
            .where(s.c.member_id == member_id)
            .values(online=sums.online, offline=sums.offline)
        )

    async def erase_member(self, member_id: str) -> None:
        s = self.table
        await self.session.execute(delete(s).where(s.c.member_id == member_id))


def _channel_sums(row) -> ChannelSums:
    return ChannelSums(row.online, row.offline, row.as_of)
