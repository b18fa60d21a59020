"""Posts as the API shows them: author, body, counts, value, the reader's own reaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.api.content import MemberCard, PostView, ReactionCounts

from ..copies.store import Members, card
from ..copies.tables import AudienceRow
from ..engagement.tables import CommentRow, ReactionRow, ShareRow
from ..mentions.store import Mentions
from ..value import Clock, value_at
from .tables import PostRow


async def post_views(
    session: AsyncSession, post_ids: Iterable[str], viewer_id: str, clock: Clock
) -> dict[str, PostView]:
    """post id -> the post as `viewer_id` sees it (posts that no longer exist are left out)."""
    ids = list(dict.fromkeys(post_ids))
    if not ids:
        return {}
    rows = {r.id: r for r in await session.scalars(select(PostRow).where(PostRow.id.in_(ids)))}
    reactions = await reaction_counts(session, ids)
    comments = await _counts(session, CommentRow.post_id, ids)
    shares = await _counts(session, ShareRow.post_id, ids)
    mine = await own_reactions(session, ids, viewer_id)
    authors = {r.author_id for r in rows.values()}
    audiences = dict(
        (
            await session.execute(
                select(AudienceRow.member_id, AudienceRow.size).where(
                    AudienceRow.member_id.in_(authors)
                )
            )
        ).all()
    )
    mentions = await Mentions(session).of(ids)
    cards = await Members(session).cards([*authors, *(m for ms in mentions.values() for m in ms)])
    return {
        post_id: post_view(
            row,
            cards=cards,
            mentioned=mentions.get(post_id, []),
            reactions=reactions[post_id],
            comments=comments.get(post_id, 0),
            shares=shares.get(post_id, 0),
            mine=mine.get(post_id),
            audience=audiences.get(row.author_id, 0),
            anchor=row.anchor,
            clock=clock,
        )
        for post_id in ids
        if (row := rows.get(post_id)) is not None
    }


def post_view(
    post,
    *,
    cards: dict[str, MemberCard],
    mentioned: list[str],
    audience: int,
    clock: Clock,
    anchor: float | None = None,
    reactions: ReactionCounts | None = None,
    comments: int = 0,
    shares: int = 0,
    mine: str | None = None,
) -> PostView:
    """A post (a row, or a domain Post) as the API shows it; a new post has no engagement."""
    return PostView(
        id=post.id,
        author=card(cards, post.author_id),
        body=post.body,
        visibility=post.visibility,
        group_id=post.group_id,
        link=post.link,
        mentions=[cards[m] for m in mentioned if m in cards],
        created_at=post.created_at,
        edited_at=post.edited_at,
        reactions=reactions or ReactionCounts(),
        comments=comments,
        shares=shares,
        my_reaction=mine,
        author_audience=audience,
        value=round(value_at(anchor, audience, clock.now, clock.rules), 6),
    )


async def reaction_counts(
    session: AsyncSession, target_ids: list[str]
) -> dict[str, ReactionCounts]:
    """target (post or comment) id -> how many reactions of each kind it has."""
    counts: dict[str, dict[str, int]] = {i: {} for i in target_ids}
    if target_ids:
        for target_id, kind, count in await session.execute(
            select(ReactionRow.target_id, ReactionRow.kind, func.count())
            .where(ReactionRow.target_id.in_(target_ids))
            .group_by(ReactionRow.target_id, ReactionRow.kind)
        ):
            counts[target_id][kind] = count
    return {i: ReactionCounts(**c) for i, c in counts.items()}


async def own_reactions(
    session: AsyncSession, target_ids: list[str], viewer_id: str
) -> dict[str, str]:
    """target id -> the kind of the viewer's own reaction to it."""
    if not target_ids:
        return {}
    rows = await session.execute(
        select(ReactionRow.target_id, ReactionRow.kind).where(
            ReactionRow.target_id.in_(target_ids), ReactionRow.actor_id == viewer_id
        )
    )
    return dict(rows.all())


async def _counts(session: AsyncSession, post_column, ids: list[str]) -> dict[str, int]:
    rows = await session.execute(
        select(post_column, func.count()).where(post_column.in_(ids)).group_by(post_column)
    )
    return dict(rows.all())
