"""Chats in the database: group messages and direct messages, and their listings."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..copies.queries import not_blocked_with
from ..mentions.store import Mentions
from ..paging import before
from .domain import DirectMessage, GroupMessage
from .tables import DirectMessageRow, GroupMessageRow, pair_key


class GroupMessages:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, message_id: str) -> GroupMessage | None:
        row = await self.session.get(GroupMessageRow, message_id)
        return _to_group_message(row, []) if row else None

    async def add(self, message: GroupMessage) -> None:
        self.session.add(
            GroupMessageRow(
                id=message.id,
                group_id=message.group_id,
                author_id=message.author_id,
                body=message.body,
                reply_to_message_id=message.reply_to_message_id,
                reply_to_author_id=message.reply_to_author_id,
                created_at=message.created_at,
            )
        )
        await self.session.flush()
        await Mentions(self.session).add(message.id, message.mentioned_ids)

    async def page(
        self, *, group_id: str, viewer_id: str, limit: int, after: tuple | None
    ) -> list[GroupMessage]:
        """A group's chat, newest first, leaving out members blocked either way with the
        viewer: `limit` + 1 messages after the position `after`, with their mentions."""
        query = (
            select(GroupMessageRow)
            .where(
                GroupMessageRow.group_id == group_id,
                not_blocked_with(viewer_id, GroupMessageRow.author_id),
            )
            .order_by(GroupMessageRow.created_at.desc(), GroupMessageRow.id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(before(GroupMessageRow.created_at, GroupMessageRow.id, *after))
        rows = list(await self.session.scalars(query))
        mentions = await Mentions(self.session).of(r.id for r in rows)
        return [_to_group_message(r, mentions.get(r.id, [])) for r in rows]


def _to_group_message(row: GroupMessageRow, mentioned: list[str]) -> GroupMessage:
    return GroupMessage(
        row.id,
        row.group_id,
        row.author_id,
        row.body,
        row.reply_to_message_id,
        row.reply_to_author_id,
        mentioned,
        row.created_at,
    )


class DirectMessages:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: DirectMessage) -> None:
        self.session.add(
            DirectMessageRow(
                id=message.id,
                pair=pair_key(message.sender_id, message.recipient_id),
                sender_id=message.sender_id,
                recipient_id=message.recipient_id,
                body=message.body,
                created_at=message.created_at,
            )
        )
        await self.session.flush()

    async def page(self, *, pair: str, limit: int, after: tuple | None) -> list[DirectMessage]:
        """The conversation of a pair, newest first: `limit` + 1 messages after `after`."""
        query = (
            select(DirectMessageRow)
            .where(DirectMessageRow.pair == pair)
            .order_by(DirectMessageRow.created_at.desc(), DirectMessageRow.id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(before(DirectMessageRow.created_at, DirectMessageRow.id, *after))
        return [
            DirectMessage(r.id, r.sender_id, r.recipient_id, r.body, r.created_at)
            for r in await self.session.scalars(query)
        ]

    async def latest_per_pair(
        self, *, member_id: str, limit: int, after: tuple | None
    ) -> list[DirectMessage]:
        """The latest message of each of the member's conversations, newest first: `limit`
        + 1 after the position `after`."""
        ranked = (
            select(
                DirectMessageRow,
                func.row_number()
                .over(
                    partition_by=DirectMessageRow.pair,
                    order_by=(DirectMessageRow.created_at.desc(), DirectMessageRow.id.desc()),
                )
                .label("rank"),
            )
            .where(
                or_(
                    DirectMessageRow.sender_id == member_id,
                    DirectMessageRow.recipient_id == member_id,
                )
            )
            .subquery()
        )
        query = (
            select(ranked)
            .where(ranked.c.rank == 1)
            .order_by(ranked.c.created_at.desc(), ranked.c.id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(before(ranked.c.created_at, ranked.c.id, *after))
        return [
            DirectMessage(r.id, r.sender_id, r.recipient_id, r.body, r.created_at)
            for r in await self.session.execute(query)
        ]
