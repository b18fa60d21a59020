"""A member's erasure (member.deleted): everything of theirs goes from content: their posts,
comments, reactions, shares, messages, memberships, invitations and mutes, mentions of them,
and their place in the copies (a tombstone of the id stays, so late events cannot bring
them back)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import Envelope
from shared.contracts.events import MemberDeleted
from shared.copies import Version
from shared.db import UnitOfWork

from .chats.tables import DirectMessageRow, GroupMessageRow
from .context import Context, now
from .copies.store import Members, Relations
from .engagement.store import Comments
from .engagement.tables import CommentRow, ReactionRow, ShareRow
from .feed.store import Mutes
from .groups import domain as groups
from .groups.store import Groups
from .groups.tables import InvitationRow
from .mentions.store import Mentions
from .posts.store import Posts


class ErasureHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def on_member_deleted(
        self, event: MemberDeleted, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        """group.member_left (member_deleted) for each group the member was in; the owner's
        groups pass to their longest-standing other member."""
        uow.after_erasure(event.member_id)
        member_id, s = event.member_id, uow.session
        await Members(s).erase(member_id, Version.of(envelope))
        relations = Relations(s)
        for other in await relations.forget(member_id):
            await relations.refresh_audience(other)
        engaged = await engaged_posts(s, member_id)
        store = Groups(s)
        for group_id in await store.of_member(member_id):
            group = await store.get(group_id, [member_id], for_change=True)
            if group is None:
                continue
            successor = (
                await store.longest_standing(group_id, excluding=member_id)
                if group.owner_id == member_id
                else None
            )
            for left in groups.erase_member(group, member_id, successor):
                await uow.publish(left)
            await store.save(group, now())
        await erase_content_of(s, member_id)
        await Posts(s).rescore(engaged, self.context.rules)


async def engaged_posts(session: AsyncSession, member_id: str) -> set[str]:
    """Posts the member reacted to, commented on or shared (scored again once they go)."""
    reacted = await session.scalars(
        select(ReactionRow.post_id).where(ReactionRow.actor_id == member_id)
    )
    commented = await session.scalars(
        select(CommentRow.post_id).where(CommentRow.author_id == member_id)
    )
    shared = await session.scalars(select(ShareRow.post_id).where(ShareRow.sharer_id == member_id))
    return {*reacted, *commented, *shared}


async def erase_content_of(session: AsyncSession, member_id: str) -> None:
    s = session
    await Posts(s).delete(await Posts(s).ids_by(author_id=member_id))
    comments = Comments(s)
    await comments.delete(await comments.ids_by(member_id))
    await s.execute(delete(ReactionRow).where(ReactionRow.actor_id == member_id))
    await s.execute(delete(ShareRow).where(ShareRow.sharer_id == member_id))
    messages = list(
        await s.scalars(select(GroupMessageRow.id).where(GroupMessageRow.author_id == member_id))
    )
    await Mentions(s).forget_items(messages)
    await s.execute(delete(GroupMessageRow).where(GroupMessageRow.author_id == member_id))
    await s.execute(
        update(GroupMessageRow)
        .where(GroupMessageRow.reply_to_author_id == member_id)
        .values(reply_to_message_id=None, reply_to_author_id=None)
    )
    await s.execute(
        delete(DirectMessageRow).where(
            or_(
                DirectMessageRow.sender_id == member_id,
                DirectMessageRow.recipient_id == member_id,
            )
        )
    )
    await Mentions(s).forget_member(member_id)
    await Mutes(s).forget_member(member_id)
    await s.execute(
        delete(InvitationRow).where(
            or_(InvitationRow.member_id == member_id, InvitationRow.invited_by == member_id)
        )
    )
