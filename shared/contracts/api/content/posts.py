"""Posts: publishing, reading, editing and deleting them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ...fields import MemberId
from ...operations import SELF, Answer, Done, Request, operation
from .common import (
    SERVICE,
    Actor,
    Id,
    Link,
    MemberCard,
    PostBody,
    ReactionCounts,
    ReactionKind,
    Visibility,
)


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


class PostAction(Actor):
    """`member_id` acts on a post (deletes it, or reads it)."""

    post_id: Id


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
