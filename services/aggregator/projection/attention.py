"""Each member's attention (model v2's A_x): the decayed total of the interactions of the
member's visible pairs, as it stood at its latest contribution.

Kept incrementally like the pair sums, so that reading it is O(1) per member: every
interaction of a visible pair adds to both members' totals; a block (or an erasure) takes the
pair's whole sum away from both, an unblock puts it back. So the total is always the sum of I
over the member's visible pairs, whatever order the facts arrive in.

A batch is folded in memory into one delta per member (negative for a pair taken away)
and added to the stored totals by `flush()` in one bulk upsert (upserts.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import HealthModel
from ..sums import DecayedSum
from .tables import ProjectionTables, chunks
from .upserts import rebased_sums, upsert


class AttentionTotals:
    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.table = tables.attention
        self.model = model
        self._deltas: dict[str, DecayedSum] = {}

    def _delta(self, member_id: str) -> DecayedSum:
        delta = self._deltas.get(member_id)
        if delta is None:
            delta = self._deltas[member_id] = DecayedSum()
        return delta

    async def add(self, member_id: str, weight: float, t: datetime) -> None:
        self._delta(member_id).add(weight, t, self.model)

    async def remove(self, member_id: str, value: float, as_of: datetime) -> None:
        """Take away a pair's sum (as it stood at `as_of`) from the member's total."""
        self._delta(member_id).add(-value, as_of, self.model)

    async def flush(self) -> None:
        if not self._deltas:
            return
        deltas, self._deltas = self._deltas, {}
        half_life = self.model.half_life_seconds

        def total(table, excluded, dialect: str) -> dict:
            return rebased_sums(
                table, excluded, ("total",), "as_of", half_life, dialect, floor_at_zero=True
            )

        await upsert(
            self.session,
            self.table,
            (
                {"member_id": m, "total": d.value, "as_of": d.as_of}
                for m, d in deltas.items()
                if d.as_of is not None
            ),
            ("member_id",),
            total,
        )

    def forget(self) -> None:
        self._deltas.clear()

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
        self._deltas.pop(member_id, None)
        t = self.table
        await self.session.execute(delete(t).where(t.c.member_id == member_id))


def _sum(row) -> DecayedSum:
    return DecayedSum(row.total, row.as_of)
