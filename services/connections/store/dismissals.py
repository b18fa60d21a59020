"""Dismissed suggestions, and every member never to be suggested to a member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..domain import PENDING
from .base import Base
from .pairs import PairRow, RequestRow


class DismissalRow(Base):
    __tablename__ = "dismissals"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dismissals:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def dismiss(self, member_id: str, other_id: str, now: datetime) -> datetime:
        """Record the dismissal (once); returns when it was first made."""
        row = await self.session.get(DismissalRow, (member_id, other_id))
        if row is None:
            row = DismissalRow(member_id=member_id, other_id=other_id, dismissed_at=now)
            self.session.add(row)
            await self.session.flush()
        return row.dismissed_at


async def not_to_suggest(session: AsyncSession, member_id: str) -> set[str]:
    """Members never suggested to this member: connected to them, blocking or blocked by
    them, in a pending request with them (either way), or dismissed by them. One query."""
    settled = or_(
        PairRow.connected_since.is_not(None),
        PairRow.a_blocks_since.is_not(None),
        PairRow.b_blocks_since.is_not(None),
    )
    pending = RequestRow.status == PENDING
    query = union_all(
        select(PairRow.b).where(PairRow.a == member_id, settled),
        select(PairRow.a).where(PairRow.b == member_id, settled),
        select(RequestRow.addressee_id).where(RequestRow.requester_id == member_id, pending),
        select(RequestRow.requester_id).where(RequestRow.addressee_id == member_id, pending),
        select(DismissalRow.other_id).where(DismissalRow.member_id == member_id),
    )
    return set(await session.scalars(query))
