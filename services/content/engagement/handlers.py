"""Engagement's commands and queries: comments, reactions, shares.

Every change of a post's engagement first takes the post's lock (Posts.lock): changes of one
post run one at a time, so each decides on what the one before it left (no second reaction,
share or deletion for one change) and the stored value score counts every engagement."""

from __future__ import annotations

from shared.contracts.api.content import (
    CommentAction,
    Comments,
    CommentsPage,
    CommentView,
    CreateComment,
    ReactionView,
    RemoveReaction,
    SetReaction,
    SharePost,
    ShareView,
)
from shared.contracts.operations import Done
from shared.db import UnitOfWork

from ..context import Context, new_id, now, publish
from ..copies.store import Members, card
from ..mentions.store import Mentions
from ..paging import cut, time_position
from ..posts.domain import Post
from ..posts.store import Posts
from ..posts.views import own_reactions, reaction_counts
from ..visibility import visible_comment, visible_post
from . import domain
from .domain import Comment
from .store import Comments as CommentStore
from .store import Reactions, Shares


class EngagementHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    # --- comments -------------------------------------------------------------------

    async def create_comment(self, command: CreateComment, uow: UnitOfWork) -> CommentView:
        """Comment on a post, or reply to a comment; comment.created."""
        s = uow.session
        await Members(s).require(command.author_id, "author_id")
        await Posts(s).lock(command.post_id)
        post = await visible_post(s, command.post_id, command.author_id)
        replied = None
        if command.reply_to_comment_id:
            replied = await visible_comment(
                s, post, command.reply_to_comment_id, command.author_id, "reply_to_comment_id"
            )
        comment, events = domain.new_comment(
            post,
            comment_id=new_id(),
            author_id=command.author_id,
            body=command.body,
            replied=replied,
            mentioned_ids=await Mentions(s).resolve(
                command.body,
                author_id=command.author_id,
                limit=self.context.config.max_mentions,
            ),
            now=now(),
        )
        await CommentStore(s).add(comment)
        await Posts(s).rescore([post.id], self.context.rules)
        await publish(uow, events)
        (view,) = await self._views(uow, [comment.id], command.author_id)
        return view

    async def delete_comment(self, command: CommentAction, uow: UnitOfWork) -> Done:
        """The comment's or the post's author deletes a comment (and its replies);
        comment.deleted for each."""
        s = uow.session
        await Members(s).require(command.member_id, "member_id")
        await Posts(s).lock(command.post_id)
        post = await visible_post(s, command.post_id, command.member_id)
        comment = await visible_comment(
            s, post, command.comment_id, command.member_id, "comment_id"
        )
        comments = CommentStore(s)
        replies = await comments.replies(comment.id)
        events = domain.delete_comments(post, comment, replies, command.member_id)
        await comments.delete([comment.id, *(r.id for r in replies)])
        await Posts(s).rescore([post.id], self.context.rules)
        await publish(uow, events)
        return Done()

    async def list_comments(self, query: CommentsPage, uow: UnitOfWork) -> Comments:
        """A post's comments, oldest first, a page at a time."""
        await Members(uow.session).require(query.member_id, "member_id")
        post = await visible_post(uow.session, query.post_id, query.member_id)
        scope = f"comments:{post.id}:{query.member_id}"
        ids, more = cut(
            await CommentStore(uow.session).page(
                post_id=post.id,
                viewer_id=query.member_id,
                limit=query.limit,
                after=self.context.read_cursor(query.cursor, scope, "ts"),
            ),
            query.limit,
        )
        items = await self._views(uow, ids, query.member_id)
        return Comments(
            post_id=post.id,
            items=items,
            next_cursor=self.context.next_cursor(
                more, scope, time_position(items[-1] if items else None)
            ),
        )

    async def _views(
        self, uow: UnitOfWork, comment_ids: list[str], viewer_id: str
    ) -> list[CommentView]:
        comments = await CommentStore(uow.session).many(comment_ids)
        counts = await reaction_counts(uow.session, comment_ids)
        mine = await own_reactions(uow.session, comment_ids, viewer_id)
        cards = await Members(uow.session).cards(_members_of(comments))
        return [
            CommentView(
                id=c.id,
                post_id=c.post_id,
                author=card(cards, c.author_id),
                body=c.body,
                thread_id=c.thread_id,
                reply_to_comment_id=c.reply_to_comment_id,
                reply_to=cards.get(c.reply_to_author_id) if c.reply_to_author_id else None,
                mentions=[cards[m] for m in c.mentioned_ids if m in cards],
                created_at=c.created_at,
                reactions=counts[c.id],
                my_reaction=mine.get(c.id),
            )
            for c in comments
        ]

    # --- reactions ------------------------------------------------------------------

    async def set_reaction(self, command: SetReaction, uow: UnitOfWork) -> ReactionView:
        """React to a post or a comment, or change the reaction; reaction.set."""
        post, comment = await self._target(
            uow, command.post_id, command.comment_id, command.member_id
        )
        reactions = Reactions(uow.session)
        existing = await reactions.get(comment.id if comment else post.id, command.member_id)
        reaction, events = domain.set_reaction(
            existing,
            post=post,
            comment=comment,
            actor_id=command.member_id,
            kind=command.kind,
            now=now(),
        )
        if events:
            await reactions.save(reaction, existing)
            await Posts(uow.session).rescore([post.id], self.context.rules)
            await publish(uow, events)
        return ReactionView(
            post_id=post.id,
            comment_id=reaction.comment_id,
            member_id=reaction.actor_id,
            kind=reaction.kind,
        )

    async def remove_reaction(self, command: RemoveReaction, uow: UnitOfWork) -> Done:
        """Take a reaction back; reaction.removed."""
        post, comment = await self._target(
            uow, command.post_id, command.comment_id, command.member_id
        )
        reactions = Reactions(uow.session)
        existing = await reactions.get(comment.id if comment else post.id, command.member_id)
        events = domain.remove_reaction(existing, post=post, comment=comment)
        assert existing is not None  # remove_reaction refuses otherwise
        await reactions.delete(existing)
        await Posts(uow.session).rescore([post.id], self.context.rules)
        await publish(uow, events)
        return Done()

    async def _target(
        self, uow: UnitOfWork, post_id: str, comment_id: str | None, member_id: str
    ) -> tuple[Post, Comment | None]:
        s = uow.session
        await Members(s).require(member_id, "member_id")
        await Posts(s).lock(post_id)
        post = await visible_post(s, post_id, member_id)
        comment = None
        if comment_id:
            comment = await visible_comment(s, post, comment_id, member_id, "comment_id")
        return post, comment

    # --- shares ---------------------------------------------------------------------

    async def share_post(self, command: SharePost, uow: UnitOfWork) -> ShareView:
        """Share another member's post, with an optional comment; post.shared."""
        s = uow.session
        await Members(s).require(command.member_id, "member_id")
        await Posts(s).lock(command.post_id)
        post = await visible_post(s, command.post_id, command.member_id)
        shares = Shares(s)
        share, events = domain.share_post(
            post,
            share_id=new_id(),
            member_id=command.member_id,
            comment=command.comment,
            already_shared=await shares.exists(post.id, command.member_id),
            now=now(),
        )
        await shares.add(share)
        await Posts(s).rescore([post.id], self.context.rules)
        await publish(uow, events)
        return ShareView(
            id=share.id,
            post_id=post.id,
            member_id=share.sharer_id,
            comment=share.comment,
            created_at=share.created_at,
        )


def _members_of(comments: list[Comment]) -> set[str]:
    return {
        *(c.author_id for c in comments),
        *(c.reply_to_author_id for c in comments if c.reply_to_author_id),
        *(m for c in comments for m in c.mentioned_ids),
    }
