"""The copy of members' emails, fed by profile events: how an attendee given by email
is matched to a member."""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version

from .base import Base


class KnownMember(CopiedRow, Base):
    """The service's own copy of members' emails, fed by profile events (shared.copies: the
    newest fact wins; an erased member keeps a tombstone, the id only)."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)


class Members:
    """The copy of members (their current email), through shared.copies."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.copies = Copies(session, KnownMember, personal=("email",))

    async def active(self, member_id: str) -> KnownMember | None:
        return await self.copies.get(member_id)

    async def by_email(self, email: str) -> str | None:
        return await self.session.scalar(
            select(KnownMember.id)
            .where(KnownMember.email == email, KnownMember.deleted.is_(False))
            .order_by(KnownMember.as_of.desc(), KnownMember.event_id.desc())
            .limit(1)
        )

    async def upsert(self, member_id: str, *, email: str, version: Version) -> bool:
        """Keep the member's current email; False when the fact is stale or the member
        erased."""
        return await self.copies.apply(member_id, {"email": email}, version)

    async def forget(self, member_id: str, *, version: Version) -> None:
        await self.copies.erase(member_id, version)
