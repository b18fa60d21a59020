"""Groups' commands and queries: create, read, join or invite, leave or remove.

Membership changes take the group's lock first (Groups.get(for_change=True)): of concurrent
changes, each decides on what the one before it left, so exactly one of them changes a
member's membership and publishes its fact."""

from __future__ import annotations

from shared.contracts.api.content import (
    CreateGroup,
    GroupMembership,
    GroupMemberView,
    GroupQuery,
    GroupSummary,
    GroupView,
    MemberGroups,
    MemberQuery,
    MembershipView,
    OpenGroup,
    OpenGroups,
    OpenGroupsPage,
)
from shared.contracts.operations import Done
from shared.db import UnitOfWork

from ..context import Context, new_id, now, publish
from ..copies.store import Members, Relations, card
from ..paging import cut, time_position
from ..visibility import existing_group, visible_group
from . import domain
from .domain import Group
from .store import Groups

GROUP_MEMBERS_SHOWN = 200


class GroupHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def create_group(self, command: CreateGroup, uow: UnitOfWork) -> GroupView:
        """Create a group, owned by its creator; group.created and group.member_joined."""
        await Members(uow.session).require(command.owner_id, "owner_id")
        at = now()
        group, events = domain.new_group(command, group_id=new_id(), now=at)
        await Groups(uow.session).save(group, at)
        await publish(uow, events)
        return await self._view(uow, group, command.owner_id)

    async def get_group(self, query: GroupQuery, uow: UnitOfWork) -> GroupView:
        """A group, its first members and the viewer's status. A private group is shown to
        its members and invitees only."""
        group = await visible_group(uow.session, query.group_id, query.member_id)
        return await self._view(uow, group, query.member_id)

    async def list_member_groups(self, query: MemberQuery, uow: UnitOfWork) -> MemberGroups:
        """The groups a member is in or invited to (a member's groups are few), by name."""
        await Members(uow.session).require(query.member_id, "member_id")
        store = Groups(uow.session)
        items = []
        for group_id in await store.of_member(query.member_id):
            group = await store.get(group_id, [query.member_id])
            if group is not None and group.status_of(query.member_id) != "none":
                items.append(
                    GroupSummary(
                        id=group.id,
                        name=group.name,
                        topic=group.topic,
                        privacy=group.privacy,
                        member_count=group.member_count,
                        status=group.status_of(query.member_id),
                    )
                )
        items.sort(key=lambda g: (g.name.casefold(), g.id))
        return MemberGroups(member_id=query.member_id, items=items)

    async def list_open_groups(self, query: OpenGroupsPage, uow: UnitOfWork) -> OpenGroups:
        """The open groups anyone may join, newest first, a page at a time, with the
        caller's status in each."""
        await Members(uow.session).require(query.member_id, "member_id")
        store = Groups(uow.session)
        scope = "open-groups"
        rows, more = cut(
            await store.open_page(
                limit=query.limit, after=self.context.read_cursor(query.cursor, scope, "ts")
            ),
            query.limit,
        )
        ids = [row.id for row in rows]
        counts = await store.member_counts(ids)
        joined = await store.joined_among(query.member_id, ids)
        return OpenGroups(
            items=[
                OpenGroup(
                    id=row.id,
                    name=row.name,
                    topic=row.topic,
                    member_count=counts.get(row.id, 0),
                    created_at=row.created_at,
                    status="member" if row.id in joined else "none",
                )
                for row in rows
            ],
            next_cursor=self.context.next_cursor(
                more, scope, time_position(rows[-1] if rows else None)
            ),
        )

    async def put_group_member(self, command: GroupMembership, uow: UnitOfWork) -> MembershipView:
        """Join a group (open, or private when invited), or, as the owner of a private group,
        invite a member to it; group.member_joined when someone joins."""
        members = Members(uow.session)
        await members.require(command.member_id, "member_id")
        await members.require(command.actor_id, "actor_id")
        group = await existing_group(
            uow.session, command.group_id, command.actor_id, command.member_id, for_change=True
        )
        standing = await Relations(uow.session).standing(command.actor_id, command.member_id)
        at = now()
        status, events = domain.join_or_invite(
            group,
            member_id=command.member_id,
            actor_id=command.actor_id,
            standing=standing,
            now=at,
        )
        await Groups(uow.session).save(group, at)
        await publish(uow, events)
        membership = group.members.get(command.member_id)
        return MembershipView(
            group_id=group.id,
            member_id=command.member_id,
            status=status,
            role=membership.role if membership else None,
        )

    async def remove_group_member(self, command: GroupMembership, uow: UnitOfWork) -> Done:
        """Leave a group (or decline an invitation), or, as the owner, remove a member;
        group.member_left."""
        await Members(uow.session).require(command.actor_id, "actor_id")
        group = await existing_group(
            uow.session, command.group_id, command.actor_id, command.member_id, for_change=True
        )
        groups = Groups(uow.session)
        successor = (
            await groups.longest_standing(group.id, excluding=command.member_id)
            if group.owner_id == command.member_id
            else None
        )
        events = domain.leave_or_remove(
            group, member_id=command.member_id, actor_id=command.actor_id, successor=successor
        )
        await groups.save(group, now())
        await publish(uow, events)
        return Done()

    async def _view(self, uow: UnitOfWork, group: Group, viewer_id: str) -> GroupView:
        members = await Groups(uow.session).first_members(group.id, GROUP_MEMBERS_SHOWN)
        cards = await Members(uow.session).cards(m.member_id for m in members)
        return GroupView(
            id=group.id,
            name=group.name,
            topic=group.topic,
            privacy=group.privacy,
            owner_id=group.owner_id,
            created_at=group.created_at,
            member_count=group.member_count,
            members=[
                GroupMemberView(
                    **card(cards, m.member_id).model_dump(), role=m.role, joined_at=m.joined_at
                )
                for m in members
            ],
            status=group.status_of(viewer_id),
        )
