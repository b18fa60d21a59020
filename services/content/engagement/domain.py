"""The rules of engagement with posts: comments and replies, reactions, shares. Pure
Python: each rule takes what it needs to decide, raises a domain error or builds its
objects, and returns the events to publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.envelope import Event
from shared.contracts.events import (
    CommentCreated,
    CommentDeleted,
    PostShared,
    ReactionRemoved,
    ReactionSet,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

from ..posts.domain import Post

# --- comments ---------------------------------------------------------------------------


@dataclass
class Comment:
    id: str
    post_id: str
    author_id: str
    body: str
    thread_id: str | None  # the top-level comment this one belongs to (one level of threads)
    reply_to_comment_id: str | None
    reply_to_author_id: str | None
    mentioned_ids: list[str]
    created_at: datetime


def new_comment(
    post: Post,
    *,
    comment_id: str,
    author_id: str,
    body: str,
    replied: Comment | None,
    mentioned_ids: list[str],
    now: datetime,
) -> tuple[Comment, list[Event]]:
    """A comment, or a reply: a reply to a reply joins the thread of the comment it replies
    to, and still names the member it replies to."""
    if replied is not None and replied.post_id != post.id:
        raise NotFound("no such comment on this post", field="reply_to_comment_id")
    comment = Comment(
        id=comment_id,
        post_id=post.id,
        author_id=author_id,
        body=body,
        thread_id=(replied.thread_id or replied.id) if replied else None,
        reply_to_comment_id=replied.id if replied else None,
        reply_to_author_id=replied.author_id if replied else None,
        mentioned_ids=mentioned_ids,
        created_at=now,
    )
    return comment, [
        CommentCreated(
            comment_id=comment.id,
            post_id=post.id,
            author_id=author_id,
            post_author_id=post.author_id,
            reply_to_comment_id=comment.reply_to_comment_id,
            reply_to_author_id=comment.reply_to_author_id,
            mentioned_ids=mentioned_ids,
        )
    ]


def delete_comments(
    post: Post, comment: Comment, replies: list[Comment], member_id: str
) -> list[Event]:
    """The comment's author or the post's author deletes a comment, and its replies with it."""
    if member_id not in (comment.author_id, post.author_id):
        raise Forbidden(
            "only the comment's author or the post's author deletes a comment", field="member_id"
        )
    return [
        CommentDeleted(
            comment_id=c.id,
            post_id=post.id,
            author_id=c.author_id,
            post_author_id=post.author_id,
            actor_id=member_id,
        )
        for c in [comment, *replies]
    ]


# --- reactions --------------------------------------------------------------------------


@dataclass
class Reaction:
    post_id: str
    comment_id: str | None
    actor_id: str
    kind: str
    created_at: datetime
    updated_at: datetime

    @property
    def target_id(self) -> str:
        return self.comment_id or self.post_id


def set_reaction(
    existing: Reaction | None,
    *,
    post: Post,
    comment: Comment | None,
    actor_id: str,
    kind: str,
    now: datetime,
) -> tuple[Reaction, list[Event]]:
    """One reaction per member per post or comment: setting it again changes its kind; the
    same kind again changes nothing."""
    if existing is not None and existing.kind == kind:
        return existing, []
    previous = existing.kind if existing else None
    reaction = Reaction(
        post.id,
        comment.id if comment else None,
        actor_id,
        kind,
        existing.created_at if existing else now,
        now,
    )
    return reaction, [
        ReactionSet(
            target="comment" if comment else "post",
            post_id=post.id,
            comment_id=comment.id if comment else None,
            actor_id=actor_id,
            target_author_id=comment.author_id if comment else post.author_id,
            kind=kind,  # type: ignore[arg-type]
            previous_kind=previous,  # type: ignore[arg-type]
            post_author_id=post.author_id,
        )
    ]


def remove_reaction(
    existing: Reaction | None, *, post: Post, comment: Comment | None
) -> list[Event]:
    if existing is None:
        raise NotFound("this member has no reaction here", field="member_id")
    return [
        ReactionRemoved(
            target="comment" if comment else "post",
            post_id=post.id,
            comment_id=comment.id if comment else None,
            actor_id=existing.actor_id,
            target_author_id=comment.author_id if comment else post.author_id,
            kind=existing.kind,  # type: ignore[arg-type]
            post_author_id=post.author_id,
        )
    ]


# --- shares -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    id: str
    post_id: str
    sharer_id: str
    comment: str | None
    created_at: datetime


def share_post(
    post: Post,
    *,
    share_id: str,
    member_id: str,
    comment: str | None,
    already_shared: bool,
    now: datetime,
) -> tuple[Share, list[Event]]:
    if member_id == post.author_id:
        raise Invalid("a member shares other members' posts, not their own", field="member_id")
    if already_shared:
        raise Conflict("this member has already shared this post", field="post_id")
    share = Share(share_id, post.id, member_id, comment, now)
    return share, [
        PostShared(
            share_id=share_id,
            post_id=post.id,
            actor_id=member_id,
            post_author_id=post.author_id,
            with_comment=comment is not None,
        )
    ]
