"""The rules of posts. Pure Python: each rule takes what it needs to decide, raises a domain
error or changes its objects, and returns the events to publish.

Who may see what (the one visibility rule, used by every read and every action on a post):
a member always sees their own posts; nobody sees anything of a member they block or who
blocks them; an `org` post is seen by every member, a `connections` post by the author's
connections, a `group` post by the group's members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.api.content import CreatePost, PostChanges
from shared.contracts.envelope import Event
from shared.contracts.events import PostCreated, PostDeleted, PostEdited
from shared.errors import Forbidden, Invalid, NotFound

from ..copies.domain import Standing


@dataclass
class Post:
    id: str
    author_id: str
    body: str
    visibility: str
    group_id: str | None
    link: str | None
    mentioned_ids: list[str]
    created_at: datetime
    edited_at: datetime | None = None


def can_see(post: Post, viewer_id: str, standing: Standing, *, in_group: bool) -> bool:
    if viewer_id == post.author_id:
        return True
    if standing.blocked:
        return False
    if post.visibility == "org":
        return True
    if post.visibility == "connections":
        return standing.connected
    return in_group


def require_visible(
    post: Post | None, viewer_id: str, standing: Standing, *, in_group: bool, field: str
) -> Post:
    """The post, if the viewer may see it; 404 otherwise (its existence is not revealed)."""
    if post is None or not can_see(post, viewer_id, standing, in_group=in_group):
        raise NotFound("no such post, or not visible to this member", field=field)
    return post


def post_visibility(command: CreatePost) -> str:
    visibility = command.visibility or ("group" if command.group_id else "org")
    if visibility == "group" and not command.group_id:
        raise Invalid("a group post names its group", field="group_id")
    if command.group_id and visibility != "group":
        raise Invalid("a post in a group has visibility 'group'", field="visibility")
    return visibility


def new_post(
    command: CreatePost,
    *,
    post_id: str,
    visibility: str,
    author_in_group: bool,
    mentioned_ids: list[str],
    now: datetime,
) -> tuple[Post, list[Event]]:
    if visibility == "group" and not author_in_group:
        raise Forbidden("only members of a group post in it", field="group_id")
    post = Post(
        id=post_id,
        author_id=command.author_id,
        body=command.body,
        visibility=visibility,
        group_id=command.group_id,
        link=str(command.link) if command.link else None,
        mentioned_ids=mentioned_ids,
        created_at=now,
    )
    return post, [
        PostCreated(
            post_id=post.id,
            author_id=post.author_id,
            visibility=visibility,  # type: ignore[arg-type]
            group_id=post.group_id,
            mentioned_ids=mentioned_ids,
            has_link=post.link is not None,
        )
    ]


def _require_author(post: Post, member_id: str, what: str) -> None:
    if member_id != post.author_id:
        raise Forbidden(f"only the author {what} a post", field="member_id")


def edit_post(
    post: Post,
    changes: PostChanges,
    *,
    mentioned_ids: list[str] | None,
    now: datetime,
) -> list[Event]:
    """Change the body and/or the link. `mentioned_ids` are those of the new body (None when
    the body is not given). Nothing changed: no event."""
    _require_author(post, changes.member_id, "edits")
    given = changes.model_fields_set  # a null body never gets here: the contract refuses it
    changed = False
    if changes.body is not None and changes.body != post.body:
        post.body, changed = changes.body, True
    if "link" in given:
        link = str(changes.link) if changes.link else None
        if link != post.link:
            post.link, changed = link, True
    if not changed:
        return []
    before = post.mentioned_ids
    if mentioned_ids is not None:
        post.mentioned_ids = mentioned_ids
    post.edited_at = now
    return [
        PostEdited(
            post_id=post.id,
            author_id=post.author_id,
            mentioned_ids=post.mentioned_ids,
            added_mention_ids=[m for m in post.mentioned_ids if m not in before],
        )
    ]


def delete_post(post: Post, member_id: str) -> list[Event]:
    _require_author(post, member_id, "deletes")
    return [PostDeleted(post_id=post.id, author_id=post.author_id, reason="deleted")]
