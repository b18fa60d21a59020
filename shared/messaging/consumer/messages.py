"""The consumer of raw messages that are not envelopes (webhook deliveries), singly or in
batches of one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg

from shared.db import UnitOfWork
from shared.messaging.received import ReceivedMessage

from .durable import DurableConsumer, Unreadable

log = logging.getLogger(__name__)


MessageHandler = Callable[[Msg, UnitOfWork], Awaitable[None]]


class HandleAlone(Exception):
    """Raised by a message handler inside a batch for a message that needs a transaction of
    its own (e.g. to roll back its effect and record a failure): the batch is rolled back
    and handled one message at a time."""


@dataclass
class MessageConsumer(DurableConsumer):
    """Consumes raw messages that are not envelopes (webhook deliveries). The handler gets
    the NATS message and a unit of work, commits itself and is idempotent on its own terms
    (an envelope's inbox does not apply: there is no event id).

    With a batch size above 1, a fetched batch is handled in one transaction (the handler's
    commits are held until the batch's end), acked after it commits; a handler that needs a
    transaction of its own raises `HandleAlone`. If anything in a batch fails, the batch is
    rolled back and its messages are handled one at a time, so that only the failing one is
    retried or dead-lettered."""

    handler: MessageHandler | None = None
    _task: asyncio.Task | None = field(default=None, init=False)
    _running: bool = field(default=False, init=False)
    _handling: bool = field(default=False, init=False)
    _subscription: Any = field(default=None, init=False)

    async def handle(self, msg: ReceivedMessage) -> None:
        await self._handle_one(msg.raw_message)

    async def _handle_one(self, raw: Msg) -> None:
        assert self.handler is not None
        try:
            async with self.unit_of_work() as uow:
                await self.handler(raw, uow)
        except Unreadable as error:
            await self.dead_letter(raw, f"unreadable message: {error}")
            return
        except Exception as error:
            await self.retry_or_give_up(
                raw, error, f"{raw.subject} seq {raw.metadata.sequence.stream}"
            )
            return
        await raw.ack()

    async def handle_batch(self, messages: list[Msg]) -> None:
        assert self.handler is not None
        if len(messages) == 1:
            await self._handle_one(messages[0])
            return
        try:
            async with self.unit_of_work() as uow:
                uow.hold_commits()
                for raw in messages:
                    await self.handler(raw, uow)
                await uow.commit_all()
        except Exception as error:
            if not isinstance(error, HandleAlone):
                log.warning("batch of %s failed (%s); handling one by one", len(messages), error)
            for raw in messages:
                await self._handle_one(raw)
            return
        for raw in messages:
            await raw.ack()

    def subscribe(self) -> None:
        """Batches are fetched by a loop of its own (`start`), as EventConsumer does."""
        if self.spec.batch_size == 1:
            super().subscribe()

    async def start(self) -> None:
        if self.spec.batch_size > 1 and self._task is None:
            js = self.broker.connection.jetstream()
            self._subscription = await js.pull_subscribe_bind(
                durable=self.spec.durable, stream=self.spec.stream
            )
            self._running = True
            self._task = asyncio.create_task(self._fetch_loop(), name=f"{self.spec.durable}-fetch")

    async def stop(self) -> None:
        """Finish the batch in hand (within the grace period); a fetch in progress is
        abandoned, and what was fetched but not acked is redelivered."""
        self._running = False
        if self._task is not None:
            if not self._handling:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, self.settings.graceful_timeout)
            self._task = None
        if self._subscription is not None:
            with contextlib.suppress(nats.errors.Error, TimeoutError):
                await asyncio.wait_for(self._subscription.unsubscribe(), 5.0)
            self._subscription = None

    async def _fetch_loop(self) -> None:
        while self._running:
            try:
                messages = await self._subscription.fetch(batch=self.spec.batch_size, timeout=1.0)
            except TimeoutError:  # nothing to fetch
                continue
            except (
                nats.errors.ConnectionClosedError,
                nats.errors.ConnectionReconnectingError,
                nats.js.errors.ServiceUnavailableError,
            ) as error:
                log.warning("fetch on %s failed (%s); retrying", self.spec.durable, error)
                await asyncio.sleep(1.0)
                continue
            self._handling = True
            try:
                await self.handle_batch(messages)
            except Exception:  # e.g. the database is down: the messages are redelivered
                log.exception(
                    "batch on %s failed; its messages will be redelivered", self.spec.durable
                )
                await asyncio.sleep(1.0)
            finally:
                self._handling = False
