"""Mutes in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import MuteRow


class Mutes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: str, target_id: str) -> MuteRow | None:
        return await self.session.get(MuteRow, (member_id, target_id))

    async def add(self, member_id: str, target_id: str, kind: str, now: datetime) -> MuteRow:
        """Mute (muting again, even concurrently, keeps the first mute and its time)."""
        insert = (
            postgresql.insert if self.session.bind.dialect.name == "postgresql" else sqlite.insert
        )
        await self.session.execute(
            insert(MuteRow)
            .values(member_id=member_id, target_id=target_id, target_kind=kind, created_at=now)
            .on_conflict_do_nothing()
        )
        row = await self.session.get(MuteRow, (member_id, target_id), populate_existing=True)
        assert row is not None
        return row

    async def delete(self, member_id: str, target_id: str) -> bool:
        """Lift a mute; False when there was none (or a concurrent unmute lifted it)."""
        result = await self.session.execute(
            delete(MuteRow).where(MuteRow.member_id == member_id, MuteRow.target_id == target_id)
        )
        return result.rowcount == 1

    async def of(self, member_id: str) -> list[MuteRow]:
        return list(
            await self.session.scalars(
                select(MuteRow).where(MuteRow.member_id == member_id).order_by(MuteRow.created_at)
            )
        )

    async def forget_member(self, member_id: str) -> None:
        """Erasure: the member's mutes, and mutes of them, go."""
        await self.session.execute(
            delete(MuteRow).where(
                or_(MuteRow.member_id == member_id, MuteRow.target_id == member_id)
            )
        )
