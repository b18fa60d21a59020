"""A member's content stats: posts, engagement received and given, and content value over
a window (90 days by default)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.api.content import ContentStats, Engagement, MemberQuery
from shared.db import UnitOfWork

from .context import Context
from .copies.store import Members
from .copies.tables import AudienceRow
from .engagement.tables import CommentRow, ReactionRow, ShareRow
from .posts.tables import PostRow
from .value import Clock, value_at


class StatsHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def content_stats(self, query: MemberQuery, uow: UnitOfWork) -> ContentStats:
        """A member's posts, engagement received and given, and content value (90 days)."""
        await Members(uow.session).require(query.member_id, "member_id")
        return await content_stats(
            uow.session,
            query.member_id,
            self.context.clock(),
            self.context.config.stats_window_days,
        )


async def content_stats(
    session: AsyncSession, member_id: str, clock: Clock, window_days: float
) -> ContentStats:
    """Engagement is with posts: reactions to a post, comments on it (replies included),
    shares of it, by members other than the post's author."""
    since = clock.now - timedelta(days=window_days)
    own = select(PostRow.id).where(PostRow.author_id == member_id)
    others = select(PostRow.id).where(PostRow.author_id != member_id)

    async def acts(actor, post_column, created_at, where) -> list[tuple[str, str]]:
        rows = await session.execute(select(actor, post_column).where(created_at >= since, *where))
        return [(r[0], r[1]) for r in rows]

    async def engagement(mine, theirs) -> dict[str, list[tuple[str, str]]]:
        """Acts on posts: `mine(actor_column)` says whose acts, `theirs` on whose posts."""
        return {
            "reactions": await acts(
                ReactionRow.actor_id,
                ReactionRow.post_id,
                ReactionRow.created_at,
                [
                    ReactionRow.target_id == ReactionRow.post_id,
                    mine(ReactionRow.actor_id),
                    ReactionRow.post_id.in_(theirs),
                ],
            ),
            "comments": await acts(
                CommentRow.author_id,
                CommentRow.post_id,
                CommentRow.created_at,
                [mine(CommentRow.author_id), CommentRow.post_id.in_(theirs)],
            ),
            "shares": await acts(
                ShareRow.sharer_id,
                ShareRow.post_id,
                ShareRow.created_at,
                [mine(ShareRow.sharer_id), ShareRow.post_id.in_(theirs)],
            ),
        }

    received = await engagement(lambda actor: actor != member_id, own)
    given = await engagement(lambda actor: actor == member_id, others)
    authors_engaged = await session.scalars(
        select(PostRow.author_id).where(
            PostRow.id.in_({post for kind in given.values() for _, post in kind})
        )
    )
    posts = (
        await session.execute(
            select(PostRow.anchor).where(
                PostRow.author_id == member_id, PostRow.created_at >= since
            )
        )
    ).all()
    audience = (
        await session.scalar(select(AudienceRow.size).where(AudienceRow.member_id == member_id))
    ) or 0
    return ContentStats(
        member_id=member_id,
        window_days=window_days,
        since=since,
        posts=len(posts),
        engagement_received=Engagement(
            **{kind: len(acts) for kind, acts in received.items()},
            members=len({actor for kind in received.values() for actor, _ in kind}),
        ),
        engagement_given=Engagement(
            **{kind: len(acts) for kind, acts in given.items()},
            members=len(set(authors_engaged)),
        ),
        audience=audience,
        content_value=round(
            sum(value_at(anchor, audience, clock.now, clock.rules) for (anchor,) in posts), 6
        ),
    )
