"""Content's tables and repositories: posts, comments, reactions, shares, groups, chats,
mutes, and the service's own copies of members and of who is connected to, follows or
blocks whom (fed by events).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime
from shared.errors import NotFound

from .domain import (
    BLOCKS,
    CONNECTED,
    FOLLOWS,
    Comment,
    DirectMessage,
    Group,
    GroupMessage,
    Membership,
    Post,
    Reaction,
    Share,
    Standing,
)
from .value import COMMENT, REACTION, SHARE, ValueRules, anchor, audience_log2


class Base(DeclarativeBase):
    metadata = MetaData()


# --- copies fed by events ---------------------------------------------------------------


class MemberRow(Base):
    """Content's copy of members: what mentions and views need. An erased member keeps a
    tombstone (the id), so that late events cannot bring them back."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(30), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(64))


class FactRow(Base):
    """Who is connected to, follows or blocks whom: a last-writer-wins register per
    (member, other, aspect), ordered by event time then event id. A connection is kept in
    both directions."""

    __tablename__ = "relation_facts"
    __table_args__ = (Index("ix_relation_facts_other", "other_id", "aspect"),)

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    aspect: Mapped[str] = mapped_column(String(16), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(64))


class AudienceRow(Base):
    """A member's audience (connections plus followers), kept for the value score."""

    __tablename__ = "audiences"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    size_log2: Mapped[float] = mapped_column(Double)


# --- content ----------------------------------------------------------------------------


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_author_created", "author_id", "created_at"),
        Index("ix_posts_group_created", "group_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    author_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16))
    group_id: Mapped[str | None] = mapped_column(String(64))
    link: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # log2 of the decayed engagement anchored at value.EPOCH; NULL: no engagement
    anchor: Mapped[float | None] = mapped_column(Double)


class MentionRow(Base):
    """Members a post, comment or group message mentions (ids are unique across kinds)."""

    __tablename__ = "mentions"

    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_post_created", "post_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    thread_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reply_to_comment_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_author_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReactionRow(Base):
    """One reaction per member per post or comment: the primary key forbids a second."""

    __tablename__ = "reactions"

    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    post_id: Mapped[str] = mapped_column(String(64), index=True)
    comment_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShareRow(Base):
    __tablename__ = "shares"
    __table_args__ = (
        UniqueConstraint("post_id", "sharer_id", name="uq_shares_post_sharer"),
        Index("ix_shares_sharer_created", "sharer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64))
    sharer_id: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupRow(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(300))
    privacy: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupMemberRow(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvitationRow(Base):
    __tablename__ = "group_invitations"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    invited_by: Mapped[str] = mapped_column(String(64), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupMessageRow(Base):
    __tablename__ = "group_messages"
    __table_args__ = (Index("ix_group_messages_group_created", "group_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    reply_to_message_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_author_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirectMessageRow(Base):
    __tablename__ = "direct_messages"
    __table_args__ = (Index("ix_direct_messages_pair_created", "pair", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pair: Mapped[str] = mapped_column(String(130))  # "a|b" with a < b
    sender_id: Mapped[str] = mapped_column(String(64), index=True)
    recipient_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MuteRow(Base):
    __tablename__ = "mutes"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StateRow(Base):
    """Small values the service keeps for itself: the cursor key, the scoring signature."""

    __tablename__ = "service_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def pair_key(one: str, other: str) -> str:
    return f"{one}|{other}" if one < other else f"{other}|{one}"


# --- repositories -----------------------------------------------------------------------


class Members:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def status(self, member_id: str) -> str:
        row = await self.session.get(MemberRow, member_id)
        if row is None:
            return "unknown"
        return "deleted" if row.deleted else "active"

    async def require(self, member_id: str, field: str) -> MemberRow:
        row = await self.session.get(MemberRow, member_id)
        if row is None or row.deleted:
            raise NotFound(f"no member with id {member_id}", field=field)
        return row

    async def upsert(
        self, member_id: str, *, handle: str, name: str, as_of: datetime, event_id: str
    ) -> None:
        row = await self.session.get(MemberRow, member_id)
        if row is None:
            self.session.add(
                MemberRow(
                    id=member_id,
                    handle=handle,
                    name=name,
                    deleted=False,
                    as_of=as_of,
                    event_id=event_id,
                )
            )
            await self.session.flush()
        elif not row.deleted and (row.as_of, row.event_id) < (as_of, event_id):
            row.handle, row.name, row.as_of, row.event_id = handle, name, as_of, event_id

    async def tombstone(self, member_id: str, *, as_of: datetime, event_id: str) -> None:
        row = await self.session.get(MemberRow, member_id)
        if row is None:
            self.session.add(MemberRow(id=member_id, deleted=True, as_of=as_of, event_id=event_id))
        else:
            row.handle, row.name, row.deleted = None, None, True
        await self.session.flush()

    async def ids_by_handle(self, handles: Iterable[str]) -> dict[str, str]:
        """handle -> id of the active member holding it (the newest copy wins while two
        copies briefly claim one handle, e.g. after a rename seen out of order)."""
        handles = list(set(handles))
        if not handles:
            return {}
        rows = await self.session.execute(
            select(MemberRow.handle, MemberRow.id)
            .where(MemberRow.handle.in_(handles), MemberRow.deleted.is_(False))
            .order_by(MemberRow.as_of, MemberRow.event_id)
        )
        return {r.handle: r.id for r in rows}

    async def cards(self, ids: Iterable[str]) -> dict[str, dict]:
        """id -> {member_id, handle, name} for views."""
        ids = list(set(ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(MemberRow).where(MemberRow.id.in_(ids)))
        return {
            r.id: {"member_id": r.id, "handle": r.handle, "name": r.name}
            for r in rows
            if not r.deleted
        }


class Relations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def apply(
        self, member_id: str, other_id: str, aspect: str, active: bool, version: tuple
    ) -> bool:
        """Record a fact unless a newer one is known; True when the register changed."""
        as_of, event_id = version
        row = await self.session.get(FactRow, (member_id, other_id, aspect))
        if row is None:
            self.session.add(
                FactRow(
                    member_id=member_id,
                    other_id=other_id,
                    aspect=aspect,
                    active=active,
                    as_of=as_of,
                    event_id=event_id,
                )
            )
            await self.session.flush()
            return True
        if (row.as_of, row.event_id) < (as_of, event_id):
            changed = row.active != active
            row.active, row.as_of, row.event_id = active, as_of, event_id
            return changed
        return False

    async def standing(self, member_id: str, other_id: str) -> Standing:
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.aspect).where(
                FactRow.active.is_(True),
                or_(
                    (FactRow.member_id == member_id) & (FactRow.other_id == other_id),
                    (FactRow.member_id == other_id) & (FactRow.other_id == member_id),
                ),
            )
        )
        facts = {(r.member_id, r.aspect) for r in rows}
        return Standing(
            connected=(member_id, CONNECTED) in facts,
            blocked=(member_id, BLOCKS) in facts or (other_id, BLOCKS) in facts,
        )

    async def blocked_with(self, member_id: str, others: Iterable[str]) -> set[str]:
        """Which of `others` block `member_id` or are blocked by them."""
        others = list(set(others))
        if not others:
            return set()
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.other_id).where(
                FactRow.aspect == BLOCKS,
                FactRow.active.is_(True),
                or_(
                    (FactRow.member_id == member_id) & FactRow.other_id.in_(others),
                    (FactRow.other_id == member_id) & FactRow.member_id.in_(others),
                ),
            )
        )
        return {r.other_id if r.member_id == member_id else r.member_id for r in rows}

    async def refresh_audience(self, member_id: str) -> None:
        connections = select(func.count()).where(
            FactRow.member_id == member_id,
            FactRow.aspect == CONNECTED,
            FactRow.active.is_(True),
        )
        followers = select(func.count()).where(
            FactRow.other_id == member_id,
            FactRow.aspect == FOLLOWS,
            FactRow.active.is_(True),
        )
        size = (await self.session.scalar(connections) or 0) + (
            await self.session.scalar(followers) or 0
        )
        row = await self.session.get(AudienceRow, member_id)
        if row is None:
            self.session.add(
                AudienceRow(member_id=member_id, size=size, size_log2=audience_log2(size))
            )
        else:
            row.size, row.size_log2 = size, audience_log2(size)
        await self.session.flush()

    async def audience(self, member_id: str) -> int:
        row = await self.session.get(AudienceRow, member_id)
        return row.size if row else 0

    async def forget(self, member_id: str) -> set[str]:
        """Erasure: delete every fact involving the member; returns the others involved."""
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.other_id).where(
                or_(FactRow.member_id == member_id, FactRow.other_id == member_id)
            )
        )
        others = {r.other_id if r.member_id == member_id else r.member_id for r in rows}
        await self.session.execute(
            delete(FactRow).where(
                or_(FactRow.member_id == member_id, FactRow.other_id == member_id)
            )
        )
        await self.session.execute(delete(AudienceRow).where(AudienceRow.member_id == member_id))
        return others - {member_id}


class Mentions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item_id: str, member_ids: list[str]) -> None:
        for position, member_id in enumerate(member_ids):
            self.session.add(MentionRow(item_id=item_id, member_id=member_id, position=position))
        if member_ids:
            await self.session.flush()

    async def replace(self, item_id: str, member_ids: list[str]) -> None:
        await self.session.execute(delete(MentionRow).where(MentionRow.item_id == item_id))
        await self.add(item_id, member_ids)

    async def of(self, item_ids: Iterable[str]) -> dict[str, list[str]]:
        item_ids = list(set(item_ids))
        if not item_ids:
            return {}
        rows = await self.session.execute(
            select(MentionRow.item_id, MentionRow.member_id)
            .where(MentionRow.item_id.in_(item_ids))
            .order_by(MentionRow.item_id, MentionRow.position)
        )
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r.item_id, []).append(r.member_id)
        return found

    async def forget_items(self, item_ids: Iterable[str]) -> None:
        item_ids = list(item_ids)
        if item_ids:
            await self.session.execute(delete(MentionRow).where(MentionRow.item_id.in_(item_ids)))


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
        row = await self.session.get(ReactionRow, (target_id, actor_id))
        if row is None:
            return None
        return Reaction(
            row.post_id, row.comment_id, row.actor_id, row.kind, row.created_at, row.updated_at
        )

    async def save(self, reaction: Reaction) -> None:
        row = await self.session.get(ReactionRow, (reaction.target_id, reaction.actor_id))
        if row is None:
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
        else:
            row.kind, row.updated_at = reaction.kind, reaction.updated_at
        await self.session.flush()

    async def delete(self, target_id: str, actor_id: str) -> None:
        await self.session.execute(
            delete(ReactionRow).where(
                ReactionRow.target_id == target_id, ReactionRow.actor_id == actor_id
            )
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


class Groups:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, group_id: str, involving: Iterable[str] = ()) -> Group | None:
        """The group with the memberships and invitations of the `involving` members (a
        group may have thousands of members; a command concerns one or two)."""
        row = await self.session.get(GroupRow, group_id)
        if row is None:
            return None
        involved = set(involving)
        if row.owner_id:
            involved.add(row.owner_id)
        group = Group(row.id, row.name, row.topic, row.privacy, row.owner_id, row.created_at)
        if involved:
            members = await self.session.scalars(
                select(GroupMemberRow).where(
                    GroupMemberRow.group_id == group_id, GroupMemberRow.member_id.in_(involved)
                )
            )
            group.members = {
                m.member_id: Membership(m.member_id, m.role, m.joined_at) for m in members
            }
            invitations = await self.session.scalars(
                select(InvitationRow).where(
                    InvitationRow.group_id == group_id, InvitationRow.member_id.in_(involved)
                )
            )
            group.invited = {i.member_id: i.invited_by for i in invitations}
        group.member_count = await self.member_count(group_id)
        group.loaded = involved
        return group

    async def member_count(self, group_id: str) -> int:
        return (
            await self.session.scalar(
                select(func.count()).where(GroupMemberRow.group_id == group_id)
            )
            or 0
        )

    async def longest_standing(self, group_id: str, excluding: str) -> Membership | None:
        row = await self.session.scalar(
            select(GroupMemberRow)
            .where(GroupMemberRow.group_id == group_id, GroupMemberRow.member_id != excluding)
            .order_by(GroupMemberRow.joined_at, GroupMemberRow.member_id)
            .limit(1)
        )
        return Membership(row.member_id, row.role, row.joined_at) if row else None

    async def is_member(self, group_id: str, member_id: str) -> bool:
        return await self.session.get(GroupMemberRow, (group_id, member_id)) is not None

    async def save(self, group: Group, now: datetime) -> None:
        if group.deleted:
            await self.delete(group.id)
            return
        row = await self.session.get(GroupRow, group.id)
        if row is None:
            self.session.add(
                GroupRow(
                    id=group.id,
                    name=group.name,
                    topic=group.topic,
                    privacy=group.privacy,
                    owner_id=group.owner_id,
                    created_at=group.created_at,
                )
            )
        else:
            row.owner_id = group.owner_id
        for member_id in group.loaded | set(group.members) | set(group.left):
            await self._save_membership(group, member_id, now)
        await self.session.flush()

    async def _save_membership(self, group: Group, member_id: str, now: datetime) -> None:
        key = (group.id, member_id)
        membership = group.members.get(member_id)
        row = await self.session.get(GroupMemberRow, key)
        if membership is None and row is not None:
            await self.session.delete(row)
        elif membership is not None and row is None:
            self.session.add(
                GroupMemberRow(
                    group_id=group.id,
                    member_id=member_id,
                    role=membership.role,
                    joined_at=membership.joined_at,
                )
            )
        elif membership is not None and row is not None:
            row.role = membership.role
        inviter = group.invited.get(member_id)
        invitation = await self.session.get(InvitationRow, key)
        if inviter is None and invitation is not None:
            await self.session.delete(invitation)
        elif inviter is not None and invitation is None:
            self.session.add(
                InvitationRow(
                    group_id=group.id, member_id=member_id, invited_by=inviter, invited_at=now
                )
            )

    async def delete(self, group_id: str) -> None:
        """A group goes with its posts, chat, memberships, invitations and mutes of it."""
        await Posts(self.session).delete(await Posts(self.session).ids_by(group_id=group_id))
        messages = list(
            await self.session.scalars(
                select(GroupMessageRow.id).where(GroupMessageRow.group_id == group_id)
            )
        )
        await Mentions(self.session).forget_items(messages)
        for table in (GroupMessageRow, GroupMemberRow, InvitationRow):
            await self.session.execute(delete(table).where(table.group_id == group_id))
        await self.session.execute(delete(MuteRow).where(MuteRow.target_id == group_id))
        await self.session.execute(delete(GroupRow).where(GroupRow.id == group_id))

    async def of_member(self, member_id: str) -> list[str]:
        """Groups the member is in or invited to."""
        joined = await self.session.scalars(
            select(GroupMemberRow.group_id).where(GroupMemberRow.member_id == member_id)
        )
        invited = await self.session.scalars(
            select(InvitationRow.group_id).where(InvitationRow.member_id == member_id)
        )
        return sorted({*joined, *invited})


class GroupMessages:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, message_id: str) -> GroupMessage | None:
        row = await self.session.get(GroupMessageRow, message_id)
        if row is None:
            return None
        return GroupMessage(
            row.id,
            row.group_id,
            row.author_id,
            row.body,
            row.reply_to_message_id,
            row.reply_to_author_id,
            [],
            row.created_at,
        )

    async def add(self, message: GroupMessage) -> None:
        self.session.add(
            GroupMessageRow(
                id=message.id,
                group_id=message.group_id,
                author_id=message.author_id,
                body=message.body,
                reply_to_message_id=message.reply_to_message_id,
                reply_to_author_id=message.reply_to_author_id,
                created_at=message.created_at,
            )
        )
        await self.session.flush()
        await Mentions(self.session).add(message.id, message.mentioned_ids)


class DirectMessages:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: DirectMessage) -> None:
        self.session.add(
            DirectMessageRow(
                id=message.id,
                pair=pair_key(message.sender_id, message.recipient_id),
                sender_id=message.sender_id,
                recipient_id=message.recipient_id,
                body=message.body,
                created_at=message.created_at,
            )
        )
        await self.session.flush()


class Mutes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: str, target_id: str) -> MuteRow | None:
        return await self.session.get(MuteRow, (member_id, target_id))

    async def add(self, member_id: str, target_id: str, kind: str, now: datetime) -> MuteRow:
        row = await self.get(member_id, target_id)
        if row is None:
            row = MuteRow(
                member_id=member_id, target_id=target_id, target_kind=kind, created_at=now
            )
            self.session.add(row)
            await self.session.flush()
        return row

    async def delete(self, member_id: str, target_id: str) -> None:
        await self.session.execute(
            delete(MuteRow).where(MuteRow.member_id == member_id, MuteRow.target_id == target_id)
        )


class State:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> str | None:
        row = await self.session.get(StateRow, name)
        return row.value if row else None

    async def put(self, name: str, value: str) -> None:
        row = await self.session.get(StateRow, name)
        if row is None:
            self.session.add(StateRow(name=name, value=value))
        else:
            row.value = value
        await self.session.flush()


class Erasure:
    """Everything of one member goes: their content, their engagement, their messages, their
    memberships, their mutes, mentions of them, and their place in the copies."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def engaged_posts(self, member_id: str) -> set[str]:
        """Posts (of others) the member reacted to, commented on or shared."""
        s = self.session
        reacted = await s.scalars(
            select(ReactionRow.post_id).where(ReactionRow.actor_id == member_id)
        )
        commented = await s.scalars(
            select(CommentRow.post_id).where(CommentRow.author_id == member_id)
        )
        shared = await s.scalars(select(ShareRow.post_id).where(ShareRow.sharer_id == member_id))
        return {*reacted, *commented, *shared}

    async def content_of(self, member_id: str) -> None:
        s = self.session
        await Posts(s).delete(await Posts(s).ids_by(author_id=member_id))
        comments = list(
            await s.scalars(select(CommentRow.id).where(CommentRow.author_id == member_id))
        )
        await Comments(s).delete(comments)
        await s.execute(delete(ReactionRow).where(ReactionRow.actor_id == member_id))
        await s.execute(delete(ShareRow).where(ShareRow.sharer_id == member_id))
        messages = list(
            await s.scalars(
                select(GroupMessageRow.id).where(GroupMessageRow.author_id == member_id)
            )
        )
        await Mentions(s).forget_items(messages)
        await s.execute(delete(GroupMessageRow).where(GroupMessageRow.author_id == member_id))
        await s.execute(
            update(GroupMessageRow)
            .where(GroupMessageRow.reply_to_author_id == member_id)
            .values(reply_to_message_id=None, reply_to_author_id=None)
        )
        await s.execute(
            delete(DirectMessageRow).where(
                or_(
                    DirectMessageRow.sender_id == member_id,
                    DirectMessageRow.recipient_id == member_id,
                )
            )
        )
        await s.execute(delete(MentionRow).where(MentionRow.member_id == member_id))
        await s.execute(
            delete(MuteRow).where(
                or_(MuteRow.member_id == member_id, MuteRow.target_id == member_id)
            )
        )
        await s.execute(
            delete(InvitationRow).where(
                or_(InvitationRow.member_id == member_id, InvitationRow.invited_by == member_id)
            )
        )
