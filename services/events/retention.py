"""Raw webhook deliveries are personal data (attendees' emails): the events service keeps its
records of them only for RAPPORT_WEBHOOK_RETENTION_DAYS, as the WEBHOOKS stream keeps the
raw messages (its max age, the same setting)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from shared.db import UnitOfWork
from shared.metrics import WEBHOOK_DELIVERIES_FORGOTTEN

from .deliveries import retention_cutoff
from .store import Deliveries

log = logging.getLogger(__name__)

# How often the old records are looked for: a small fraction of any sensible retention
PURGE_INTERVAL = 3600.0


async def forget_old_deliveries(uow: UnitOfWork, *, now: datetime, retention_days: float) -> int:
    """Delete the records of deliveries received before the retention; how many."""
    deliveries = Deliveries(uow.session)
    old = await deliveries.received_before(retention_cutoff(now, retention_days))
    if old:
        uow.after_erasure()  # their bodies leave SQLite's write-ahead log too
        await deliveries.erase(old)
    await uow.commit()
    if old:
        WEBHOOK_DELIVERIES_FORGOTTEN.labels("retention").inc(len(old))
        log.info("forgot %s webhook deliveries older than %g days", len(old), retention_days)
    return len(old)


class RetentionTask:
    """Runs `forget_old_deliveries` at start and every PURGE_INTERVAL."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], retention_days: float) -> None:
        self.unit_of_work = unit_of_work
        self.retention_days = retention_days
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with self.unit_of_work() as uow:
                    await forget_old_deliveries(
                        uow, now=datetime.now(UTC), retention_days=self.retention_days
                    )
            except Exception:  # a database hiccup: try again at the next round
                log.exception("forgetting old webhook deliveries failed")
            await asyncio.sleep(PURGE_INTERVAL)
