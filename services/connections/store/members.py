"""The copy of members with the profile fields suggestions need, fed by profile events
(shared/copies.py: the newest fact wins; an erased member keeps a tombstone)."""

from __future__ import annotations

from sqlalchemy import JSON, String, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version

from .base import Base
from .dismissals import DismissalRow
from .gatherings import CheckInRow, RsvpRow
from .groups import GroupMembershipRow
from .index_changes import MEMBER, record_change
from .pairs import PairRow, RequestRow


class KnownMember(CopiedRow, Base):
    """The service's own copy of members, fed by profile events: who exists, and the profile
    fields suggestions are computed from. An erased member keeps only a tombstone."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(100))
    headline: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[list | None] = mapped_column(JSON)
    skills: Mapped[list | None] = mapped_column(JSON)
    accomplishments: Mapped[list | None] = mapped_column(JSON)
    goals: Mapped[list | None] = mapped_column(JSON)


# what suggestions read of a member's profile, asked of profiles (member facts carry only the
# handle of these)
PERSONAL_FIELDS = ("name", "headline", "keywords", "skills", "accomplishments", "goals")
PROFILE_COPY_FIELDS = ("handle", *PERSONAL_FIELDS)


class Members:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.copies = Copies(session, KnownMember, personal=PROFILE_COPY_FIELDS)

    async def active(self, member_id: str) -> KnownMember | None:
        return await self.copies.get(member_id)

    async def is_erased(self, member_id: str) -> bool:
        row = await self.session.get(KnownMember, member_id)
        return row is not None and row.deleted

    async def upsert(self, member_id: str, profile: dict, version: Version) -> None:
        """Copy the profile unless the copy is newer, or the member was erased."""
        fields = {k: profile[k] for k in PROFILE_COPY_FIELDS}
        if await self.copies.apply(member_id, fields, version):
            await record_change(self.session, MEMBER, member_id)

    async def forget(self, member_id: str, version: Version) -> None:
        """Erasure: keep only a tombstone (the id), so late events cannot resurrect them, and
        drop everything the service holds about them."""
        await self.copies.erase(member_id, version)
        for statement in (
            delete(PairRow).where(or_(PairRow.a == member_id, PairRow.b == member_id)),
            delete(RequestRow).where(
                or_(RequestRow.requester_id == member_id, RequestRow.addressee_id == member_id)
            ),
            delete(GroupMembershipRow).where(GroupMembershipRow.member_id == member_id),
            delete(RsvpRow).where(RsvpRow.member_id == member_id),
            delete(CheckInRow).where(CheckInRow.member_id == member_id),
            delete(DismissalRow).where(
                or_(DismissalRow.member_id == member_id, DismissalRow.other_id == member_id)
            ),
        ):
            await self.session.execute(statement)
        await record_change(self.session, MEMBER, member_id)

    async def erased_among(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = await self.session.scalars(
            select(KnownMember.id).where(KnownMember.id.in_(ids), KnownMember.deleted.is_(True))
        )
        return set(rows)

    async def names(self, ids: list[str]) -> dict[str, KnownMember]:
        return await self.copies.live(ids)
