"""The aggregator's copy of the relation facts (connections' facts): connected, follows and
blocks, one last-writer-wins register per (member, other, aspect) through shared/copies.py,
so the same facts in any order, with any duplicates, leave the same state."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.copies import Copies, Version

from ..domain import BLOCKS
from ..model import pair_key
from .tables import ProjectionTables, chunks

Fact = tuple[str, str, str]  # (member, other, aspect)


class RelationFacts:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.row = tables.FactCopy
        self.copies = Copies(session, tables.FactCopy)

    async def apply(
        self, member_id: str, other_id: str, aspect: str, active: bool, version: Version
    ) -> None:
        await self.copies.apply((member_id, other_id, aspect), {"active": active}, version)

    async def active_of(self, member_id: str) -> set[Fact]:
        f = self.row
        return await self._active(or_(f.member_id == member_id, f.other_id == member_id))

    async def active_between(self, a: str, b: str) -> set[Fact]:
        f = self.row
        return await self._active(
            or_(
                and_(f.member_id == a, f.other_id == b),
                and_(f.member_id == b, f.other_id == a),
            )
        )

    async def blocked(self, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the pairs (a < b) a block hides (from either side)."""
        f = self.row
        sides = [side for a, b in pairs for side in ((a, b), (b, a))]
        found: set[tuple[str, str]] = set()
        for chunk in chunks(sides):
            rows = await self.session.execute(
                select(f.member_id, f.other_id).where(
                    tuple_(f.member_id, f.other_id).in_(chunk),
                    f.aspect == BLOCKS,
                    f.active.is_(True),
                )
            )
            found.update(pair_key(r.member_id, r.other_id) for r in rows)
        return found

    async def all_active(self) -> set[Fact]:
        return await self._active(None)

    async def _active(self, condition) -> set[Fact]:
        f = self.row
        query = select(f.member_id, f.other_id, f.aspect).where(f.active.is_(True))
        if condition is not None:
            query = query.where(condition)
        return {(r.member_id, r.other_id, r.aspect) for r in await self.session.execute(query)}

    async def erase_member(self, member_id: str) -> None:
        """An erased member's facts go (their tombstone keeps newer ones out)."""
        f = self.row
        await self.session.execute(
            delete(f)
            .where(or_(f.member_id == member_id, f.other_id == member_id))
            .execution_options(synchronize_session="fetch")
        )
