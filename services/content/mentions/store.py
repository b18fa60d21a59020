"""Who a post, a comment or a group message mentions: the table, and resolving a text's
handles against the copy of members."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..copies.store import Members, Relations
from .domain import mention_candidates, resolve_mentions


class MentionRow(Base):
    """Members a post, comment or group message mentions (ids are unique across kinds)."""

    __tablename__ = "mentions"

    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Mentions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def resolve(self, text: str, *, author_id: str, limit: int) -> list[str]:
        """The members `text` mentions (see domain.resolve_mentions)."""
        candidates = mention_candidates(text)
        if not candidates or limit == 0:
            return []
        known = await Members(self.session).ids_by_handle(h for c in candidates for h in c)
        hidden = await Relations(self.session).blocked_with(author_id, known.values())
        return resolve_mentions(candidates, known, author_id=author_id, hidden=hidden, limit=limit)

    async def add(self, item_id: str, member_ids: list[str]) -> None:
        for position, member_id in enumerate(member_ids):
            self.session.add(MentionRow(item_id=item_id, member_id=member_id, position=position))
        if member_ids:
            await self.session.flush()

    async def replace(self, item_id: str, member_ids: list[str]) -> None:
        await self.session.execute(delete(MentionRow).where(MentionRow.item_id == item_id))
        await self.add(item_id, member_ids)

    async def of(self, item_ids: Iterable[str]) -> dict[str, list[str]]:
        item_ids = list(set(item_ids))
        if not item_ids:
            return {}
        rows = await self.session.execute(
            select(MentionRow.item_id, MentionRow.member_id)
            .where(MentionRow.item_id.in_(item_ids))
            .order_by(MentionRow.item_id, MentionRow.position)
        )
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r.item_id, []).append(r.member_id)
        return found

    async def forget_items(self, item_ids: Iterable[str]) -> None:
        item_ids = list(item_ids)
        if item_ids:
            await self.session.execute(delete(MentionRow).where(MentionRow.item_id.in_(item_ids)))

    async def forget_member(self, member_id: str) -> None:
        await self.session.execute(delete(MentionRow).where(MentionRow.member_id == member_id))
