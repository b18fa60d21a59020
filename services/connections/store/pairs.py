"""Everything between two members: connection, follows, blocks (`pairs`), and connection
requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime
from shared.errors import Conflict

from ..domain import PENDING, Pair, Request
from .base import Base
from .index_changes import PAIR, record_change


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
