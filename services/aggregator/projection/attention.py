"""Each member's attention (model v2's A_x): the decayed total of the interactions of the
member's visible pairs, as it stood at its latest contribution.

Kept incrementally like the pair sums, so that reading it is O(1) per member: every
interaction of a visible pair adds to both members' totals; a block (or an erasure) takes the
pair's whole sum away from both, an unblock puts it back. So the total is always the sum of I
over the member's visible pairs, whatever order the facts arrive in.

Accumulated in memory and written in bulk by `flush()`, once per batch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import DecayedSum, HealthModel
from .tables import ProjectionTables, chunks


class _Cached:
    def __init__(self, sums: DecayedSum, *, exists: bool) -> None:
        self.sums = sums
        self.exists = exists
        self.dirty = False


class AttentionTotals:
    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.table = tables.attention
        self.model = model
        self._cache: dict[str, _Cached] = {}

    async def prefetch(self, members: set[str]) -> None:
        t = self.table
        wanted = [m for m in members if m not in self._cache]
        for chunk in chunks(wanted):
            for row in await self.session.execute(select(t).where(t.c.member_id.in_(chunk))):
                self._cache[row.member_id] = _Cached(_sum(row), exists=True)
        for member in wanted:
            self._cache.setdefault(member, _Cached(DecayedSum(), exists=False))

    async def add(self, member_id: str, weight: float, t: datetime) -> None:
        await self.prefetch({member_id})
        cached = self._cache[member_id]
        cached.sums.add(weight, t, self.model)
        cached.dirty = True

    async def remove(self, member_id: str, value: float, as_of: datetime) -> None:
        """Take a pair's sum (as it stood at `as_of`) away from the member's total."""
        await self.prefetch({member_id})
        cached = self._cache[member_id]
        cached.sums.remove(value, as_of, self.model)
        cached.dirty = True

    async def flush(self) -> None:
        t = self.table
        inserts, updates = [], []
        for member, cached in self._cache.items():
            if not cached.dirty:
                continue
            values = {"total": cached.sums.value, "as_of": cached.sums.as_of}
            if cached.exists:
                updates.append({"k_member_id": member} | values)
            else:
                inserts.append({"member_id": member} | values)
            cached.exists, cached.dirty = True, False
        if inserts:
            await self.session.execute(insert(t), inserts)
        if updates:
            await self.session.execute(
                update(t)
                .where(t.c.member_id == bindparam("k_member_id"))
                .values(total=bindparam("total"), as_of=bindparam("as_of")),
                updates,
            )

    def forget(self) -> None:
        self._cache.clear()

    async def of(self, members: list[str]) -> dict[str, DecayedSum]:
        """The members' totals (a member with none is left out), a query per few hundred."""
        t = self.table
        found: dict[str, DecayedSum] = {}
        for chunk in chunks(sorted(set(members))):
            for row in await self.session.execute(select(t).where(t.c.member_id.in_(chunk))):
                found[row.member_id] = _sum(row)
        return found

    async def all(self) -> dict[str, DecayedSum]:
        return {r.member_id: _sum(r) for r in await self.session.execute(select(self.table))}

    async def erase_member(self, member_id: str) -> None:
        self._cache.pop(member_id, None)
        t = self.table
        await self.session.execute(delete(t).where(t.c.member_id == member_id))


def _sum(row) -> DecayedSum:
    return DecayedSum(row.total, row.as_of)
