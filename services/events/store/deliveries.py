"""Webhook deliveries: every (source, webhook id) seen, their raw messages in WEBHOOKS and
whom they name, for redelivery, replay, retention and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..deliveries import Delivery, Named
from .base import Base


class DeliveryRow(Base):
    """Every webhook delivery the service has seen, by (source, webhook id): the memory
    that makes a redelivery after the JetStream duplicate window harmless. The body is kept
    only while the delivery has failed, for replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("source", "webhook_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    webhook_id: Mapped[str] = mapped_column(String(200))
    adapter: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class DeliveryMessageRow(Base):
    """A delivery's raw message in the WEBHOOKS stream, by its sequence there (a sender's retry
    after the duplicate window is a second one): what an erasure deletes in the stream."""

    __tablename__ = "webhook_delivery_messages"

    sequence: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )


class DeliveryNameRow(Base):
    """Whom a delivery names: each email's digest (never the email) and the member it was
    when the delivery arrived. An erasure finds the member's deliveries by these."""

    __tablename__ = "webhook_delivery_names"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def id_of(self, source: str, webhook_id: str) -> str | None:
        return await self.session.scalar(
            select(DeliveryRow.id).where(
                DeliveryRow.source == source, DeliveryRow.webhook_id == webhook_id
            )
        )

    async def get(self, delivery_id: str) -> Delivery | None:
        row = await self.session.get(DeliveryRow, delivery_id)
        return _to_delivery(row) if row else None

    async def add_message(self, delivery_id: str, sequence: int | None) -> None:
        """Another raw message of a known delivery (a sender's retry)."""
        if sequence is not None and await self.session.get(DeliveryMessageRow, sequence) is None:
            self.session.add(DeliveryMessageRow(sequence=sequence, delivery_id=delivery_id))
            await self.session.flush()

    async def save(self, delivery: Delivery, *, new: bool = False, names: list[Named] = ()) -> None:
        """Write the delivery; a new one with its raw message and whom it names."""
        row = None if new else await self.session.get(DeliveryRow, delivery.id)
        first = row is None
        if row is None:
            row = DeliveryRow(id=delivery.id)
            self.session.add(row)
        row.source, row.webhook_id, row.adapter = (
            delivery.source,
            delivery.webhook_id,
            delivery.adapter,
        )
        row.status, row.reason = delivery.status, delivery.reason
        row.body = delivery.body if delivery.status == "failed" else None
        row.sent_at, row.received_at = delivery.sent_at, delivery.received_at
        row.handled_at, row.attempts = delivery.handled_at, delivery.attempts
        await self.session.flush()
        if first:
            await self._record_names_and_message(delivery, names)

    async def page(
        self, *, status: str, source: str | None, after: str | None, limit: int
    ) -> list[Delivery]:
        query = select(DeliveryRow).where(DeliveryRow.status == status)
        if source is not None:
            query = query.where(DeliveryRow.source == source)
        if after is not None:
            query = query.where(DeliveryRow.id > after)
        rows = await self.session.scalars(query.order_by(DeliveryRow.id).limit(limit))
        return [_to_delivery(row) for row in rows]

    async def count(self, *, status: str) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.status == status)
        )

    async def _record_names_and_message(self, delivery: Delivery, names: list[Named]) -> None:
        for name in names:
            self.session.add(
                DeliveryNameRow(
                    delivery_id=delivery.id,
                    email_digest=name.email_digest,
                    member_id=name.member_id,
                )
            )
        await self.add_message(delivery.id, delivery.sequence)

    async def naming(self, *, member_id: str, email_digest: str | None) -> list[str]:
        """The deliveries that name the member: by the member they resolved to, or by the
        member's current email."""
        named = DeliveryNameRow.member_id == member_id
        if email_digest is not None:
            named = named | (DeliveryNameRow.email_digest == email_digest)
        return list(
            await self.session.scalars(select(DeliveryNameRow.delivery_id).where(named).distinct())
        )

    async def received_before(self, cutoff: datetime) -> list[str]:
        return list(
            await self.session.scalars(
                select(DeliveryRow.id).where(DeliveryRow.received_at < cutoff)
            )
        )

    async def messages_of(self, delivery_ids: list[str]) -> list[int]:
        """The sequences of these deliveries' raw messages in the WEBHOOKS stream."""
        found: list[int] = []
        for chunk in _chunks(delivery_ids):
            found += await self.session.scalars(
                select(DeliveryMessageRow.sequence).where(DeliveryMessageRow.delivery_id.in_(chunk))
            )
        return sorted(found)

    async def erase(self, delivery_ids: list[str]) -> None:
        """Delete the records (their body, reason, names and message sequences)."""
        for chunk in _chunks(delivery_ids):
            for table in (DeliveryMessageRow, DeliveryNameRow):
                await self.session.execute(delete(table).where(table.delivery_id.in_(chunk)))
            await self.session.execute(delete(DeliveryRow).where(DeliveryRow.id.in_(chunk)))


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _to_delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        source=row.source,
        webhook_id=row.webhook_id,
        adapter=row.adapter,
        body=row.body or b"",
        sent_at=row.sent_at,
        received_at=row.received_at,
        status=row.status,
        reason=row.reason,
        handled_at=row.handled_at,
        attempts=row.attempts,
    )
