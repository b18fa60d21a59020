"""Each member's decayed online and offline sums (their balance), as they stood at their
latest contribution: the interactions they take part in plus their own activity.

A batch is folded in memory into one delta per member and added to the stored sums by
`flush()` in one bulk upsert (upserts.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import HealthModel
from ..sums import ChannelSums, PairSums
from .tables import ProjectionTables
from .upserts import rebased_sums, upsert


class Balances:
    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.table = tables.member_sums
        self.model = model
        self._deltas: dict[str, ChannelSums] = {}

    def _delta(self, member_id: str) -> ChannelSums:
        delta = self._deltas.get(member_id)
        if delta is None:
            delta = self._deltas[member_id] = ChannelSums()
        return delta

    async def add(self, member_id: str, channel: str, weight: float, t: datetime) -> None:
        self._delta(member_id).add(channel, weight, t, self.model)

    async def remove_pair(self, member_id: str, pair: PairSums) -> None:
        """The member's balance loses what they did with an erased partner (a negative
        delta, as the pair's sums stood at its last interaction)."""
        if pair.last is None:
            return
        self._delta(member_id).merge(
            ChannelSums(-pair.online, -pair.offline, pair.last), self.model
        )

    async def flush(self) -> None:
        if not self._deltas:
            return
        deltas, self._deltas = self._deltas, {}
        half_life = self.model.half_life_seconds

        def sums(table, excluded, dialect: str) -> dict:
            return rebased_sums(
                table,
                excluded,
                ("online", "offline"),
                "as_of",
                half_life,
                dialect,
                floor_at_zero=True,
            )

        await upsert(
            self.session,
            self.table,
            (
                {"member_id": m, "online": d.online, "offline": d.offline, "as_of": d.as_of}
                for m, d in deltas.items()
                if d.as_of is not None
            ),
            ("member_id",),
            sums,
        )

    def forget(self) -> None:
        self._deltas.clear()

    async def of(self, member_id: str) -> ChannelSums:
        s = self.table
        row = (await self.session.execute(select(s).where(s.c.member_id == member_id))).first()
        return _channel_sums(row) if row else ChannelSums()

    async def all(self) -> dict[str, ChannelSums]:
        return {
            r.member_id: _channel_sums(r) for r in await self.session.execute(select(self.table))
        }

    async def erase_member(self, member_id: str) -> None:
        self._deltas.pop(member_id, None)
        s = self.table
        await self.session.execute(delete(s).where(s.c.member_id == member_id))


def _channel_sums(row) -> ChannelSums:
    return ChannelSums(row.online, row.offline, row.as_of)
