"""The pairs' interaction sums (per direction and channel, as they stood at the pair's last
interaction; per kind in `pair_kinds`, each as it stood at its own last interaction), and
whether a pair was ever connected (for co-attendance).

A batch's interactions are folded in memory into one delta per pair and added to the stored
rows by `flush()` in two bulk upserts (upserts.py): nothing is read first, so instances
sharing the projection can add at once. Every read flushes first."""

from __future__ import annotations

from sqlalchemy import delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..model import HealthModel, Interaction, pair_key
from ..sums import PairSums
from .tables import ProjectionTables, chunks
from .upserts import earliest, rebased_sums, upsert

_SUMS = ("ab", "ba", "online", "offline")
# every column but by_kind (a legacy column, carried over into pair_kinds at start)
_COLUMNS = ("a", "b", *_SUMS, "count", "first", "last")


class Pairs:
    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.table = tables.pairs
        self.kinds = tables.pair_kinds
        self.model = model
        self._deltas: dict[tuple[str, str], PairSums] = {}

    async def add(self, interaction: Interaction) -> None:
        key = pair_key(interaction.actor, interaction.target)
        delta = self._deltas.get(key)
        if delta is None:
            delta = self._deltas[key] = PairSums(*key)
        delta.add(interaction, self.model)

    async def flush(self) -> None:
        """Add the batch's deltas to the stored pairs and kinds."""
        if not self._deltas:
            return
        deltas, self._deltas = self._deltas, {}
        half_life = self.model.half_life_seconds

        def pair_sums(table, excluded, dialect: str) -> dict:
            values = rebased_sums(table, excluded, _SUMS, "last", half_life, dialect)
            values["count"] = table.c["count"] + excluded["count"]
            values["first"] = earliest(table.c.first, excluded.first)
            return values

        def kind_sums(table, excluded, dialect: str) -> dict:
            return rebased_sums(table, excluded, ("sum",), "as_of", half_life, dialect)

        await upsert(
            self.session,
            self.table,
            (
                {
                    "a": d.a,
                    "b": d.b,
                    "ab": d.ab,
                    "ba": d.ba,
                    "online": d.online,
                    "offline": d.offline,
                    "count": d.count,
                    "first": d.first,
                    "last": d.last,
                    "by_kind": {},
                    "ever_connected": False,
                }
                for d in deltas.values()
            ),
            ("a", "b"),
            pair_sums,
        )
        await upsert(
            self.session,
            self.kinds,
            (
                {"a": d.a, "b": d.b, "kind": kind, "sum": value, "as_of": d.last}
                for d in deltas.values()
                for kind, value in d.by_kind.items()
            ),
            ("a", "b", "kind"),
            kind_sums,
        )

    def forget(self) -> None:
        self._deltas.clear()

    def _select(self):
        return select(*(self.table.c[name] for name in _COLUMNS))

    async def get(self, a: str, b: str) -> PairSums | None:
        """The pair's sums, with its kinds."""
        a, b = pair_key(a, b)
        p = self.table
        row = (await self.session.execute(self._select().where(p.c.a == a, p.c.b == b))).first()
        return (await self.with_kinds([_sums(row)]))[0] if row else None

    async def of_member(self, member_id: str) -> list[PairSums]:
        """The member's pairs, without their kinds (see `with_kinds`)."""
        p = self.table
        rows = await self.session.execute(
            self._select().where(or_(p.c.a == member_id, p.c.b == member_id))
        )
        return [_sums(r) for r in rows]

    async def between(self, member_id: str, others: list[str]) -> list[PairSums]:
        """The member's pairs with these others, without their kinds."""
        p = self.table
        found: list[PairSums] = []
        for chunk in chunks(sorted({pair_key(member_id, other) for other in others})):
            rows = await self.session.execute(self._select().where(tuple_(p.c.a, p.c.b).in_(chunk)))
            found += [_sums(r) for r in rows]
        return found

    async def with_kinds(self, pairs: list[PairSums]) -> list[PairSums]:
        """Fill the pairs' sums per kind, rebased to each pair's last interaction."""
        k = self.kinds
        by_key = {(s.a, s.b): s for s in pairs}
        for chunk in chunks(sorted(by_key)):
            rows = await self.session.execute(
                select(k.c.a, k.c.b, k.c.kind, k.c.sum, k.c.as_of).where(
                    tuple_(k.c.a, k.c.b).in_(chunk)
                )
            )
            for row in rows:
                pair = by_key[(row.a, row.b)]
                factor = self.model.decay(row.as_of, pair.last) if pair.last else 0.0
                pair.by_kind[row.kind] = row.sum * factor if row.sum else 0.0
        return pairs

    async def all(self) -> list[PairSums]:
        """Every pair, without their kinds."""
        return [_sums(r) for r in await self.session.execute(self._select())]

    async def erase_member(self, member_id: str) -> None:
        p, k = self.table, self.kinds
        await self.session.execute(delete(p).where(or_(p.c.a == member_id, p.c.b == member_id)))
        await self.session.execute(delete(k).where(or_(k.c.a == member_id, k.c.b == member_id)))

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
    )


async def carry_over_kinds(connection: AsyncConnection, tables: ProjectionTables) -> int:
    """Move the sums per kind that a projection made before `pair_kinds` kept in the pairs'
    `by_kind` (as they stood at the pair's last interaction) into `pair_kinds`; returns how
    many pairs had some. Once, at start: later writes leave `by_kind` empty."""
    p = tables.pairs
    if (await connection.execute(select(tables.pair_kinds.c.a).limit(1))).first():
        return 0  # carried over before
    rows = [
        row
        for row in await connection.execute(select(p.c.a, p.c.b, p.c.last, p.c.by_kind))
        if row.by_kind and row.last is not None
    ]
    kinds = [
        {"a": row.a, "b": row.b, "kind": kind, "sum": value, "as_of": row.last}
        for row in rows
        for kind, value in row.by_kind.items()
    ]
    for start in range(0, len(kinds), 5_000):
        await connection.execute(insert(tables.pair_kinds), kinds[start : start + 5_000])
    for chunk in chunks([(row.a, row.b) for row in rows]):
        await connection.execute(
            update(p).where(tuple_(p.c.a, p.c.b).in_(chunk)).values(by_kind={})
        )
    return len(rows)
