"""The feed of member V, newest first or by value, as one query over two kinds of entries:
- posts: V's own; `connections` and `org` posts of V's connections; `org` posts of members V
  follows; posts in V's groups;
- shares: by V, V's connections and the members V follows, of posts V may see;
leaving out everything by a member blocked either way with V, and everything by a muted
member or in a muted group (as author or as sharer).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UTCDateTime

from ..copies.domain import CONNECTED, FOLLOWS
from ..copies.queries import facts, not_blocked_with
from ..copies.tables import AudienceRow
from ..engagement.tables import ShareRow
from ..groups.tables import GroupMemberRow
from ..paging import before
from ..posts.tables import PostRow
from ..value import UNRANKED
from .tables import MuteRow


def _visible_to(viewer_id) -> ColumnElement[bool]:
    """The visibility rule of posts.domain.can_see, in SQL, for PostRow."""
    return or_(
        PostRow.author_id == viewer_id,
        and_(
            not_blocked_with(viewer_id, PostRow.author_id),
            or_(
                PostRow.visibility == "org",
                and_(
                    PostRow.visibility == "connections",
                    PostRow.author_id.in_(facts(viewer_id, CONNECTED)),
                ),
                and_(PostRow.visibility == "group", PostRow.group_id.in_(_groups_of(viewer_id))),
            ),
        ),
    )


def _groups_of(member_id) -> Select:
    return select(GroupMemberRow.group_id).where(GroupMemberRow.member_id == member_id)


def _muted_by(member_id) -> Select:
    return select(MuteRow.target_id).where(MuteRow.member_id == member_id)


def _not_muted_post(viewer_id) -> ColumnElement[bool]:
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


def _post_branch(viewer_id, *where: ColumnElement[bool]) -> Select:
    return (
        _entries("post", PostRow.id, PostRow.author_id, PostRow.created_at)
        .select_from(PostRow)
        .outerjoin(AudienceRow, AudienceRow.member_id == PostRow.author_id)
        .where(*where, not_blocked_with(viewer_id, PostRow.author_id), _not_muted_post(viewer_id))
    )


def _feed_branches(viewer_id) -> list[tuple[Select, Any, Any]]:
    """The feed's sources, each a query an index can serve, disjoint from the others:
    (query, its time column, its entry id column)."""
    connected, followed = facts(viewer_id, CONNECTED), facts(viewer_id, FOLLOWS)
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
            ShareRow.sharer_id.in_(union_all(connected, followed, select(viewer_id))),
            not_blocked_with(viewer_id, ShareRow.sharer_id),
            ShareRow.sharer_id.not_in(_muted_by(viewer_id)),
            _visible_to(viewer_id),
            _not_muted_post(viewer_id),
        )
    )
    return [
        *((branch, PostRow.created_at, PostRow.id) for branch in posts),
        (shares, ShareRow.created_at, ShareRow.id),
    ]


# The position after which a page starts, as parameters of the statement
_AFTER = {
    "rank": bindparam("after_rank", type_=Double),
    "at": bindparam("after_at", type_=UTCDateTime),
    "id": bindparam("after_id", type_=String),
}


def _after(order: str, rank, at, entry_id) -> ColumnElement[bool]:
    """Keyset condition: entries strictly after the position, in the feed's order."""
    position_at, position_id = _AFTER["at"], _AFTER["id"]
    if order == "value":
        return or_(
            rank < _AFTER["rank"],
            and_(rank == _AFTER["rank"], before(at, entry_id, position_at, position_id)),
        )
    # `at <= ...` first, so that an index on the time serves the range
    return and_(at <= position_at, before(at, entry_id, position_at, position_id))


def _ordering(order: str, rank, at, entry_id) -> list:
    by_time = [at.desc(), entry_id.desc()]
    return [rank.desc(), *by_time] if order == "value" else by_time


@functools.cache
def _feed_statement(order: str, paged: bool) -> Select:
    """The feed query, built once per order and kind of page with the reader and the
    position as parameters: building it and deriving its cache key cost more than running
    it, and SQLAlchemy keeps both with the statement object. Each source is cut to a page
    before they are merged."""
    viewer = bindparam("viewer_id", type_=String)
    per_page = bindparam("per_page", type_=Integer)
    pages = []
    for branch, at, entry_id in _feed_branches(viewer):
        rank = _rank()
        if paged:
            branch = branch.where(_after(order, rank, at, entry_id))
        pages.append(
            select(
                branch.order_by(*_ordering(order, rank, at, entry_id)).limit(per_page).subquery()
            )
        )
    entries = union_all(*pages).subquery("entries")
    c = entries.c
    return select(entries).order_by(*_ordering(order, c.rank, c.at, c.entry_id)).limit(per_page)


async def feed_page(
    session: AsyncSession,
    *,
    viewer_id: str,
    order: str,
    limit: int,
    after: tuple | None,
) -> list[dict]:
    """The next `limit` + 1 entries after the position `after` ((time, id), or (rank,
    time, id) by value): kind, entry_id, post_id, actor_id, at, rank."""
    params: dict[str, Any] = {"viewer_id": viewer_id, "per_page": limit + 1}
    if after is not None:
        names = ["after_at", "after_id"]
        if order == "value":
            names.insert(0, "after_rank")
        params |= dict(zip(names, after, strict=True))
    rows = await session.execute(_feed_statement(order, after is not None), params)
    return [dict(r._mapping) for r in rows]


async def share_details(session: AsyncSession, share_ids: list[str]) -> dict[str, ShareRow]:
    if not share_ids:
        return {}
    rows = await session.scalars(select(ShareRow).where(ShareRow.id.in_(share_ids)))
    return {r.id: r for r in rows}
