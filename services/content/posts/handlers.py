"""Posts' commands and queries: publish, read, edit, delete."""

from __future__ import annotations

from shared.contracts.api.content import CreatePost, EditPost, PostAction, PostView
from shared.contracts.operations import Done
from shared.db import UnitOfWork

from ..context import Context, new_id, now, publish
from ..copies.store import Members, Relations
from ..mentions.store import Mentions
from ..visibility import existing_group, visible_post
from . import domain
from .store import Posts
from .views import post_view, post_views


class PostHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def create_post(self, command: CreatePost, uow: UnitOfWork) -> PostView:
        """Publish a post (to the author's connections, the org, or a group); post.created."""
        s = uow.session
        await Members(s).require(command.author_id, "author_id")
        visibility = domain.post_visibility(command)
        in_group = False
        if command.group_id:
            # the group's lock: a member leaving or the group going waits, or goes first
            group = await existing_group(s, command.group_id, command.author_id, for_change=True)
            in_group = group.is_member(command.author_id)
        post, events = domain.new_post(
            command,
            post_id=new_id(),
            visibility=visibility,
            author_in_group=in_group,
            mentioned_ids=await self._mentions(uow, command.body, command.author_id),
            now=now(),
        )
        await Posts(s).add(post)
        await publish(uow, events)
        return post_view(
            post,
            cards=await Members(s).cards([post.author_id, *post.mentioned_ids]),
            mentioned=post.mentioned_ids,
            audience=await Relations(s).audience(post.author_id),
            clock=self.context.clock(),
        )

    async def get_post(self, query: PostAction, uow: UnitOfWork) -> PostView:
        """A post as `member_id` sees it, with its counts and content value."""
        await Members(uow.session).require(query.member_id, "member_id")
        post = await visible_post(uow.session, query.post_id, query.member_id)
        return await self.view(uow, post.id, query.member_id)

    async def edit_post(self, command: EditPost, uow: UnitOfWork) -> PostView:
        """The author changes the body or the link; post.edited when something changed."""
        changes = command.changes
        await Members(uow.session).require(changes.member_id, "member_id")
        await Posts(uow.session).lock(command.post_id)  # concurrent edits: one at a time
        post = await visible_post(
            uow.session, command.post_id, changes.member_id, with_mentions=True
        )
        mentioned = (
            await self._mentions(uow, changes.body, post.author_id) if changes.body else None
        )
        events = domain.edit_post(post, changes, mentioned_ids=mentioned, now=now())
        if events:
            await Posts(uow.session).save(post)
            await publish(uow, events)
        return await self.view(uow, post.id, changes.member_id)

    async def delete_post(self, command: PostAction, uow: UnitOfWork) -> Done:
        """The author deletes a post, with its comments, reactions and shares; post.deleted."""
        await Members(uow.session).require(command.member_id, "member_id")
        await Posts(uow.session).lock(command.post_id)  # of concurrent deletes, one deletes
        post = await visible_post(uow.session, command.post_id, command.member_id)
        events = domain.delete_post(post, command.member_id)
        await Posts(uow.session).delete([post.id])
        await publish(uow, events)
        return Done()

    async def view(self, uow: UnitOfWork, post_id: str, viewer_id: str) -> PostView:
        views = await post_views(uow.session, [post_id], viewer_id, self.context.clock())
        return views[post_id]

    async def _mentions(self, uow: UnitOfWork, text: str, author_id: str) -> list[str]:
        return await Mentions(uow.session).resolve(
            text, author_id=author_id, limit=self.context.config.max_mentions
        )
