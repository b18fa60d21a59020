"""What every durable consumer shares: its configuration, retries with backoff, dead
letters, and its FastStream subscription."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nats.errors
import nats.js.errors
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.aio.msg import Msg
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared.contracts.streams import ConsumerSpec
from shared.contracts.subjects import dead_letter_subject
from shared.db import UnitOfWork
from shared.messaging.credentials import pull_inbox_prefix
from shared.messaging.received import ReceivedMessage
from shared.metrics import DEAD_LETTERED, HANDLER_FAILURES
from shared.settings import Settings

log = logging.getLogger(__name__)


class Unreadable(Exception):
    """Raised by a handler (of messages or of events) for a message that can never be
    handled (retrying cannot help): it is dead-lettered at once, with the reason."""


# Slack above the application's own attempts, so that NATS never drops a message on its own
# (a crash mid-handling also counts as a delivery).
DELIVERY_SLACK = 3


def consumer_config(spec: ConsumerSpec, settings: Settings) -> ConsumerConfig:
    """The one definition of a durable consumer, used by provisioning and by subscribers."""
    return ConsumerConfig(
        name=spec.durable,
        durable_name=spec.durable,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=JsAckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=settings.max_deliveries + DELIVERY_SLACK,
        max_ack_pending=1000,
        filter_subjects=spec.filter_subjects,
    )


@dataclass
class DurableConsumer(ABC):
    """Retries with backoff, dead letters and the subscription, shared by both kinds."""

    spec: ConsumerSpec
    unit_of_work: Callable[[], UnitOfWork]
    broker: NatsBroker
    settings: Settings
    service: str
    _task: asyncio.Task | None = field(default=None, init=False)
    _running: bool = field(default=False, init=False)
    _handling: bool = field(default=False, init=False)
    _subscription: Any = field(default=None, init=False)

    async def retry_or_give_up(self, raw: Msg, error: Exception, what: str) -> None:
        """A failed attempt: nak with the next backoff, or dead-letter after the last one."""
        attempt = raw.metadata.num_delivered
        HANDLER_FAILURES.labels(self.service, self.spec.durable).inc()
        if attempt >= self.settings.max_deliveries:
            log.error("giving up on %s: %s", what, error, exc_info=error)
            await self.dead_letter(raw, f"{type(error).__name__}: {error}")
            return
        backoff = self.settings.retry_backoff
        delay = backoff[min(attempt - 1, len(backoff) - 1)] if backoff else 0
        log.warning(
            "handling %s failed (attempt %s), retrying in %ss: %s", what, attempt, delay, error
        )
        await raw.nak(delay=delay)

    async def dead_letter(self, raw: Msg, error: str) -> None:
        meta = raw.metadata
        headers = {
            "Nats-Msg-Id": f"{self.spec.durable}.{meta.sequence.stream}",
            "Rapport-Error": error[:2000],
            "Rapport-Consumer": self.spec.durable,
            "Rapport-Original-Subject": raw.subject,
            "Rapport-Original-Stream": meta.stream,
            "Rapport-Original-Sequence": str(meta.sequence.stream),
            "Rapport-Deliveries": str(meta.num_delivered),
        }
        await self.broker.publish(
            raw.data,
            dead_letter_subject(self.spec.durable),
            headers=headers,
            stream="DEADLETTER",
        )
        DEAD_LETTERED.labels(self.service, self.spec.durable).inc()
        log.error("dead-lettered %s seq %s: %s", raw.subject, meta.sequence.stream, error)
        await raw.term()

    @abstractmethod
    async def _handle_one(self, raw: Msg) -> None:
        """One message, in a transaction of its own."""

    @abstractmethod
    async def handle_batch(self, messages: list[Msg]) -> None:
        """A fetched batch, in one transaction."""

    async def handle(self, msg: ReceivedMessage) -> None:
        await self._handle_one(msg.raw_message)

    def subscribe(self) -> None:
        """Single-message consumers are FastStream pull subscribers fetching one message at
        a time (FastStream runs a fetched batch concurrently, and order within a stream
        matters to projections). Batch consumers run their own fetch loop (`start`), which
        takes whatever is available up to the batch size at once (FastStream's batch
        subscriber waits to fill a batch, and loses its fetch task to the plain TimeoutError
        that nats-py raises when a fetch finds nothing)."""
        if self.spec.batch_size > 1:
            return
        self.broker.subscriber(
            self.spec.filter_subjects[0]
            if len(self.spec.filter_subjects) == 1
            else f"rapport.{self.spec.stream.lower()}.>",
            stream=JStream(self.spec.stream, declare=False),
            durable=self.spec.durable,
            config=consumer_config(self.spec, self.settings),
            pull_sub=PullSub(batch_size=1, timeout=2.0),
            inbox_prefix=pull_inbox_prefix(self.settings, self.service),
            ack_policy=AckPolicy.MANUAL,
            include_in_schema=False,  # documented from the spec (shared.asyncapi)
            title=f"{self.spec.durable}",
            description=f"{self.service} consumes "
            + (", ".join(self.spec.event_types) or ", ".join(self.spec.subjects)),
        )(self.handle)

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
            self._handling = True  # stop() lets the batch in hand finish
            try:
                await self.handle_batch(messages)
            except Exception:  # e.g. the database is down: the messages are redelivered
                log.exception(
                    "batch on %s failed; its messages will be redelivered", self.spec.durable
                )
                await asyncio.sleep(1.0)
            finally:
                self._handling = False
