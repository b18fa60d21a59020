"""The rules of chats: who writes in a group's chat, who messages whom. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.envelope import Event
from shared.contracts.events import DirectMessageSent, GroupMessagePosted
from shared.errors import Forbidden, Invalid, NotFound

from ..copies.domain import Standing
from ..groups.domain import Group


@dataclass(frozen=True)
class GroupMessage:
    id: str
    group_id: str
    author_id: str
    body: str
    reply_to_message_id: str | None
    reply_to_author_id: str | None
    mentioned_ids: list[str]
    created_at: datetime


def new_group_message(
    group: Group,
    *,
    message_id: str,
    author_id: str,
    body: str,
    replied: GroupMessage | None,
    mentioned_ids: list[str],
    now: datetime,
) -> tuple[GroupMessage, list[Event]]:
    group.require_member(author_id, "group_id", "write in its chat")
    if replied is not None and replied.group_id != group.id:
        raise NotFound("no such message in this group", field="reply_to_message_id")
    message = GroupMessage(
        id=message_id,
        group_id=group.id,
        author_id=author_id,
        body=body,
        reply_to_message_id=replied.id if replied else None,
        reply_to_author_id=replied.author_id if replied else None,
        mentioned_ids=mentioned_ids,
        created_at=now,
    )
    return message, [
        GroupMessagePosted(
            message_id=message_id,
            group_id=group.id,
            author_id=author_id,
            reply_to_author_id=message.reply_to_author_id,
            mentioned_ids=mentioned_ids,
        )
    ]


@dataclass(frozen=True)
class DirectMessage:
    id: str
    sender_id: str
    recipient_id: str
    body: str
    created_at: datetime


def refuse_self(member_id: str, other_id: str, field: str, what: str) -> None:
    if member_id == other_id:
        raise Invalid(f"a member does not {what} themselves", field=field)


def new_direct_message(
    *,
    message_id: str,
    sender_id: str,
    recipient_id: str,
    body: str,
    standing: Standing,
    now: datetime,
) -> tuple[DirectMessage, list[Event]]:
    refuse_self(sender_id, recipient_id, "recipient_id", "message")
    if standing.blocked:
        raise Forbidden("one of these members has blocked the other", field="recipient_id")
    message = DirectMessage(message_id, sender_id, recipient_id, body, now)
    return message, [
        DirectMessageSent(message_id=message_id, sender_id=sender_id, recipient_id=recipient_id)
    ]
