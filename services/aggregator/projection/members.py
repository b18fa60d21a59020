"""The aggregator's copy of the members (profiles' facts): who exists, their handle and team,
and a tombstone for each erased member, through the one last-writer-wins rule of
shared/copies.py."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.copies import Copies, Version

from .tables import ProjectionTables, chunks


class Members:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.table = tables.members
        self.copies = Copies(session, tables.MemberCopy, personal=("handle", "team"))
        self._erased: dict[str, bool] = {}  # member id -> erased (for the ids looked up)

    async def status(self, member_id: str) -> str:
        """ "active", "deleted" (erased) or "unknown"."""
        row = await self.session.get(self.copies.row, member_id)
        if row is None:
            return "unknown"
        return "deleted" if row.deleted else "active"

    async def register(self, member_id: str, *, handle: str, team: str, version: Version) -> None:
        await self.copies.apply(member_id, {"handle": handle, "team": team or None}, version)

    async def erase(self, member_id: str, version: Version) -> None:
        """Leave a tombstone: no older fact brings the member back."""
        await self.copies.erase(member_id, version)
        self._erased[member_id] = True

    async def any_erased(self, *member_ids: str) -> bool:
        await self.load_erased(set(member_ids))
        return any(self._erased[m] for m in member_ids)

    async def load_erased(self, member_ids: set[str]) -> None:
        """Learn which of these members are erased, a query per few hundred ids."""
        wanted = [m for m in member_ids if m not in self._erased]
        m = self.table
        await self.session.flush()
        for chunk in chunks(wanted):
            for row in await self.session.execute(
                select(m.c.id).where(m.c.id.in_(chunk), m.c.deleted.is_(True))
            ):
                self._erased[row.id] = True
        for member in wanted:
            self._erased.setdefault(member, False)

    async def handles(self, member_ids: list[str]) -> dict[str, str]:
        live = await self.copies.live(member_ids)
        return {member: row.handle for member, row in live.items() if row.handle}

    async def of_team(self, team: str) -> list[str]:
        m = self.table
        await self.session.flush()
        rows = await self.session.execute(
            select(m.c.id).where(m.c.team == team, m.c.deleted.is_(False))
        )
        return [r.id for r in rows]

    async def active(self) -> list[str]:
        m = self.table
        await self.session.flush()
        return [
            r.id for r in await self.session.execute(select(m.c.id).where(m.c.deleted.is_(False)))
        ]
