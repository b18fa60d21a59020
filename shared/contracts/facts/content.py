"""Facts published by the content service (stream CONTENT).

They name the actor and every member concerned, so that the aggregator never looks anything
up, and they carry no message bodies: who, what kind, and when (the envelope's time).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.envelope import Event

Id = str
Visibility = Literal["connections", "org", "group"]
ReactionKind = Literal["like", "celebrate", "insightful", "support"]


class _ContentEvent(Event):
    domain = "content"


class PostCreated(_ContentEvent):
    """A member posted; names the members it mentions."""

    type = "post.created"

    post_id: Id
    author_id: Id
    visibility: Visibility
    group_id: Id | None = None
    mentioned_ids: list[Id] = Field(default_factory=list)
    has_link: bool = False

    def entity(self) -> str:
        return self.post_id


class PostEdited(_ContentEvent):
    """The author edited a post; names the members the edit newly mentions."""

    type = "post.edited"

    post_id: Id
    author_id: Id
    mentioned_ids: list[Id] = Field(default_factory=list)
    added_mention_ids: list[Id] = Field(default_factory=list)

    def entity(self) -> str:
        return self.post_id


class PostDeleted(_ContentEvent):
    """A post was deleted by its author, or with its author's erasure."""

    type = "post.deleted"

    post_id: Id
    author_id: Id
    reason: Literal["deleted", "member_deleted"] = "deleted"

    def entity(self) -> str:
        return self.post_id


class CommentCreated(_ContentEvent):
    """A member commented on a post, or replied to a comment."""

    type = "comment.created"

    comment_id: Id
    post_id: Id
    author_id: Id
    post_author_id: Id
    reply_to_comment_id: Id | None = None
    reply_to_author_id: Id | None = None
    mentioned_ids: list[Id] = Field(default_factory=list)

    def entity(self) -> str:
        return self.comment_id


class CommentDeleted(_ContentEvent):
    """A comment was deleted, by its author or by the post's author."""

    type = "comment.deleted"

    comment_id: Id
    post_id: Id
    author_id: Id
    post_author_id: Id
    actor_id: Id | None = None

    def entity(self) -> str:
        return self.comment_id


class ReactionSet(_ContentEvent):
    """A member reacted to a post or a comment, or changed their reaction."""

    type = "reaction.set"

    target: Literal["post", "comment"]
    post_id: Id
    comment_id: Id | None = None
    actor_id: Id
    target_author_id: Id
    kind: ReactionKind
    previous_kind: ReactionKind | None = None
    post_author_id: Id | None = None

    def entity(self) -> str:
        return self.comment_id or self.post_id


class ReactionRemoved(_ContentEvent):
    """A member removed their reaction."""

    type = "reaction.removed"

    target: Literal["post", "comment"]
    post_id: Id
    comment_id: Id | None = None
    actor_id: Id
    target_author_id: Id
    kind: ReactionKind
    post_author_id: Id | None = None

    def entity(self) -> str:
        return self.comment_id or self.post_id


class PostShared(_ContentEvent):
    """A member shared another's post (with or without a comment of their own)."""

    type = "post.shared"

    share_id: Id
    post_id: Id
    actor_id: Id
    post_author_id: Id
    with_comment: bool = False

    def entity(self) -> str:
        return self.share_id


class GroupCreated(_ContentEvent):
    """A member created a group (and is its owner)."""

    type = "group.created"

    group_id: Id
    owner_id: Id
    name: str
    topic: str = ""
    privacy: Literal["open", "private"]

    def entity(self) -> str:
        return self.group_id


class GroupMemberJoined(_ContentEvent):
    """A member joined a group (an open one, or a private one they were invited to)."""

    type = "group.member_joined"

    group_id: Id
    member_id: Id
    role: Literal["owner", "member"] = "member"
    invited_by: Id | None = None

    def entity(self) -> str:
        return self.group_id


class GroupMemberLeft(_ContentEvent):
    """A member left a group, was removed, or was erased."""

    type = "group.member_left"

    group_id: Id
    member_id: Id
    reason: Literal["left", "removed", "member_deleted"] = "left"

    def entity(self) -> str:
        return self.group_id


class GroupMessagePosted(_ContentEvent):
    """A member wrote in a group's chat; names whom they replied to and mentioned."""

    type = "group.message_posted"

    message_id: Id
    group_id: Id
    author_id: Id
    reply_to_author_id: Id | None = None
    mentioned_ids: list[Id] = Field(default_factory=list)

    def entity(self) -> str:
        return self.message_id


class DirectMessageSent(_ContentEvent):
    """A member sent a direct message to another."""

    type = "direct_message.sent"

    message_id: Id
    sender_id: Id
    recipient_id: Id

    def entity(self) -> str:
        return self.message_id


EVENTS: tuple[type[Event], ...] = (
    PostCreated,
    PostEdited,
    PostDeleted,
    CommentCreated,
    CommentDeleted,
    ReactionSet,
    ReactionRemoved,
    PostShared,
    GroupCreated,
    GroupMemberJoined,
    GroupMemberLeft,
    GroupMessagePosted,
    DirectMessageSent,
)

__all__ = [cls.__name__ for cls in EVENTS]
