"""Posts in the database: the repository, the cascade of a deletion, and the stored value
score (see services/content/value.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import String, delete, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..engagement.tables import CommentRow, ReactionRow, ShareRow
from ..mentions.store import Mentions
from ..value import COMMENT, REACTION, SHARE, ValueRules, anchor
from .domain import Post
from .tables import PostRow


class Posts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, post_id: str, *, with_mentions: bool = False) -> Post | None:
        row = await self.session.get(PostRow, post_id)
        if row is None:
            return None
        mentioned = []
        if with_mentions:
            mentioned = (await Mentions(self.session).of([post_id])).get(post_id, [])
        return _to_post(row, mentioned)

    async def lock(self, post_id: str) -> bool:
        """Take the post's row lock until commit (False: no such post). Changes to one post's
        engagement then run one at a time: each reads what the one before it wrote, so none
        is lost and each fact follows from the state before it. (SQLite: the write begins
        the transaction, which writes one at a time.)"""
        result = await self.session.execute(
            update(PostRow)
            .where(PostRow.id == post_id)
            .values(anchor=PostRow.anchor)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def add(self, post: Post) -> None:
        self.session.add(
            PostRow(
                id=post.id,
                author_id=post.author_id,
                body=post.body,
                visibility=post.visibility,
                group_id=post.group_id,
                link=post.link,
                created_at=post.created_at,
                edited_at=post.edited_at,
                anchor=None,
            )
        )
        await self.session.flush()
        await Mentions(self.session).add(post.id, post.mentioned_ids)

    async def save(self, post: Post) -> None:
        row = await self.session.get(PostRow, post.id)
        row.body, row.link, row.edited_at = post.body, post.link, post.edited_at
        await Mentions(self.session).replace(post.id, post.mentioned_ids)

    async def delete(self, post_ids: Iterable[str]) -> None:
        """Posts go with their comments, reactions, shares and mentions."""
        post_ids = list(post_ids)
        if not post_ids:
            return
        # Locked first (see lock): engagement committed meanwhile goes with the post, and
        # engagement waiting for the lock then finds no post.
        await self.session.execute(
            update(PostRow)
            .where(PostRow.id.in_(post_ids))
            .values(anchor=PostRow.anchor)
            .execution_options(synchronize_session=False)
        )
        comment_ids = list(
            await self.session.scalars(
                select(CommentRow.id).where(CommentRow.post_id.in_(post_ids))
            )
        )
        await Mentions(self.session).forget_items([*post_ids, *comment_ids])
        await self.session.execute(delete(ReactionRow).where(ReactionRow.post_id.in_(post_ids)))
        await self.session.execute(delete(CommentRow).where(CommentRow.post_id.in_(post_ids)))
        await self.session.execute(delete(ShareRow).where(ShareRow.post_id.in_(post_ids)))
        await self.session.execute(delete(PostRow).where(PostRow.id.in_(post_ids)))

    async def ids_by(
        self, *, author_id: str | None = None, group_id: str | None = None
    ) -> list[str]:
        query = select(PostRow.id)
        query = query.where(PostRow.author_id == author_id) if author_id else query
        query = query.where(PostRow.group_id == group_id) if group_id else query
        return list(await self.session.scalars(query))

    async def credits(self, post_id: str, author_id: str) -> dict[tuple[str, str], datetime]:
        """(member, kind) -> earliest time, of members other than the author, on the post
        itself: reactions to it, comments on it, shares of it (value.credits, in SQL)."""

        def earliest(table, actor, post_column, kind: str):
            return (
                select(actor, literal(kind, String), func.min(table.created_at))
                .where(post_column == post_id, actor != author_id)
                .group_by(actor)
            )

        rows = await self.session.execute(
            union_all(
                earliest(ReactionRow, ReactionRow.actor_id, ReactionRow.target_id, REACTION),
                earliest(CommentRow, CommentRow.author_id, CommentRow.post_id, COMMENT),
                earliest(ShareRow, ShareRow.sharer_id, ShareRow.post_id, SHARE),
            )
        )
        return {(member, kind): _aware(at) for member, kind, at in rows}

    async def rescore(self, post_ids: Iterable[str], rules: ValueRules) -> None:
        """Store each post's anchored engagement again, from what is there now."""
        for post_id in set(post_ids):
            row = await self.session.get(PostRow, post_id)
            if row is not None:
                row.anchor = anchor(await self.credits(post_id, row.author_id), rules)
        await self.session.flush()

    async def all_ids(self, after: str | None, limit: int) -> list[str]:
        query = select(PostRow.id).order_by(PostRow.id).limit(limit)
        if after is not None:
            query = query.where(PostRow.id > after)
        return list(await self.session.scalars(query))


def _aware(at: datetime | str) -> datetime:
    """A time read through an aggregate: SQLite hands back text, naive; it is UTC."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _to_post(row: PostRow, mentioned: list[str]) -> Post:
    return Post(
        id=row.id,
        author_id=row.author_id,
        body=row.body,
        visibility=row.visibility,
        group_id=row.group_id,
        link=row.link,
        mentioned_ids=mentioned,
        created_at=row.created_at,
        edited_at=row.edited_at,
    )
