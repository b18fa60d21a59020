"""Finding what a member acts on, if they may see it: posts, comments, groups. What they may
not see is a 404, as if it did not exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound

from .copies.store import Members, Relations
from .engagement.domain import Comment
from .engagement.store import Comments
from .groups.domain import Group
from .groups.store import Groups
from .posts.domain import Post, require_visible
from .posts.store import Posts


async def visible_post(
    session: AsyncSession,
    post_id: str,
    viewer_id: str,
    field: str = "post_id",
    *,
    with_mentions: bool = False,
) -> Post:
    post = await Posts(session).get(post_id, with_mentions=with_mentions)
    if post is None:
        raise NotFound(f"no post with id {post_id}", field=field)
    standing = await Relations(session).standing(viewer_id, post.author_id)
    in_group = bool(post.group_id) and await Groups(session).is_member(post.group_id, viewer_id)
    return require_visible(post, viewer_id, standing, in_group=in_group, field=field)


async def visible_comment(
    session: AsyncSession, post: Post, comment_id: str, viewer_id: str, field: str
) -> Comment:
    comment = await Comments(session).get(comment_id)
    if comment is None or comment.post_id != post.id:
        raise NotFound(f"no comment with id {comment_id} on this post", field=field)
    if (await Relations(session).standing(viewer_id, comment.author_id)).blocked:
        raise NotFound(f"no comment with id {comment_id} on this post", field=field)
    return comment


async def existing_group(
    session: AsyncSession, group_id: str, *involving: str, for_change: bool = False
) -> Group:
    """The group with the memberships of `involving` (see Groups.get for `for_change`)."""
    group = await Groups(session).get(group_id, involving, for_change=for_change)
    if group is None:
        raise NotFound(f"no group with id {group_id}", field="group_id")
    return group


async def visible_group(session: AsyncSession, group_id: str, reader_id: str) -> Group:
    """The group, if the reader (a known member) may see it: a private group only to its
    members and invitees."""
    await Members(session).require(reader_id, "member_id")
    group = await existing_group(session, group_id, reader_id)
    if not group.visible_to(reader_id):
        raise NotFound(f"no group with id {group_id}", field="group_id")
    return group
