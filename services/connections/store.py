"""Connections' tables and repositories: its copy of members, pairs and requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, MetaData, String, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime

from .domain import PENDING, Pair, Request


class Base(DeclarativeBase):
    metadata = MetaData()


class KnownMember(Base):
    """The service's own copy of members, fed by profile events."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(100))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)


class PairRow(Base):
    __tablename__ = "pairs"

    a: Mapped[str] = mapped_column(String(64), primary_key=True)
    b: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    connected_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    a_follows_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    b_follows_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    a_blocks_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    b_blocks_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


class Members:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self, member_id: str) -> KnownMember | None:
        row = await self.session.get(KnownMember, member_id)
        return row if row is not None and not row.deleted else None

    async def upsert(self, member_id: str, *, handle: str, name: str, as_of: datetime) -> None:
        row = await self.session.get(KnownMember, member_id)
        if row is None:
            self.session.add(
                KnownMember(id=member_id, handle=handle, name=name, deleted=False, as_of=as_of)
            )
        elif not row.deleted and row.as_of <= as_of:
            row.handle, row.name, row.as_of = handle, name, as_of

    async def forget(self, member_id: str, *, as_of: datetime) -> None:
        """Erasure: keep only a tombstone (the id), so late events cannot resurrect them."""
        row = await self.session.get(KnownMember, member_id)
        if row is None:
            self.session.add(KnownMember(id=member_id, deleted=True, as_of=as_of))
        else:
            row.handle, row.name, row.deleted, row.as_of = None, None, True, as_of
        await self.session.execute(
            delete(PairRow).where(or_(PairRow.a == member_id, PairRow.b == member_id))
        )
        await self.session.execute(
            delete(RequestRow).where(
                or_(RequestRow.requester_id == member_id, RequestRow.addressee_id == member_id)
            )
        )

    async def names(self, ids: list[str]) -> dict[str, KnownMember]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(KnownMember).where(KnownMember.id.in_(ids)))
        return {r.id: r for r in rows}


class Pairs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, one: str, other: str) -> Pair:
        a, b = Pair.key(one, other)
        row = await self.session.get(PairRow, (a, b))
        pair = Pair(a, b)
        if row is not None:
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

    async def save(self, pair: Pair) -> None:
        row = await self.session.get(PairRow, (pair.a, pair.b))
        if row is None:
            row = PairRow(a=pair.a, b=pair.b)
            self.session.add(row)
        row.connected_since = pair.connected_since
        row.a_follows_since = pair.following_since.get(pair.a)
        row.b_follows_since = pair.following_since.get(pair.b)
        row.a_blocks_since = pair.blocking_since.get(pair.a)
        row.b_blocks_since = pair.blocking_since.get(pair.b)
        for request in pair.closed_requests:
            closed = await self.session.get(RequestRow, request.id)
            closed.status, closed.closed_at, closed.pending_pair = (
                request.status,
                request.closed_at,
                None,
            )
        # the pending pair key is released before it is taken again
        await self.session.flush()
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
