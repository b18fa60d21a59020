"""The outbox relay: publishes committed outbox rows to JetStream, at least once.

Each row is published with its event id as `Nats-Msg-Id` and deleted only after its PubAck.
A crash between the PubAck and the delete republishes the row on restart; JetStream drops
the copy inside its duplicate window and consumers' inboxes drop it after, so the effect is
exactly once. Replicas of one service share the outbox: each relay locks the rows it
publishes (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so no row is published by two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, str], Awaitable[object]]
"""publish(subject, payload, msg_id): returns once JetStream acknowledged the message."""


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        publish: Publish,
        *,
        service: str,
        batch_size: int = 200,
        poll_interval: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._publish = publish
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        # Hook for tests that simulate a crash between the PubAck and the mark.
        self.after_publish: Callable[[str], None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    async def drain(self) -> int:
        """Publish every pending row, oldest first, a batch at a time. Returns how many were
        published."""
        published = 0
        while batch := await self._publish_batch():
            published += batch
        await self._measure()
        return published

    async def _publish_batch(self) -> int:
        """Lock a batch of rows (other replicas' relays skip them), publish them all at
        once, await every PubAck, then delete the acknowledged rows in one statement: a
        published row is no longer needed (and keeps no personal data behind)."""
        outbox = self._outbox
        async with self._sessions.begin() as session:
            rows = (
                await session.execute(
                    select(outbox.c.seq, outbox.c.event_id, outbox.c.subject, outbox.c.payload)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer
                )
            ).all()
            if not rows:
                return 0
            # sent in order, acknowledged concurrently
            acks = await asyncio.gather(
                *(self._publish(r.subject, r.payload, r.event_id) for r in rows),
                return_exceptions=True,
            )
            # by event id, not seq: SQLite reuses the rowid of a deleted last row, so another
            # replica's new row could carry a seq this batch published
            done = [r.event_id for r, ack in zip(rows, acks, strict=True) if not _failed(ack)]
            if self.after_publish:
                for row in rows:
                    self.after_publish(row.event_id)
            if done:
                await session.execute(delete(outbox).where(outbox.c.event_id.in_(done)))
        OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        failed = next((ack for ack in acks if _failed(ack)), None)
        if failed is not None:
            raise failed  # the rest stay for the next pass
        return len(done)

    async def _measure(self) -> None:
        async with self._sessions() as session:
            backlog = await session.scalar(
                select(func.count())
                .select_from(self._outbox)
                .where(self._outbox.c.published_at.is_(None))
            )
        OUTBOX_BACKLOG.labels(self._service).set(backlog or 0)

    async def run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # NATS or database unavailable: keep the rows, try again
                log.exception("outbox relay pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"{self._service}-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _failed(ack: object) -> bool:
    return isinstance(ack, BaseException)
