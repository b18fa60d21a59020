"""The copy of groups and group memberships, fed by content events."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version

from .base import Base
from .index_changes import GROUP, MEMBERSHIP, record_change


class GroupRow(CopiedRow, Base):
    """A group of the content service: its name, for reasons ("both in the group ...")."""

    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class GroupMembershipRow(CopiedRow, Base):
    """Whether a member is in a group: a last-writer-wins register per (group, member)."""

    __tablename__ = "group_memberships"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    joined: Mapped[bool] = mapped_column()


class Groups:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.groups = Copies(session, GroupRow)
        self.memberships = Copies(session, GroupMembershipRow)

    async def name(self, group_id: str, name: str, version: Version) -> None:
        if await self.groups.apply(group_id, {"name": name}, version):
            await record_change(self.session, GROUP, group_id)

    async def set_member(
        self, group_id: str, member_id: str, *, joined: bool, version: Version
    ) -> None:
        if await self.memberships.apply((group_id, member_id), {"joined": joined}, version):
            await record_change(self.session, MEMBERSHIP, f"{group_id}|{member_id}")
