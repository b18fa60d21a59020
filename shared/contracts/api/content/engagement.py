"""Engagement with posts: comments and replies, reactions (to posts and comments), shares."""

from __future__ import annotations

from datetime import datetime

from ...fields import MemberId
from ...operations import SELF, Answer, Done, Request, operation
from .common import SERVICE, Actor, CommentBody, Id, MemberCard, Page, ReactionCounts, ReactionKind


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
