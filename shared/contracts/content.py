"""Commands and queries of the content service: posts, comments, reactions, shares, groups,
chats, mutes and the feed. Validated by the gateway and again by the service.

Field limits are part of the API and documented in docs/api.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts.commands import MemberId

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PostBody = Annotated[str, StringConstraints(min_length=1, max_length=10_000, strip_whitespace=True)]
CommentBody = Annotated[
    str, StringConstraints(min_length=1, max_length=3_000, strip_whitespace=True)
]
MessageBody = Annotated[
    str, StringConstraints(min_length=1, max_length=2_000, strip_whitespace=True)
]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
GroupTopic = Annotated[str, StringConstraints(max_length=300, strip_whitespace=True)]
Link = Annotated[AnyHttpUrl, Field(max_length=2048)]
Visibility = Literal["connections", "org", "group"]
ReactionKind = Literal["like", "celebrate", "insightful", "support"]
Privacy = Literal["open", "private"]
FeedOrder = Literal["recent", "value"]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
PageSize = Annotated[int, Field(ge=1, le=100)]

LIMITS = {
    "post body": "1-10,000 characters (surrounding white space is trimmed)",
    "comment body, share comment": "1-3,000 characters",
    "message body (group chat, direct message)": "1-2,000 characters",
    "link": "an http(s) URL, at most 2,048 characters",
    "group name": "1-100 characters",
    "group topic": "at most 300 characters",
    "limit": "1-100 items per page (default 20)",
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(_Request):
    limit: PageSize = 20
    cursor: Cursor | None = None


# --- posts ----------------------------------------------------------------------------


class CreatePost(_Request):
    author_id: MemberId
    body: PostBody
    visibility: Visibility | None = None
    group_id: Id | None = None
    link: Link | None = None


class PostChanges(_Request):
    """What the author may change: the body and the link (`"link": null` removes it)."""

    member_id: MemberId
    body: PostBody | None = None
    link: Link | None = None


class EditPost(_Request):
    post_id: Id
    changes: PostChanges


class PostAction(_Request):
    """`member_id` acts on a post (deletes it, or reads it)."""

    post_id: Id
    member_id: MemberId


class CommentsPage(Page):
    post_id: Id
    member_id: MemberId


class CreateComment(_Request):
    post_id: Id
    author_id: MemberId
    body: CommentBody
    reply_to_comment_id: Id | None = None


class CommentAction(_Request):
    post_id: Id
    comment_id: Id
    member_id: MemberId


class SetReaction(_Request):
    post_id: Id
    comment_id: Id | None = None
    member_id: MemberId
    kind: ReactionKind


class RemoveReaction(_Request):
    post_id: Id
    comment_id: Id | None = None
    member_id: MemberId


class SharePost(_Request):
    post_id: Id
    member_id: MemberId
    comment: CommentBody | None = None


# --- groups and chats -----------------------------------------------------------------


class CreateGroup(_Request):
    owner_id: MemberId
    name: GroupName
    topic: GroupTopic = ""
    privacy: Privacy = "open"


class GroupView(_Request):
    group_id: Id
    member_id: MemberId


class GroupMembership(_Request):
    """`actor_id` puts `member_id` into a group: themselves (join) or another (invite)."""

    group_id: Id
    member_id: MemberId
    actor_id: MemberId


class PostGroupMessage(_Request):
    group_id: Id
    author_id: MemberId
    body: MessageBody
    reply_to_message_id: Id | None = None


class GroupMessagesPage(Page):
    group_id: Id
    member_id: MemberId


class SendDirectMessage(_Request):
    sender_id: MemberId
    recipient_id: MemberId
    body: MessageBody


class ConversationPage(Page):
    member_id: MemberId
    other_id: MemberId


# --- feed, mutes, stats ---------------------------------------------------------------


class FeedPage(Page):
    member_id: MemberId
    order: FeedOrder = "recent"


class Mute(_Request):
    member_id: MemberId
    target_id: Id


class MemberQuery(_Request):
    member_id: MemberId
