"""Chats: a group's messages, and direct messages between two members."""

from __future__ import annotations

from datetime import datetime

from ...fields import MemberId
from ...operations import SELF, Answer, Request, operation
from .common import SERVICE, Id, MemberCard, MessageBody, Page


class GroupMessageText(Request):
    """POST /v1/groups/{group_id}/messages: the author is the caller."""

    body: MessageBody
    reply_to_message_id: Id | None = None


class NewGroupMessage(GroupMessageText):
    author_id: MemberId


class PostGroupMessage(NewGroupMessage):
    group_id: Id


class GroupMessagesPage(Page):
    group_id: Id
    member_id: MemberId


class DirectMessageText(Request):
    """POST /v1/direct-messages: the sender is the caller."""

    recipient_id: MemberId
    body: MessageBody


class SendDirectMessage(DirectMessageText):
    sender_id: MemberId


class ConversationsPage(Page):
    member_id: MemberId


class ConversationPage(Page):
    member_id: MemberId
    other_id: MemberId


class GroupMessageView(Answer):
    id: str
    group_id: str
    author: MemberCard
    body: str
    reply_to_message_id: str | None
    reply_to_author_id: str | None
    mentions: list[MemberCard]
    created_at: datetime


class GroupMessages(Answer):
    group_id: str
    items: list[GroupMessageView]
    next_cursor: str | None


class DirectMessageView(Answer):
    id: str
    sender_id: str
    recipient_id: str
    body: str
    created_at: datetime


class Conversation(Answer):
    member_id: str
    other_id: str
    items: list[DirectMessageView]
    next_cursor: str | None


class ConversationSummary(Answer):
    """One of a member's conversations: the other member and the latest message."""

    other: MemberCard
    latest: DirectMessageView


class Conversations(Answer):
    member_id: str
    items: list[ConversationSummary]
    next_cursor: str | None


post_group_message = operation(
    SERVICE,
    "post_group_message",
    PostGroupMessage,
    GroupMessageView,
    "Write in a group's chat (members only)",
    errors=(403, 404),
    idempotent=True,
    access=SELF("author_id"),
)
list_group_messages = operation(
    SERVICE,
    "list_group_messages",
    GroupMessagesPage,
    GroupMessages,
    "A group's chat, newest first",
    errors=(403, 404),
    access=SELF(),
)
send_direct_message = operation(
    SERVICE,
    "send_direct_message",
    SendDirectMessage,
    DirectMessageView,
    "Send a direct message to another member",
    errors=(403, 404, 422),
    idempotent=True,
    access=SELF("sender_id"),
)
list_conversation = operation(
    SERVICE,
    "list_conversation",
    ConversationPage,
    Conversation,
    "The direct messages between two members, newest first",
    errors=(404, 422),
    access=SELF(),
)
list_conversations = operation(
    SERVICE,
    "list_conversations",
    ConversationsPage,
    Conversations,
    "A member's conversations, the latest message first",
    errors=(404,),
    access=SELF(),
)
