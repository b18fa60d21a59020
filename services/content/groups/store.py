"""Groups in the database: the repository, with the lock that makes membership changes of
one group happen one at a time, and the cascade of a group's deletion."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..chats.tables import GroupMessageRow
from ..feed.tables import MuteRow
from ..mentions.store import Mentions
from ..paging import before
from ..posts.store import Posts
from .domain import Group, Membership
from .tables import GroupMemberRow, GroupRow, InvitationRow


class Groups:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, group_id: str, involving: Iterable[str] = (), *, for_change: bool = False
    ) -> Group | None:
        """The group with the memberships and invitations of the `involving` members (a
        group may have thousands of members; a command concerns one or two).

        `for_change`: first take the group's row lock until commit, so that changes of one
        group's membership run one at a time, each deciding on what the one before it left:
        of two concurrent joins, leaves or handovers of ownership exactly one changes
        anything, member counts stay exact, and the last member out is known. (SQLite: the
        write begins the transaction, and SQLite writes one transaction at a time.)"""
        if for_change and not await self._lock(group_id):
            return None
        row = await self.session.get(GroupRow, group_id, populate_existing=for_change)
        if row is None:
            return None
        involved = set(involving)
        if row.owner_id:
            involved.add(row.owner_id)
        group = Group(row.id, row.name, row.topic, row.privacy, row.owner_id, row.created_at)
        if involved:
            members = await self.session.scalars(
                select(GroupMemberRow).where(
                    GroupMemberRow.group_id == group_id, GroupMemberRow.member_id.in_(involved)
                ),
                execution_options={"populate_existing": True},
            )
            group.members = {
                m.member_id: Membership(m.member_id, m.role, m.joined_at) for m in members
            }
            invitations = await self.session.scalars(
                select(InvitationRow).where(
                    InvitationRow.group_id == group_id, InvitationRow.member_id.in_(involved)
                ),
                execution_options={"populate_existing": True},
            )
            group.invited = {i.member_id: i.invited_by for i in invitations}
        group.member_count = await self.member_count(group_id)
        group.loaded = involved
        return group

    async def _lock(self, group_id: str) -> bool:
        result = await self.session.execute(
            update(GroupRow)
            .where(GroupRow.id == group_id)
            .values(owner_id=GroupRow.owner_id)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def member_count(self, group_id: str) -> int:
        return (
            await self.session.scalar(
                select(func.count()).where(GroupMemberRow.group_id == group_id)
            )
            or 0
        )

    async def longest_standing(self, group_id: str, excluding: str) -> Membership | None:
        row = await self.session.scalar(
            select(GroupMemberRow)
            .where(GroupMemberRow.group_id == group_id, GroupMemberRow.member_id != excluding)
            .order_by(GroupMemberRow.joined_at, GroupMemberRow.member_id)
            .limit(1)
        )
        return Membership(row.member_id, row.role, row.joined_at) if row else None

    async def is_member(self, group_id: str, member_id: str) -> bool:
        return await self.session.get(GroupMemberRow, (group_id, member_id)) is not None

    async def first_members(self, group_id: str, limit: int) -> list[GroupMemberRow]:
        return list(
            await self.session.scalars(
                select(GroupMemberRow)
                .where(GroupMemberRow.group_id == group_id)
                .order_by(GroupMemberRow.joined_at, GroupMemberRow.member_id)
                .limit(limit)
            )
        )

    async def save(self, group: Group, now: datetime) -> None:
        if group.deleted:
            await self.delete(group.id)
            return
        row = await self.session.get(GroupRow, group.id)
        if row is None:
            self.session.add(
                GroupRow(
                    id=group.id,
                    name=group.name,
                    topic=group.topic,
                    privacy=group.privacy,
                    owner_id=group.owner_id,
                    created_at=group.created_at,
                )
            )
        else:
            row.owner_id = group.owner_id
        for member_id in group.loaded | set(group.members) | set(group.left):
            await self._save_membership(group, member_id, now)
        await self.session.flush()

    async def _save_membership(self, group: Group, member_id: str, now: datetime) -> None:
        key = (group.id, member_id)
        membership = group.members.get(member_id)
        row = await self.session.get(GroupMemberRow, key)
        if membership is None and row is not None:
            await self.session.delete(row)
        elif membership is not None and row is None:
            self.session.add(
                GroupMemberRow(
                    group_id=group.id,
                    member_id=member_id,
                    role=membership.role,
                    joined_at=membership.joined_at,
                )
            )
        elif membership is not None and row is not None:
            row.role = membership.role
        inviter = group.invited.get(member_id)
        invitation = await self.session.get(InvitationRow, key)
        if inviter is None and invitation is not None:
            await self.session.delete(invitation)
        elif inviter is not None and invitation is None:
            self.session.add(
                InvitationRow(
                    group_id=group.id, member_id=member_id, invited_by=inviter, invited_at=now
                )
            )

    async def delete(self, group_id: str) -> None:
        """A group goes with its posts, chat, memberships, invitations and mutes of it."""
        await Posts(self.session).delete(await Posts(self.session).ids_by(group_id=group_id))
        messages = list(
            await self.session.scalars(
                select(GroupMessageRow.id).where(GroupMessageRow.group_id == group_id)
            )
        )
        await Mentions(self.session).forget_items(messages)
        for table in (GroupMessageRow, GroupMemberRow, InvitationRow):
            await self.session.execute(delete(table).where(table.group_id == group_id))
        await self.session.execute(delete(MuteRow).where(MuteRow.target_id == group_id))
        await self.session.execute(delete(GroupRow).where(GroupRow.id == group_id))

    async def open_page(self, *, limit: int, after: tuple | None) -> list[GroupRow]:
        """Open groups, newest first: `limit` + 1 after the position `after`."""
        query = (
            select(GroupRow)
            .where(GroupRow.privacy == "open")
            .order_by(GroupRow.created_at.desc(), GroupRow.id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(before(GroupRow.created_at, GroupRow.id, *after))
        return list(await self.session.scalars(query))

    async def member_counts(self, group_ids: list[str]) -> dict[str, int]:
        rows = await self.session.execute(
            select(GroupMemberRow.group_id, func.count())
            .where(GroupMemberRow.group_id.in_(group_ids))
            .group_by(GroupMemberRow.group_id)
        )
        return {group_id: count for group_id, count in rows.tuples()}

    async def joined_among(self, member_id: str, group_ids: list[str]) -> set[str]:
        rows = await self.session.scalars(
            select(GroupMemberRow.group_id).where(
                GroupMemberRow.member_id == member_id, GroupMemberRow.group_id.in_(group_ids)
            )
        )
        return set(rows)

    async def of_member(self, member_id: str) -> list[str]:
        """Groups the member is in or invited to."""
        joined = await self.session.scalars(
            select(GroupMemberRow.group_id).where(GroupMemberRow.member_id == member_id)
        )
        invited = await self.session.scalars(
            select(InvitationRow.group_id).where(InvitationRow.member_id == member_id)
        )
        return sorted({*joined, *invited})
