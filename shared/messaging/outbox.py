"""The outbox relay: publishes committed outbox rows to JetStream, at least once.

Each row is published with its event id as `Nats-Msg-Id` and marked only after the PubAck.
A crash between the PubAck and the mark republishes the row on restart; JetStream drops the
copy inside its duplicate window and consumers' inboxes drop it after, so the effect is
exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, func, select, update
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
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._publish = publish
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._keep_published = keep_published
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        # Hook for tests that simulate a crash between the PubAck and the mark.
        self.after_publish: Callable[[str], None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    async def drain(self) -> int:
        """Publish every pending row, oldest first. Returns how many were published."""
        published = 0
        while True:
            async with self._sessions() as session:
                rows = (
                    await session.execute(
                        select(
                            self._outbox.c.seq,
                            self._outbox.c.event_id,
                            self._outbox.c.subject,
                            self._outbox.c.payload,
                        )
                        .where(self._outbox.c.published_at.is_(None))
                        .order_by(self._outbox.c.seq)
                        .limit(self._batch_size)
                    )
                ).all()
            if not rows:
                break
            for row in rows:
                await self._publish(row.subject, row.payload, row.event_id)
                if self.after_publish:
                    self.after_publish(row.event_id)
                async with self._sessions.begin() as session:
                    await session.execute(
                        update(self._outbox)
                        .where(self._outbox.c.seq == row.seq)
                        .values(published_at=datetime.now(UTC))
                    )
                published += 1
                OUTBOX_PUBLISHED.labels(self._service).inc()
        await self._prune_and_measure()
        return published

    async def _prune_and_measure(self) -> None:
        cutoff = datetime.now(UTC) - self._keep_published
        async with self._sessions.begin() as session:
            await session.execute(delete(self._outbox).where(self._outbox.c.published_at < cutoff))
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
