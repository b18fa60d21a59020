"""Content's read models: post views with counts and value, the feed, listings a page at a
time, and a member's content stats.

The feed of member V, newest first or by value, is one query over two kinds of entries:
- posts: V's own; `connections` and `org` posts of V's connections; `org` posts of members V
  follows; posts in V's groups;
- shares: by V, V's connections and the members V follows, of posts V may see;
leaving out everything by a member blocked either way with V, and everything by a muted
member or in a muted group (as author or as sharer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.cursors import BadCursor

from .domain import BLOCKS, CONNECTED, FOLLOWS
from .store import (
    AudienceRow,
    CommentRow,
    DirectMessageRow,
    FactRow,
    GroupMemberRow,
    GroupMessageRow,
    Members,
    Mentions,
    MuteRow,
    PostRow,
    ReactionRow,
    ShareRow,
)
from .value import UNRANKED, ValueRules, value_at

REACTION_KINDS = ("like", "celebrate", "insightful", "support")


# --- cursor positions -------------------------------------------------------------------


def parse_position(position: list[Any], shape: str) -> tuple:
    """A signed position, checked strictly against its shape: `t` an aware ISO time, `s` a
    string, `f` a number."""
    if len(position) != len(shape):
        raise BadCursor()
    parsed: list[Any] = []
    for value, kind in zip(position, shape, strict=True):
        if kind == "s" and isinstance(value, str):
            parsed.append(value)
        elif kind == "f" and isinstance(value, int | float) and not isinstance(value, bool):
            parsed.append(float(value))
        elif kind == "t" and isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                raise BadCursor() from None
            if at.tzinfo is None:
                raise BadCursor()
            parsed.append(at)
        else:
            raise BadCursor()
    return tuple(parsed)


def _before(at_column, id_column, at: datetime, entry_id: str) -> ColumnElement[bool]:
    """Keyset condition for newest-first listings ordered by (time, id) descending."""
    return or_(at_column < at, and_(at_column == at, id_column < entry_id))


# --- views ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    now: datetime
    rules: ValueRules


async def post_views(
    session: AsyncSession, post_ids: Iterable[str], viewer_id: str, clock: Clock
) -> dict[str, dict]:
    """post id -> the post as the API shows it: author, body, counts, value, the viewer's
    own reaction."""
    ids = list(dict.fromkeys(post_ids))
    if not ids:
        return {}
    rows = {r.id: r for r in await session.scalars(select(PostRow).where(PostRow.id.in_(ids)))}
    reactions: dict[str, dict[str, int]] = {i: dict.fromkeys(REACTION_KINDS, 0) for i in ids}
    for target_id, kind, count in await session.execute(
        select(ReactionRow.target_id, ReactionRow.kind, func.count())
        .where(ReactionRow.target_id.in_(ids))
        .group_by(ReactionRow.target_id, ReactionRow.kind)
    ):
        reactions[target_id][kind] = count
    comments = dict(
        (
            await session.execute(
                select(CommentRow.post_id, func.count())
                .where(CommentRow.post_id.in_(ids))
                .group_by(CommentRow.post_id)
            )
        ).all()
    )
    shares = dict(
        (
            await session.execute(
                select(ShareRow.post_id, func.count())
                .where(ShareRow.post_id.in_(ids))
                .group_by(ShareRow.post_id)
            )
        ).all()
    )
    mine = dict(
        (
            await session.execute(
                select(ReactionRow.target_id, ReactionRow.kind).where(
                    ReactionRow.target_id.in_(ids), ReactionRow.actor_id == viewer_id
                )
            )
        ).all()
    )
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
    views = {}
    for post_id in ids:
        row = rows.get(post_id)
        if row is not None:
            views[post_id] = post_view(
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
    return views


def post_view(
    post,
    *,
    cards: dict[str, dict],
    mentioned: list[str],
    audience: int,
    clock: Clock,
    anchor: float | None = None,
    reactions: dict[str, int] | None = None,
    comments: int = 0,
    shares: int = 0,
    mine: str | None = None,
) -> dict:
    """A post (a row, or a domain Post) as the API shows it; a new post has no engagement."""
    return {
        "id": post.id,
        "author": cards.get(post.author_id, {"member_id": post.author_id}),
        "body": post.body,
        "visibility": post.visibility,
        "group_id": post.group_id,
        "link": post.link,
        "mentions": [cards[m] for m in mentioned if m in cards],
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "reactions": reactions or dict.fromkeys(REACTION_KINDS, 0),
        "comments": comments,
        "shares": shares,
        "my_reaction": mine,
        "author_audience": audience,
        "value": round(value_at(anchor, audience, clock.now, clock.rules), 6),
    }


# --- the feed ---------------------------------------------------------------------------


def _facts(member_id: str, aspect: str) -> Select:
    return select(FactRow.other_id).where(
        FactRow.member_id == member_id, FactRow.aspect == aspect, FactRow.active.is_(True)
    )


def _blocking(member_id: str) -> Select:
    return select(FactRow.member_id).where(
        FactRow.other_id == member_id, FactRow.aspect == BLOCKS, FactRow.active.is_(True)
    )


def _not_blocked_with(viewer_id: str, column) -> ColumnElement[bool]:
    return and_(column.not_in(_facts(viewer_id, BLOCKS)), column.not_in(_blocking(viewer_id)))


def _visible_to(viewer_id: str) -> ColumnElement[bool]:
    """The visibility rule of domain.can_see, in SQL, for PostRow."""
    return or_(
        PostRow.author_id == viewer_id,
        and_(
            _not_blocked_with(viewer_id, PostRow.author_id),
            or_(
                PostRow.visibility == "org",
                and_(
                    PostRow.visibility == "connections",
                    PostRow.author_id.in_(_facts(viewer_id, CONNECTED)),
                ),
                and_(PostRow.visibility == "group", PostRow.group_id.in_(_groups_of(viewer_id))),
            ),
        ),
    )


def _groups_of(member_id: str) -> Select:
    return select(GroupMemberRow.group_id).where(GroupMemberRow.member_id == member_id)


def _muted_by(member_id: str) -> Select:
    return select(MuteRow.target_id).where(MuteRow.member_id == member_id)


def _not_muted_post(viewer_id: str) -> ColumnElement[bool]:
    return and_(
        PostRow.author_id.not_in(_muted_by(viewer_id)),
        or_(PostRow.group_id.is_(None), PostRow.group_id.not_in(_muted_by(viewer_id))),
    )


def _rank():
    return case(
        (PostRow.anchor.is_(None), literal(UNRANKED)),
        else_=PostRow.anchor - func.coalesce(AudienceRow.size_log2, 0.0) / 2,
    )


def _entries(kind: str, entry_id, actor_id, at) -> Select:
    """One kind of feed entry: kind, entry_id, post_id, actor_id, at, rank."""
    return select(
        literal(kind, String).label("kind"),
        entry_id.label("entry_id"),
        PostRow.id.label("post_id"),
        actor_id.label("actor_id"),
        at.label("at"),
        _rank().label("rank"),
    )


def _post_branch(viewer_id: str, *where: ColumnElement[bool]) -> Select:
    return (
        _entries("post", PostRow.id, PostRow.author_id, PostRow.created_at)
        .select_from(PostRow)
        .outerjoin(AudienceRow, AudienceRow.member_id == PostRow.author_id)
        .where(*where, _not_blocked_with(viewer_id, PostRow.author_id), _not_muted_post(viewer_id))
    )


def _feed_branches(viewer_id: str) -> list[tuple[Select, Any, Any]]:
    """The feed's sources, each a query an index can serve, disjoint from the others:
    (query, its time column, its entry id column)."""
    connected, followed = _facts(viewer_id, CONNECTED), _facts(viewer_id, FOLLOWS)
    posts = [
        _post_branch(
            viewer_id,
            PostRow.author_id.in_(connected),
            PostRow.visibility.in_(("connections", "org")),
        ),
        _post_branch(
            viewer_id,
            PostRow.author_id.in_(followed),
            PostRow.author_id.not_in(connected),
            PostRow.visibility == "org",
        ),
        _post_branch(
            viewer_id,
            PostRow.group_id.in_(_groups_of(viewer_id)),
            PostRow.visibility == "group",
            PostRow.author_id != viewer_id,
        ),
        _post_branch(viewer_id, PostRow.author_id == viewer_id),
    ]
    shares = (
        _entries("share", ShareRow.id, ShareRow.sharer_id, ShareRow.created_at)
        .select_from(ShareRow)
        .join(PostRow, PostRow.id == ShareRow.post_id)
        .outerjoin(AudienceRow, AudienceRow.member_id == PostRow.author_id)
        .where(
            ShareRow.sharer_id.in_(
                union_all(connected, followed, select(literal(viewer_id, String)))
            ),
            _not_blocked_with(viewer_id, ShareRow.sharer_id),
            ShareRow.sharer_id.not_in(_muted_by(viewer_id)),
            _visible_to(viewer_id),
            _not_muted_post(viewer_id),
        )
    )
    return [
        *((branch, PostRow.created_at, PostRow.id) for branch in posts),
        (shares, ShareRow.created_at, ShareRow.id),
    ]


def _after(order: str, after: tuple, rank, at, entry_id) -> ColumnElement[bool]:
    """Keyset condition: entries strictly after the position, in the feed's order."""
    if order == "value":
        position_rank, position_at, position_id = after
        return or_(
            rank < position_rank,
            and_(rank == position_rank, _before(at, entry_id, position_at, position_id)),
        )
    position_at, position_id = after
    # `at <= ...` first, so that an index on the time serves the range
    return and_(at <= position_at, _before(at, entry_id, position_at, position_id))


def _ordering(order: str, rank, at, entry_id) -> list:
    by_time = [at.desc(), entry_id.desc()]
    return [rank.desc(), *by_time] if order == "value" else by_time


async def feed_page(
    session: AsyncSession,
    *,
    viewer_id: str,
    order: str,
    limit: int,
    after: tuple | None,
) -> list[dict]:
    """The next `limit` + 1 entries after the position `after` ((time, id), or (rank,
    time, id) by value): kind, entry_id, post_id, actor_id, at, rank. Each source is cut
    to a page before they are merged."""
    pages = []
    for branch, at, entry_id in _feed_branches(viewer_id):
        rank = _rank()
        if after is not None:
            branch = branch.where(_after(order, after, rank, at, entry_id))
        pages.append(
            select(
                branch.order_by(*_ordering(order, rank, at, entry_id)).limit(limit + 1).subquery()
            )
        )
    entries = union_all(*pages).subquery("entries")
    c = entries.c
    query = select(entries).order_by(*_ordering(order, c.rank, c.at, c.entry_id))
    rows = await session.execute(query.limit(limit + 1))
    return [dict(r._mapping) for r in rows]


async def share_details(session: AsyncSession, share_ids: list[str]) -> dict[str, ShareRow]:
    if not share_ids:
        return {}
    rows = await session.scalars(select(ShareRow).where(ShareRow.id.in_(share_ids)))
    return {r.id: r for r in rows}


# --- listings ---------------------------------------------------------------------------


async def comments_page(
    session: AsyncSession, *, post_id: str, viewer_id: str, limit: int, after: tuple | None
) -> list[CommentRow]:
    """Comments oldest first (a thread's replies follow their comment in time), leaving out
    members blocked either way with the viewer."""
    query = (
        select(CommentRow)
        .where(CommentRow.post_id == post_id, _not_blocked_with(viewer_id, CommentRow.author_id))
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
    return list(await session.scalars(query))


async def comment_reactions(
    session: AsyncSession, comment_ids: list[str], viewer_id: str
) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    counts = {i: dict.fromkeys(REACTION_KINDS, 0) for i in comment_ids}
    mine: dict[str, str] = {}
    if comment_ids:
        for target_id, kind, count in await session.execute(
            select(ReactionRow.target_id, ReactionRow.kind, func.count())
            .where(ReactionRow.target_id.in_(comment_ids))
            .group_by(ReactionRow.target_id, ReactionRow.kind)
        ):
            counts[target_id][kind] = count
        mine = dict(
            (
                await session.execute(
                    select(ReactionRow.target_id, ReactionRow.kind).where(
                        ReactionRow.target_id.in_(comment_ids), ReactionRow.actor_id == viewer_id
                    )
                )
            ).all()
        )
    return counts, mine


async def group_messages_page(
    session: AsyncSession, *, group_id: str, viewer_id: str, limit: int, after: tuple | None
) -> list[GroupMessageRow]:
    """A group's chat, newest first, leaving out members blocked either way with the viewer."""
    query = (
        select(GroupMessageRow)
        .where(
            GroupMessageRow.group_id == group_id,
            _not_blocked_with(viewer_id, GroupMessageRow.author_id),
        )
        .order_by(GroupMessageRow.created_at.desc(), GroupMessageRow.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(_before(GroupMessageRow.created_at, GroupMessageRow.id, *after))
    return list(await session.scalars(query))


async def conversation_page(
    session: AsyncSession, *, pair: str, limit: int, after: tuple | None
) -> list[DirectMessageRow]:
    query = (
        select(DirectMessageRow)
        .where(DirectMessageRow.pair == pair)
        .order_by(DirectMessageRow.created_at.desc(), DirectMessageRow.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(_before(DirectMessageRow.created_at, DirectMessageRow.id, *after))
    return list(await session.scalars(query))


async def group_members(session: AsyncSession, group_id: str, limit: int) -> list[GroupMemberRow]:
    return list(
        await session.scalars(
            select(GroupMemberRow)
            .where(GroupMemberRow.group_id == group_id)
            .order_by(GroupMemberRow.joined_at, GroupMemberRow.member_id)
            .limit(limit)
        )
    )


async def mutes_of(session: AsyncSession, member_id: str) -> list[MuteRow]:
    return list(
        await session.scalars(
            select(MuteRow).where(MuteRow.member_id == member_id).order_by(MuteRow.created_at)
        )
    )


# --- content stats ----------------------------------------------------------------------


async def content_stats(
    session: AsyncSession, member_id: str, clock: Clock, window_days: float
) -> dict:
    """A member's posts, engagement received and given, and content value over the window.
    Engagement is with posts: reactions to a post, comments on it (replies included),
    shares of it, by members other than the post's author."""
    since = clock.now - timedelta(days=window_days)
    own = select(PostRow.id).where(PostRow.author_id == member_id)
    others = select(PostRow.id).where(PostRow.author_id != member_id)

    async def acts(actor, post_column, created_at, where) -> list[tuple[str, str]]:
        rows = await session.execute(select(actor, post_column).where(created_at >= since, *where))
        return [(r[0], r[1]) for r in rows]

    received = {
        "reactions": await acts(
            ReactionRow.actor_id,
            ReactionRow.post_id,
            ReactionRow.created_at,
            [
                ReactionRow.target_id == ReactionRow.post_id,
                ReactionRow.post_id.in_(own),
                ReactionRow.actor_id != member_id,
            ],
        ),
        "comments": await acts(
            CommentRow.author_id,
            CommentRow.post_id,
            CommentRow.created_at,
            [CommentRow.post_id.in_(own), CommentRow.author_id != member_id],
        ),
        "shares": await acts(
            ShareRow.sharer_id,
            ShareRow.post_id,
            ShareRow.created_at,
            [ShareRow.post_id.in_(own), ShareRow.sharer_id != member_id],
        ),
    }
    given = {
        "reactions": await acts(
            ReactionRow.actor_id,
            ReactionRow.post_id,
            ReactionRow.created_at,
            [
                ReactionRow.target_id == ReactionRow.post_id,
                ReactionRow.actor_id == member_id,
                ReactionRow.post_id.in_(others),
            ],
        ),
        "comments": await acts(
            CommentRow.author_id,
            CommentRow.post_id,
            CommentRow.created_at,
            [CommentRow.author_id == member_id, CommentRow.post_id.in_(others)],
        ),
        "shares": await acts(
            ShareRow.sharer_id,
            ShareRow.post_id,
            ShareRow.created_at,
            [ShareRow.sharer_id == member_id, ShareRow.post_id.in_(others)],
        ),
    }
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
    audience = await session.scalar(
        select(AudienceRow.size).where(AudienceRow.member_id == member_id)
    )
    audience = audience or 0
    return {
        "member_id": member_id,
        "window_days": window_days,
        "since": since.isoformat(),
        "posts": len(posts),
        "engagement_received": {
            **{kind: len(acts) for kind, acts in received.items()},
            "members": len({actor for kind in received.values() for actor, _ in kind}),
        },
        "engagement_given": {
            **{kind: len(acts) for kind, acts in given.items()},
            "members": len(set(authors_engaged)),
        },
        "audience": audience,
        "content_value": round(
            sum(value_at(anchor, audience, clock.now, clock.rules) for (anchor,) in posts), 6
        ),
    }
