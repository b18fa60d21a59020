"""The content service's API: posts, comments, reactions, shares, groups, chats, the feed,
mutes and content stats. Validated by the gateway and again by the service.

Field limits are part of the API and documented in docs/api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ..fields import BodyText, MemberId, PlainText, http_url
from ..operations import SELF, Answer, Done, Request, operation, ping_operation

SERVICE = "content"

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PostBody = Annotated[
    str, StringConstraints(min_length=1, max_length=10_000, strip_whitespace=True), BodyText
]
CommentBody = Annotated[
    str, StringConstraints(min_length=1, max_length=3_000, strip_whitespace=True), BodyText
]
MessageBody = Annotated[
    str, StringConstraints(min_length=1, max_length=2_000, strip_whitespace=True), BodyText
]
GroupName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), PlainText
]
GroupTopic = Annotated[str, StringConstraints(max_length=300, strip_whitespace=True), PlainText]
Link = http_url(2048)
Visibility = Literal["connections", "org", "group"]
ReactionKind = Literal["like", "celebrate", "insightful", "support"]
REACTION_KINDS: tuple[str, ...] = ("like", "celebrate", "insightful", "support")
Privacy = Literal["open", "private"]
FeedOrder = Literal["recent", "value"]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
PageSize = Annotated[int, Field(ge=1, le=100)]

LIMITS = {
    "post body": "1-10,000 characters (surrounding white space is trimmed)",
    "comment body, share comment": "1-3,000 characters",
    "message body (group chat, direct message)": "1-2,000 characters",
    "bodies": "no control character but tab and line breaks",
    "link": "an http(s) URL, at most 2,048 characters",
    "group name": "1-100 characters, one line, no bidirectional or zero-width characters",
    "group topic": "at most 300 characters, same characters as the name",
    "limit": "1-100 items per page (default 20)",
}


class Page(Request):
    limit: PageSize = 20
    cursor: Cursor | None = None


# --- requests: posts --------------------------------------------------------------------


class NewPost(Request):
    """POST /v1/posts: the author is the caller."""

    body: PostBody
    visibility: Visibility | None = None
    group_id: Id | None = None
    link: Link | None = None


class CreatePost(NewPost):
    author_id: MemberId


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


class PostEdits(Request):
    """What the author may change: the body and the link (`"link": null` removes it). A post
    always has a body: absent, it is unchanged; null is refused."""

    body: PostBody = Field(None, json_schema_extra=_no_default)
    link: Link | None = None


class PostChanges(PostEdits):
    member_id: MemberId  # the caller, from the token


class EditPost(Request):
    post_id: Id
    changes: PostChanges


class Actor(Request):
    """The member acting (the caller, from the token)."""

    member_id: MemberId


class PostAction(Actor):
    """`member_id` acts on a post (deletes it, or reads it)."""

    post_id: Id


# --- requests: comments, reactions, shares ----------------------------------------------


class CommentText(Request):
    """POST /v1/posts/{post_id}/comments: the author is the caller."""

    body: CommentBody
    reply_to_comment_id: Id | None = None


class NewComment(CommentText):
    author_id: MemberId


class CreateComment(NewComment):
    post_id: Id


class CommentAction(Actor):
    post_id: Id
    comment_id: Id


class CommentsPage(Page):
    post_id: Id
    member_id: MemberId


class ReactionChoice(Request):
    kind: ReactionKind


class SetReaction(ReactionChoice):
    post_id: Id
    comment_id: Id | None = None
    member_id: MemberId


class RemoveReaction(Request):
    post_id: Id
    comment_id: Id | None = None
    member_id: MemberId


class ShareComment(Request):
    """POST /v1/posts/{post_id}/shares: the caller shares."""

    comment: CommentBody | None = None


class NewShare(ShareComment):
    member_id: MemberId


class SharePost(NewShare):
    post_id: Id


# --- requests: groups and chats ---------------------------------------------------------


class NewGroup(Request):
    """POST /v1/groups: the caller owns the group."""

    name: GroupName
    topic: GroupTopic = ""
    privacy: Privacy = "open"


class CreateGroup(NewGroup):
    owner_id: MemberId


class GroupQuery(Request):
    group_id: Id
    member_id: MemberId


class OpenGroupsPage(Page):
    """GET /v1/groups: the open groups anyone may join, newest first; `member_id` is the
    caller (their status in each)."""

    member_id: MemberId


class GroupMembership(Request):
    """`actor_id` puts `member_id` into a group: themselves (join) or another (invite)."""

    group_id: Id
    member_id: MemberId
    actor_id: MemberId


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


# --- requests: feed, mutes, stats -------------------------------------------------------


class FeedPage(Page):
    member_id: MemberId
    order: FeedOrder = "recent"


class Mute(Request):
    member_id: MemberId
    target_id: Id


class MemberQuery(Request):
    member_id: MemberId


# --- replies ----------------------------------------------------------------------------


class MemberCard(Answer):
    """A member as content shows them (handle and name are null once they are unknown)."""

    member_id: str
    handle: str | None = None
    name: str | None = None


class ReactionCounts(Answer):
    like: int = 0
    celebrate: int = 0
    insightful: int = 0
    support: int = 0


class PostView(Answer):
    id: str
    author: MemberCard
    body: str
    visibility: Visibility
    group_id: str | None
    link: str | None
    mentions: list[MemberCard]
    created_at: datetime
    edited_at: datetime | None
    reactions: ReactionCounts
    comments: int
    shares: int
    my_reaction: ReactionKind | None
    author_audience: int
    value: float


class CommentView(Answer):
    id: str
    post_id: str
    author: MemberCard
    body: str
    thread_id: str | None
    reply_to_comment_id: str | None
    reply_to: MemberCard | None
    mentions: list[MemberCard]
    created_at: datetime
    reactions: ReactionCounts
    my_reaction: ReactionKind | None


class Comments(Answer):
    post_id: str
    items: list[CommentView]
    next_cursor: str | None


class ReactionView(Answer):
    post_id: str
    comment_id: str | None
    member_id: str
    kind: ReactionKind


class ShareView(Answer):
    id: str
    post_id: str
    member_id: str
    comment: str | None
    created_at: datetime


class GroupMemberView(MemberCard):
    role: Literal["owner", "member"]
    joined_at: datetime


class GroupView(Answer):
    id: str
    name: str
    topic: str
    privacy: Privacy
    owner_id: str | None
    created_at: datetime
    member_count: int
    members: list[GroupMemberView]
    status: Literal["member", "invited", "none"]


class MembershipView(Answer):
    group_id: str
    member_id: str
    status: Literal["member", "invited"]
    role: Literal["owner", "member"] | None


class GroupSummary(Answer):
    id: str
    name: str
    topic: str
    privacy: Privacy
    member_count: int
    status: Literal["member", "invited"]


class MemberGroups(Answer):
    member_id: str
    items: list[GroupSummary]


class OpenGroup(Answer):
    id: str
    name: str
    topic: str
    member_count: int
    created_at: datetime
    status: Literal["member", "none"]


class OpenGroups(Answer):
    items: list[OpenGroup]
    next_cursor: str | None


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


class FeedItem(Answer):
    """A post, or a share of one (then with who shared it and their comment)."""

    kind: Literal["post", "share"]
    id: str
    at: datetime
    shared_by: MemberCard | None = None
    comment: str | None = None
    post: PostView


class Feed(Answer):
    member_id: str
    order: FeedOrder
    items: list[FeedItem]
    next_cursor: str | None


class MuteView(Answer):
    member_id: str
    target_id: str
    kind: Literal["member", "group"]
    muted: bool
    since: datetime


class MuteList(Answer):
    member_id: str
    items: list[MuteView]


class Engagement(Answer):
    reactions: int
    comments: int
    shares: int
    members: int


class ContentStats(Answer):
    member_id: str
    window_days: float
    since: datetime
    posts: int
    engagement_received: Engagement
    engagement_given: Engagement
    audience: int
    content_value: float


# --- operations -------------------------------------------------------------------------

ping = ping_operation(SERVICE)
create_post = operation(
    SERVICE,
    "create_post",
    CreatePost,
    PostView,
    "Publish a post",
    errors=(403, 404, 422),
    idempotent=True,
    access=SELF("author_id"),
)
get_post = operation(
    SERVICE,
    "get_post",
    PostAction,
    PostView,
    "A post with its counts and content value",
    errors=(404,),
    access=SELF(),
)
edit_post = operation(
    SERVICE,
    "edit_post",
    EditPost,
    PostView,
    "The author edits a post's body or link",
    errors=(403, 404, 422),
    access=SELF(),
)
delete_post = operation(
    SERVICE,
    "delete_post",
    PostAction,
    Done,
    "The author deletes a post",
    errors=(403, 404),
    access=SELF(),
)
create_comment = operation(
    SERVICE,
    "create_comment",
    CreateComment,
    CommentView,
    "Comment on a post, or reply to a comment",
    errors=(404,),
    idempotent=True,
    access=SELF("author_id"),
)
delete_comment = operation(
    SERVICE,
    "delete_comment",
    CommentAction,
    Done,
    "The comment's or the post's author deletes a comment and its replies",
    errors=(403, 404),
    access=SELF(),
)
list_comments = operation(
    SERVICE,
    "list_comments",
    CommentsPage,
    Comments,
    "A post's comments, oldest first",
    errors=(404,),
    access=SELF(),
)
set_reaction = operation(
    SERVICE,
    "set_reaction",
    SetReaction,
    ReactionView,
    "React to a post or a comment, or change the reaction (one per member)",
    errors=(404, 409),
    access=SELF(),
)
remove_reaction = operation(
    SERVICE,
    "remove_reaction",
    RemoveReaction,
    Done,
    "Remove a reaction to a post or a comment",
    errors=(404, 409),
    access=SELF(),
)
share_post = operation(
    SERVICE,
    "share_post",
    SharePost,
    ShareView,
    "Share another member's post, with an optional comment",
    errors=(404, 409, 422),
    idempotent=True,
    access=SELF(),
)
create_group = operation(
    SERVICE,
    "create_group",
    CreateGroup,
    GroupView,
    "Create a group",
    errors=(404,),
    idempotent=True,
    access=SELF("owner_id"),
)
get_group = operation(
    SERVICE,
    "get_group",
    GroupQuery,
    GroupView,
    "A group, its first members and the reader's status",
    errors=(404,),
    access=SELF(),
)
put_group_member = operation(
    SERVICE,
    "put_group_member",
    GroupMembership,
    MembershipView,
    "Join a group (open, or private when invited); as its owner, invite to a private one",
    errors=(403, 404, 409, 422),
    access=SELF("actor_id"),
)
remove_group_member = operation(
    SERVICE,
    "remove_group_member",
    GroupMembership,
    Done,
    "Leave a group or decline an invitation; as its owner, remove or uninvite a member",
    errors=(403, 404, 409),
    access=SELF("actor_id"),
)
list_member_groups = operation(
    SERVICE,
    "list_member_groups",
    MemberQuery,
    MemberGroups,
    "The groups a member is in or invited to, by name",
    errors=(404,),
    access=SELF(),
)
list_open_groups = operation(
    SERVICE,
    "list_open_groups",
    OpenGroupsPage,
    OpenGroups,
    "The open groups anyone may join, newest first",
    errors=(404,),
    access=SELF(),
)
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
feed = operation(
    SERVICE,
    "feed",
    FeedPage,
    Feed,
    "Posts and shares from the member's connections, follows and groups",
    errors=(404,),
    access=SELF(),
)
mute = operation(
    SERVICE,
    "mute",
    Mute,
    MuteView,
    "Mute a member or a group: their posts leave the member's feed",
    errors=(404, 422),
    access=SELF(),
)
unmute = operation(SERVICE, "unmute", Mute, Done, "Lift a mute", errors=(404,), access=SELF())
list_mutes = operation(
    SERVICE,
    "list_mutes",
    MemberQuery,
    MuteList,
    "The members and groups a member muted",
    errors=(404,),
    access=SELF(),
)
content_stats = operation(
    SERVICE,
    "content_stats",
    MemberQuery,
    ContentStats,
    "A member's posts, engagement received and given, and content value",
    errors=(404,),
    access=SELF(),
)
