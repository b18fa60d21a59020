"""Connections' tables and repositories: its copies of members (with the profile fields
suggestions need), groups, group memberships, events and RSVPs, fed by events and kept by
shared/copies.py (one last-writer-wins rule, tombstones); check-ins; its own pairs, requests
and dismissed suggestions; and the change feed that keeps the suggestion index in step with
all of them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    MetaData,
    String,
    and_,
    delete,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version
from shared.db import UTCDateTime
from shared.errors import Conflict

from .domain import PENDING, Pair, Request


class Base(DeclarativeBase):
    metadata = MetaData()


class KnownMember(CopiedRow, Base):
    """The service's own copy of members, fed by profile events: who exists, and the profile
    fields suggestions are computed from. An erased member keeps only a tombstone."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(100))
    headline: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[list | None] = mapped_column(JSON)
    skills: Mapped[list | None] = mapped_column(JSON)
    accomplishments: Mapped[list | None] = mapped_column(JSON)
    goals: Mapped[list | None] = mapped_column(JSON)


class PairRow(Base):
    __tablename__ = "pairs"

    a: Mapped[str] = mapped_column(String(64), primary_key=True)
    b: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    connected_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    a_follows_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    b_follows_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    a_blocks_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    b_blocks_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # bumped by every change of the pair: a save is conditional on the version it loaded
    version: Mapped[int] = mapped_column(Integer, default=1)


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requester_id: Mapped[str] = mapped_column(String(64), index=True)
    addressee_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # "a|b" while pending, NULL after: the unique index keeps one pending request per pair
    pending_pair: Mapped[str | None] = mapped_column(String(130), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# what suggestions read of a member's profile, asked of profiles (member facts carry only the
# handle of these)
PERSONAL_FIELDS = ("name", "headline", "keywords", "skills", "accomplishments", "goals")
PROFILE_COPY_FIELDS = ("handle", *PERSONAL_FIELDS)


class Members:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.copies = Copies(session, KnownMember, personal=PROFILE_COPY_FIELDS)

    async def active(self, member_id: str) -> KnownMember | None:
        return await self.copies.get(member_id)

    async def is_erased(self, member_id: str) -> bool:
        row = await self.session.get(KnownMember, member_id)
        return row is not None and row.deleted

    async def upsert(self, member_id: str, profile: dict, version: Version) -> None:
        """Copy the profile unless the copy is newer, or the member was erased."""
        fields = {k: profile[k] for k in PROFILE_COPY_FIELDS}
        if await self.copies.apply(member_id, fields, version):
            await record_change(self.session, MEMBER, member_id)

    async def forget(self, member_id: str, version: Version) -> None:
        """Erasure: keep only a tombstone (the id), so late events cannot resurrect them, and
        drop everything the service holds about them."""
        await self.copies.erase(member_id, version)
        for statement in (
            delete(PairRow).where(or_(PairRow.a == member_id, PairRow.b == member_id)),
            delete(RequestRow).where(
                or_(RequestRow.requester_id == member_id, RequestRow.addressee_id == member_id)
            ),
            delete(GroupMembershipRow).where(GroupMembershipRow.member_id == member_id),
            delete(RsvpRow).where(RsvpRow.member_id == member_id),
            delete(CheckInRow).where(CheckInRow.member_id == member_id),
            delete(DismissalRow).where(
                or_(DismissalRow.member_id == member_id, DismissalRow.other_id == member_id)
            ),
        ):
            await self.session.execute(statement)
        await record_change(self.session, MEMBER, member_id)

    async def erased_among(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = await self.session.scalars(
            select(KnownMember.id).where(KnownMember.id.in_(ids), KnownMember.deleted.is_(True))
        )
        return set(rows)

    async def names(self, ids: list[str]) -> dict[str, KnownMember]:
        return await self.copies.live(ids)


class Pairs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, one: str, other: str) -> Pair:
        a, b = Pair.key(one, other)
        row = await self.session.get(PairRow, (a, b))
        pair = Pair(a, b)
        if row is not None:
            pair.version = row.version
            pair.connected_since = row.connected_since
            pair.following_since = _present({a: row.a_follows_since, b: row.b_follows_since})
            pair.blocking_since = _present({a: row.a_blocks_since, b: row.b_blocks_since})
        pending = await self.session.scalar(
            select(RequestRow).where(RequestRow.pending_pair == f"{a}|{b}")
        )
        pair.pending = _to_request(pending) if pending else None
        return pair

    async def request(self, request_id: str) -> Request | None:
        row = await self.session.get(RequestRow, request_id)
        return _to_request(row) if row else None

    async def save(self, pair: Pair, *, field: str = "other_id") -> None:
        """Save the pair if nobody changed it since it was loaded, else Conflict (409): of
        concurrent changes of one pair exactly one is saved, so only its facts are published.
        A request is closed only if it is still pending (the same rule, row by row). `field`
        is the request field the Conflict names."""
        state = {
            "connected_since": pair.connected_since,
            "a_follows_since": pair.following_since.get(pair.a),
            "b_follows_since": pair.following_since.get(pair.b),
            "a_blocks_since": pair.blocking_since.get(pair.a),
            "b_blocks_since": pair.blocking_since.get(pair.b),
        }
        if pair.version == 0:
            # a first change: a concurrent first change fails on the primary key (409)
            await self.session.execute(
                insert(PairRow.__table__).values(a=pair.a, b=pair.b, version=1, **state)
            )
        else:
            saved = await self.session.execute(
                update(PairRow)
                .where(PairRow.a == pair.a, PairRow.b == pair.b, PairRow.version == pair.version)
                .values(version=pair.version + 1, **state)
                .execution_options(synchronize_session=False)
            )
            if saved.rowcount != 1:
                raise _changed_meanwhile(field)
        for request in pair.closed_requests:
            closed = await self.session.execute(
                update(RequestRow)
                .where(RequestRow.id == request.id, RequestRow.status == PENDING)
                .values(status=request.status, closed_at=request.closed_at, pending_pair=None)
                .execution_options(synchronize_session=False)
            )
            if closed.rowcount != 1:
                raise _changed_meanwhile(field)
        await record_change(self.session, PAIR, f"{pair.a}|{pair.b}")
        if pair.pending is not None and await self.session.get(RequestRow, pair.pending.id) is None:
            p = pair.pending
            self.session.add(
                RequestRow(
                    id=p.id,
                    requester_id=p.requester_id,
                    addressee_id=p.addressee_id,
                    status=PENDING,
                    pending_pair=f"{pair.a}|{pair.b}",
                    created_at=p.created_at,
                )
            )
        await self.session.flush()

    async def connections_of(self, member_id: str) -> list[tuple[str, datetime]]:
        rows = await self.session.execute(
            select(PairRow.a, PairRow.b, PairRow.connected_since).where(
                or_(PairRow.a == member_id, PairRow.b == member_id),
                PairRow.connected_since.is_not(None),
            )
        )
        return sorted(
            ((r.b if r.a == member_id else r.a, r.connected_since) for r in rows),
            key=lambda item: item[1],
            reverse=True,
        )

    async def blocked_by(self, member_id: str) -> list[tuple[str, datetime]]:
        """Whom `member_id` blocks, and since when, newest first."""
        rows = await self.session.execute(
            select(PairRow.a, PairRow.b, PairRow.a_blocks_since, PairRow.b_blocks_since).where(
                or_(
                    and_(PairRow.a == member_id, PairRow.a_blocks_since.is_not(None)),
                    and_(PairRow.b == member_id, PairRow.b_blocks_since.is_not(None)),
                )
            )
        )
        blocked = (
            (r.b, r.a_blocks_since) if r.a == member_id else (r.a, r.b_blocks_since) for r in rows
        )
        return sorted(blocked, key=lambda item: item[1], reverse=True)

    async def pending_requests_of(self, member_id: str) -> list[Request]:
        rows = await self.session.scalars(
            select(RequestRow)
            .where(
                RequestRow.status == PENDING,
                or_(RequestRow.requester_id == member_id, RequestRow.addressee_id == member_id),
            )
            .order_by(RequestRow.created_at.desc())
        )
        return [_to_request(r) for r in rows]


def _changed_meanwhile(field: str) -> Conflict:
    return Conflict(
        "these members' connection changed meanwhile (a concurrent request won); "
        "read it again and retry if still wanted",
        field=field,
    )


def _present(since: dict[str, datetime | None]) -> dict[str, datetime]:
    return {member: at for member, at in since.items() if at is not None}


def _to_request(row: RequestRow) -> Request:
    return Request(
        id=row.id,
        requester_id=row.requester_id,
        addressee_id=row.addressee_id,
        status=row.status,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


# --- copies of groups and events, fed by the content and events services ------------------


class GroupRow(CopiedRow, Base):
    """A group of the content service: its name, for reasons ("both in the group ...")."""

    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class GroupMembershipRow(CopiedRow, Base):
    """Whether a member is in a group: a last-writer-wins register per (group, member)."""

    __tablename__ = "group_memberships"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    joined: Mapped[bool] = mapped_column()


class GatheringRow(CopiedRow, Base):
    """An event of the events service: title and end, for reasons. A cancellation is the
    copy's erasure: cancelled for good, whatever arrives after it."""

    __tablename__ = "gatherings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def cancelled(self) -> bool:
        return self.deleted


class RsvpRow(CopiedRow, Base):
    """A member's answer to an event: a last-writer-wins register per (event, member).
    (`event_id` is the copied fact's id, as in every copied row: the event is a gathering.)"""

    __tablename__ = "rsvps"

    gathering_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    rsvp: Mapped[str] = mapped_column(String(16))


class CheckInRow(Base):
    """A member checked in at an event: once checked in, always checked in."""

    __tablename__ = "check_ins"

    gathering_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Groups:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.groups = Copies(session, GroupRow)
        self.memberships = Copies(session, GroupMembershipRow)

    async def name(self, group_id: str, name: str, version: Version) -> None:
        if await self.groups.apply(group_id, {"name": name}, version):
            await record_change(self.session, GROUP, group_id)

    async def set_member(
        self, group_id: str, member_id: str, *, joined: bool, version: Version
    ) -> None:
        if await self.memberships.apply((group_id, member_id), {"joined": joined}, version):
            await record_change(self.session, MEMBERSHIP, f"{group_id}|{member_id}")


class Gatherings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.gatherings = Copies(session, GatheringRow)
        self.rsvps = Copies(session, RsvpRow)

    async def describe(
        self, event_id: str, *, title: str, ends_at: datetime, version: Version
    ) -> None:
        fields = {"title": title, "ends_at": ends_at}
        if await self.gatherings.apply(event_id, fields, version):
            await record_change(self.session, GATHERING, event_id)

    async def cancel(self, event_id: str, version: Version) -> None:
        await self.gatherings.erase(event_id, version)
        await record_change(self.session, GATHERING, event_id)

    async def answer(self, event_id: str, member_id: str, rsvp: str, version: Version) -> None:
        if await self.rsvps.apply((event_id, member_id), {"rsvp": rsvp}, version):
            await record_change(self.session, ATTENDANCE, f"{event_id}|{member_id}")

    async def check_in(self, event_id: str, member_id: str) -> None:
        if await self.session.get(CheckInRow, (event_id, member_id)) is None:
            self.session.add(CheckInRow(gathering_id=event_id, member_id=member_id))
            await self.session.flush()
            await record_change(self.session, ATTENDANCE, f"{event_id}|{member_id}")


# --- dismissed suggestions -------------------------------------------------------------------


class DismissalRow(Base):
    __tablename__ = "dismissals"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dismissals:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def dismiss(self, member_id: str, other_id: str, now: datetime) -> datetime:
        """Record the dismissal (once); returns when it was first made."""
        row = await self.session.get(DismissalRow, (member_id, other_id))
        if row is None:
            row = DismissalRow(member_id=member_id, other_id=other_id, dismissed_at=now)
            self.session.add(row)
            await self.session.flush()
        return row.dismissed_at


# --- the change feed of the suggestion index -------------------------------------------------

MEMBER, PAIR, GROUP, MEMBERSHIP, GATHERING, ATTENDANCE = (
    "member",
    "pair",
    "group",
    "membership",
    "gathering",
    "attendance",
)


class IndexChangeRow(Base):
    """What changed in the tables the suggestion index is built from, written in the same
    transaction as the change: every replica's index reads it to catch up."""

    __tablename__ = "index_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def record_change(session: AsyncSession, kind: str, key: str) -> None:
    # a Core insert: no ORM flush or bulk-persistence machinery for one row
    await session.execute(
        insert(IndexChangeRow.__table__).values(kind=kind, key=key, recorded_at=datetime.now(UTC))
    )


async def not_to_suggest(session: AsyncSession, member_id: str) -> set[str]:
    """Members never suggested to this member: connected to them, blocking or blocked by
    them, in a pending request with them (either way), or dismissed by them. One query."""
    settled = or_(
        PairRow.connected_since.is_not(None),
        PairRow.a_blocks_since.is_not(None),
        PairRow.b_blocks_since.is_not(None),
    )
    pending = RequestRow.status == PENDING
    query = union_all(
        select(PairRow.b).where(PairRow.a == member_id, settled),
        select(PairRow.a).where(PairRow.b == member_id, settled),
        select(RequestRow.addressee_id).where(RequestRow.requester_id == member_id, pending),
        select(RequestRow.requester_id).where(RequestRow.addressee_id == member_id, pending),
        select(DismissalRow.other_id).where(DismissalRow.member_id == member_id),
    )
    return set(await session.scalars(query))
