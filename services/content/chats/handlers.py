"""Chats' commands and queries: a group's chat and direct messages."""

from __future__ import annotations

from shared.contracts.api.content import (
    Conversation,
    ConversationPage,
    Conversations,
    ConversationsPage,
    ConversationSummary,
    DirectMessageView,
    GroupMessages,
    GroupMessagesPage,
    GroupMessageView,
    PostGroupMessage,
    SendDirectMessage,
)
from shared.db import UnitOfWork
from shared.errors import NotFound

from ..context import Context, new_id, now, publish
from ..copies.store import Members, Relations, card
from ..mentions.store import Mentions
from ..paging import cut, time_position
from ..visibility import existing_group, visible_group
from . import domain
from .domain import DirectMessage, GroupMessage
from .store import DirectMessages
from .store import GroupMessages as GroupMessageStore
from .tables import pair_key


class ChatHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def post_group_message(
        self, command: PostGroupMessage, uow: UnitOfWork
    ) -> GroupMessageView:
        """Write in a group's chat (members only), optionally replying to a message;
        group.message_posted."""
        s = uow.session
        await Members(s).require(command.author_id, "author_id")
        # the group's lock: a member leaving or the group going waits, or goes first
        group = await existing_group(s, command.group_id, command.author_id, for_change=True)
        messages = GroupMessageStore(s)
        replied = None
        if command.reply_to_message_id:
            replied = await messages.get(command.reply_to_message_id)
            hidden = (
                replied is not None
                and (await Relations(s).standing(command.author_id, replied.author_id)).blocked
            )
            if replied is None or hidden:
                raise NotFound(
                    f"no message with id {command.reply_to_message_id} in this group",
                    field="reply_to_message_id",
                )
        message, events = domain.new_group_message(
            group,
            message_id=new_id(),
            author_id=command.author_id,
            body=command.body,
            replied=replied,
            mentioned_ids=await Mentions(s).resolve(
                command.body,
                author_id=command.author_id,
                limit=self.context.config.max_mentions,
            ),
            now=now(),
        )
        await messages.add(message)
        await publish(uow, events)
        return (await _group_message_views(uow, [message]))[0]

    async def list_group_messages(self, query: GroupMessagesPage, uow: UnitOfWork) -> GroupMessages:
        """A group's chat, newest first, a page at a time (members only)."""
        group = await visible_group(uow.session, query.group_id, query.member_id)
        group.require_member(query.member_id, "member_id", "read its chat")
        scope = f"group-messages:{group.id}:{query.member_id}"
        messages, more = cut(
            await GroupMessageStore(uow.session).page(
                group_id=group.id,
                viewer_id=query.member_id,
                limit=query.limit,
                after=self.context.read_cursor(query.cursor, scope, "ts"),
            ),
            query.limit,
        )
        return GroupMessages(
            group_id=group.id,
            items=await _group_message_views(uow, messages),
            next_cursor=self.context.next_cursor(
                more, scope, time_position(messages[-1] if messages else None)
            ),
        )

    async def send_direct_message(
        self, command: SendDirectMessage, uow: UnitOfWork
    ) -> DirectMessageView:
        """Send a direct message (never to oneself, nor across a block); direct_message.sent."""
        domain.refuse_self(command.sender_id, command.recipient_id, "recipient_id", "message")
        members = Members(uow.session)
        await members.require(command.sender_id, "sender_id")
        await members.require(command.recipient_id, "recipient_id")
        message, events = domain.new_direct_message(
            message_id=new_id(),
            sender_id=command.sender_id,
            recipient_id=command.recipient_id,
            body=command.body,
            standing=await Relations(uow.session).standing(command.sender_id, command.recipient_id),
            now=now(),
        )
        await DirectMessages(uow.session).add(message)
        await publish(uow, events)
        return _direct_message_view(message)

    async def list_conversation(self, query: ConversationPage, uow: UnitOfWork) -> Conversation:
        """The direct messages between two members, newest first, for either of them."""
        domain.refuse_self(query.member_id, query.other_id, "other_id", "converse with")
        members = Members(uow.session)
        await members.require(query.member_id, "member_id")
        await members.require(query.other_id, "other_id")
        pair = pair_key(query.member_id, query.other_id)
        scope = f"conversation:{pair}:{query.member_id}"
        messages, more = cut(
            await DirectMessages(uow.session).page(
                pair=pair,
                limit=query.limit,
                after=self.context.read_cursor(query.cursor, scope, "ts"),
            ),
            query.limit,
        )
        return Conversation(
            member_id=query.member_id,
            other_id=query.other_id,
            items=[_direct_message_view(m) for m in messages],
            next_cursor=self.context.next_cursor(
                more, scope, time_position(messages[-1] if messages else None)
            ),
        )

    async def list_conversations(self, query: ConversationsPage, uow: UnitOfWork) -> Conversations:
        """A member's conversations, each with the other member and the latest message,
        the most recent conversation first."""
        members = Members(uow.session)
        await members.require(query.member_id, "member_id")
        scope = f"conversations:{query.member_id}"
        latest, more = cut(
            await DirectMessages(uow.session).latest_per_pair(
                member_id=query.member_id,
                limit=query.limit,
                after=self.context.read_cursor(query.cursor, scope, "ts"),
            ),
            query.limit,
        )
        others = [_other(m, query.member_id) for m in latest]
        cards = await members.cards(others)
        return Conversations(
            member_id=query.member_id,
            items=[
                ConversationSummary(other=card(cards, other), latest=_direct_message_view(m))
                for other, m in zip(others, latest, strict=True)
            ],
            next_cursor=self.context.next_cursor(
                more, scope, time_position(latest[-1] if latest else None)
            ),
        )


def _other(message: DirectMessage, member_id: str) -> str:
    return message.recipient_id if message.sender_id == member_id else message.sender_id


async def _group_message_views(
    uow: UnitOfWork, messages: list[GroupMessage]
) -> list[GroupMessageView]:
    cards = await Members(uow.session).cards(
        {*(m.author_id for m in messages), *(i for m in messages for i in m.mentioned_ids)}
    )
    return [
        GroupMessageView(
            id=m.id,
            group_id=m.group_id,
            author=card(cards, m.author_id),
            body=m.body,
            reply_to_message_id=m.reply_to_message_id,
            reply_to_author_id=m.reply_to_author_id,
            mentions=[cards[i] for i in m.mentioned_ids if i in cards],
            created_at=m.created_at,
        )
        for m in messages
    ]


def _direct_message_view(message: DirectMessage) -> DirectMessageView:
    return DirectMessageView(
        id=message.id,
        sender_id=message.sender_id,
        recipient_id=message.recipient_id,
        body=message.body,
        created_at=message.created_at,
    )
