"""The pairs' interaction sums (per direction, channel and kind, as they stood at the pair's
last interaction), and whether a pair was ever connected (for co-attendance).

Interactions are accumulated in memory and written in bulk by `flush()`, once per batch;
every read flushes first."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..model import HealthModel, Interaction, PairSums, pair_key
from .tables import ProjectionTables, chunks

_UPDATED = ("ab", "ba", "online", "offline", "count", "first", "last", "by_kind")


class _CachedPair:
    def __init__(self, sums: PairSums, *, exists: bool) -> None:
        self.sums = sums
        self.exists = exists
        self.dirty = False

    def row(self) -> dict:
        s = self.sums
        return dict(
            a=s.a,
            b=s.b,
            ab=s.ab,
            ba=s.ba,
            online=s.online,
            offline=s.offline,
            count=s.count,
            first=s.first,
            last=s.last,
            by_kind=dict(s.by_kind),
        )


class Pairs:
    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.table = tables.pairs
        self.model = model
        self._cache: dict[tuple[str, str], _CachedPair] = {}

    async def prefetch(self, keys: set[tuple[str, str]]) -> None:
        """Load the pairs a batch will touch, a query per few hundred pairs."""
        p = self.table
        wanted = [k for k in keys if k not in self._cache]
        for chunk in chunks(wanted):
            # a row-value IN: one cached statement whatever the batch (an OR would not be)
            for row in await self.session.execute(select(p).where(tuple_(p.c.a, p.c.b).in_(chunk))):
                self._cache[(row.a, row.b)] = _CachedPair(_sums(row), exists=True)
        for key in wanted:
            self._cache.setdefault(key, _CachedPair(PairSums(*key), exists=False))

    async def add(self, interaction: Interaction) -> None:
        key = pair_key(interaction.actor, interaction.target)
        await self.prefetch({key})
        cached = self._cache[key]
        cached.sums.add(interaction, self.model)
        cached.dirty = True

    async def flush(self) -> None:
        p = self.table
        dirty = [c for c in self._cache.values() if c.dirty]
        inserts = [c.row() | {"ever_connected": False} for c in dirty if not c.exists]
        updates = [c.row() | {"ka": c.sums.a, "kb": c.sums.b} for c in dirty if c.exists]
        if inserts:
            await self.session.execute(insert(p), inserts)
        if updates:
            await self.session.execute(
                update(p)
                .where(p.c.a == bindparam("ka"), p.c.b == bindparam("kb"))
                .values({k: bindparam(k) for k in _UPDATED}),
                updates,
            )
        # the cached rows stay (now written) for the rest of the transaction
        for cached in dirty:
            cached.exists, cached.dirty = True, False

    def forget(self) -> None:
        self._cache.clear()

    async def get(self, a: str, b: str) -> PairSums | None:
        a, b = pair_key(a, b)
        p = self.table
        row = (await self.session.execute(select(p).where(p.c.a == a, p.c.b == b))).first()
        return _sums(row) if row else None

    async def of_member(self, member_id: str) -> list[PairSums]:
        p = self.table
        rows = await self.session.execute(
            select(p).where(or_(p.c.a == member_id, p.c.b == member_id))
        )
        return [_sums(r) for r in rows]

    async def all(self) -> list[PairSums]:
        return [_sums(r) for r in await self.session.execute(select(self.table))]

    async def erase_member(self, member_id: str) -> None:
        p = self.table
        await self.session.execute(delete(p).where(or_(p.c.a == member_id, p.c.b == member_id)))

    async def mark_connected(self, a: str, b: str) -> bool:
        """Record that the pair has been connected; True the first time. Written straight
        to the table (never cached), so co-attendance lookups need no flush."""
        a, b = pair_key(a, b)
        p = self.table
        row = (
            await self.session.execute(select(p.c.ever_connected).where(p.c.a == a, p.c.b == b))
        ).first()
        if row is None:
            await self.session.execute(
                insert(p).values(
                    a=a,
                    b=b,
                    ab=0.0,
                    ba=0.0,
                    online=0.0,
                    offline=0.0,
                    count=0,
                    by_kind={},
                    ever_connected=True,
                )
            )
            return True
        if row.ever_connected:
            return False
        await self.session.execute(
            update(p).where(p.c.a == a, p.c.b == b).values(ever_connected=True)
        )
        return True

    async def ever_connected_with(self, member_id: str, others: list[str]) -> set[str]:
        """Which of `others` were ever connected with the member."""
        p = self.table
        found: set[str] = set()
        for chunk in chunks([pair_key(member_id, other) for other in others]):
            rows = await self.session.execute(
                select(p.c.a, p.c.b).where(
                    tuple_(p.c.a, p.c.b).in_(chunk), p.c.ever_connected.is_(True)
                )
            )
            found.update(row.b if row.a == member_id else row.a for row in rows)
        return found


def _sums(row) -> PairSums:
    return PairSums(
        a=row.a,
        b=row.b,
        ab=row.ab,
        ba=row.ba,
        online=row.online,
        offline=row.offline,
        count=row.count,
        first=row.first,
        last=row.last,
        by_kind=dict(row.by_kind or {}),
    )
