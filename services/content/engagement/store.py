"""Comments, reactions and shares in the database. Reactions and shares are written
conditionally: one reaction per member per target and one share per member per post are
kept by the primary key and a unique constraint, and a change of a reaction applies only to
the reaction it was decided on (compare-and-set on its kind)."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Conflict

from ..copies.queries import not_blocked_with
from ..mentions.store import Mentions
from .domain import Comment, Reaction, Share
from .tables import CommentRow, ReactionRow, ShareRow

CHANGED_MEANWHILE = "this reaction changed meanwhile; read it again and retry"


class Comments:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, comment_id: str) -> Comment | None:
        row = await self.session.get(CommentRow, comment_id)
        return _to_comment(row, []) if row else None

    async def many(self, comment_ids: list[str]) -> list[Comment]:
        """The comments, in the order asked, with their mentions."""
        if not comment_ids:
            return []
        rows = {
            r.id: r
            for r in await self.session.scalars(
                select(CommentRow).where(CommentRow.id.in_(comment_ids))
            )
        }
        mentions = await Mentions(self.session).of(comment_ids)
        return [_to_comment(rows[i], mentions.get(i, [])) for i in comment_ids if i in rows]

    async def replies(self, comment_id: str) -> list[Comment]:
        rows = await self.session.scalars(
            select(CommentRow).where(CommentRow.thread_id == comment_id)
        )
        return [_to_comment(r, []) for r in rows]

    async def page(
        self, *, post_id: str, viewer_id: str, limit: int, after: tuple | None
    ) -> list[str]:
        """Ids of `limit` + 1 comments after `after`, oldest first (a thread's replies follow
        their comment in time), leaving out members blocked either way with the viewer."""
        query = (
            select(CommentRow.id)
            .where(CommentRow.post_id == post_id, not_blocked_with(viewer_id, CommentRow.author_id))
            .order_by(CommentRow.created_at, CommentRow.id)
            .limit(limit + 1)
        )
        if after is not None:
            at, comment_id = after
            query = query.where(
                or_(
                    CommentRow.created_at > at,
                    and_(CommentRow.created_at == at, CommentRow.id > comment_id),
                )
            )
        return list(await self.session.scalars(query))

    async def add(self, comment: Comment) -> None:
        self.session.add(
            CommentRow(
                id=comment.id,
                post_id=comment.post_id,
                author_id=comment.author_id,
                body=comment.body,
                thread_id=comment.thread_id,
                reply_to_comment_id=comment.reply_to_comment_id,
                reply_to_author_id=comment.reply_to_author_id,
                created_at=comment.created_at,
            )
        )
        await self.session.flush()
        await Mentions(self.session).add(comment.id, comment.mentioned_ids)

    async def delete(self, comment_ids: list[str]) -> None:
        """Comments go with the reactions to them; replies to them stay, as top-level
        comments that no longer name whom they replied to."""
        if not comment_ids:
            return
        await Mentions(self.session).forget_items(comment_ids)
        await self.session.execute(
            delete(ReactionRow).where(ReactionRow.target_id.in_(comment_ids))
        )
        await self.session.execute(delete(CommentRow).where(CommentRow.id.in_(comment_ids)))
        await self.session.execute(
            update(CommentRow).where(CommentRow.thread_id.in_(comment_ids)).values(thread_id=None)
        )
        await self.session.execute(
            update(CommentRow)
            .where(CommentRow.reply_to_comment_id.in_(comment_ids))
            .values(reply_to_comment_id=None, reply_to_author_id=None)
        )

    async def ids_by(self, author_id: str) -> list[str]:
        return list(
            await self.session.scalars(
                select(CommentRow.id).where(CommentRow.author_id == author_id)
            )
        )


def _to_comment(row: CommentRow, mentioned: list[str]) -> Comment:
    return Comment(
        id=row.id,
        post_id=row.post_id,
        author_id=row.author_id,
        body=row.body,
        thread_id=row.thread_id,
        reply_to_comment_id=row.reply_to_comment_id,
        reply_to_author_id=row.reply_to_author_id,
        mentioned_ids=mentioned,
        created_at=row.created_at,
    )


class Reactions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, target_id: str, actor_id: str) -> Reaction | None:
        row = (
            await self.session.execute(
                select(ReactionRow).where(
                    ReactionRow.target_id == target_id, ReactionRow.actor_id == actor_id
                ),
                execution_options={"populate_existing": True},
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return Reaction(
            row.post_id, row.comment_id, row.actor_id, row.kind, row.created_at, row.updated_at
        )

    async def save(self, reaction: Reaction, previous: Reaction | None) -> None:
        """Write `reaction` over `previous` (None: the first); 409 when the stored reaction
        is no longer `previous` (a concurrent change won)."""
        if previous is None:
            self.session.add(
                ReactionRow(
                    target_id=reaction.target_id,
                    actor_id=reaction.actor_id,
                    post_id=reaction.post_id,
                    comment_id=reaction.comment_id,
                    kind=reaction.kind,
                    created_at=reaction.created_at,
                    updated_at=reaction.updated_at,
                )
            )
            await self.session.flush()  # a concurrent first reaction: IntegrityError, 409
            return
        result = await self.session.execute(
            update(ReactionRow)
            .where(*_is(previous))
            .values(kind=reaction.kind, updated_at=reaction.updated_at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(CHANGED_MEANWHILE, field="kind")

    async def delete(self, existing: Reaction) -> None:
        """Take `existing` back; 409 when it changed or went meanwhile."""
        result = await self.session.execute(
            delete(ReactionRow).where(*_is(existing)).execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(CHANGED_MEANWHILE, field="member_id")


def _is(reaction: Reaction) -> tuple:
    return (
        ReactionRow.target_id == reaction.target_id,
        ReactionRow.actor_id == reaction.actor_id,
        ReactionRow.kind == reaction.kind,
    )


class Shares:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists(self, post_id: str, sharer_id: str) -> bool:
        found = await self.session.scalar(
            select(ShareRow.id).where(ShareRow.post_id == post_id, ShareRow.sharer_id == sharer_id)
        )
        return found is not None

    async def add(self, share: Share) -> None:
        """A concurrent second share by the same member fails the unique constraint (409)."""
        self.session.add(
            ShareRow(
                id=share.id,
                post_id=share.post_id,
                sharer_id=share.sharer_id,
                comment=share.comment,
                created_at=share.created_at,
            )
        )
        await self.session.flush()
