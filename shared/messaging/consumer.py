"""Idempotent event consumers with bounded retries and a dead-letter stream.

Two kinds: `EventConsumer` for envelopes (facts), singly or in batches, and
`MessageConsumer` for raw messages such as webhook deliveries. Every durable consumer acks
explicitly (AckPolicy.MANUAL in FastStream, explicit in NATS):
- the envelope or payload does not parse, its `source` is not the service that owns the
  subject, or it is dated further ahead of its arrival than RAPPORT_MEETING_FUTURE_TOLERANCE:
  dead-lettered at once with the reason (retrying cannot help; no single message can speak
  for another service or move a watermark into the future);
- the handler fails: nak with the configured backoff, until the last allowed attempt, then
  dead-lettered with the error and terminated, so the consumer moves on;
- the event was handled before (its id is in the inbox): acked and skipped.
The effect and the inbox row commit in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import nats.errors
import nats.js.errors
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.msg import Msg
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import UnknownEventType, parse_event
from shared.contracts.streams import ConsumerSpec
from shared.contracts.subjects import dead_letter_subject, event_subject
from shared.db import UnitOfWork
from shared.messaging.credentials import pull_inbox_prefix
from shared.metrics import DEAD_LETTERED, DUPLICATES_SKIPPED, EVENTS_HANDLED, HANDLER_FAILURES
from shared.settings import Settings

log = logging.getLogger(__name__)

EventHandler = Callable[[Event, Envelope, UnitOfWork], Awaitable[object]]
BatchHandler = Callable[[list[tuple[Event, Envelope]], UnitOfWork], Awaitable[object]]
MessageHandler = Callable[[Msg, UnitOfWork], Awaitable[None]]


class Unreadable(Exception):
    """Raised by a handler (of messages or of events) for a message that can never be
    handled (retrying cannot help): it is dead-lettered at once, with the reason."""


class HandleAlone(Exception):
    """Raised by a message handler inside a batch for a message that needs a transaction of
    its own (e.g. to roll back its effect and record a failure): the batch is rolled back
    and handled one message at a time."""


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


def source_of(subject: str) -> str:
    """The envelope `source` of the service that owns a fact's subject: rapport.<domain>.*"""
    return f"/rapport/{subject.split('.')[1]}"


def refusal(raw: Msg, envelope: Envelope, event: Event, settings: Settings) -> str | None:
    """Why a readable fact must not be applied, or None. The bus's permissions already keep
    a service off another's subjects; this keeps a fact's own claims consistent with them."""
    owner = source_of(raw.subject)
    if envelope.source != owner or source_of(event_subject(event)) != owner:
        return f"source {envelope.source} of {envelope.type} does not own {raw.subject}"
    arrival = raw.metadata.timestamp or datetime.now(UTC)
    latest = arrival + timedelta(seconds=settings.meeting_future_tolerance)
    for name, moment in (
        ("time", envelope.time),
        *((field_name, getattr(event, field_name, None)) for field_name in FUTURE_CHECKED_FIELDS),
    ):
        if isinstance(moment, datetime) and moment > latest:
            return (
                f"{name} {moment.isoformat()} of {envelope.type} is more than "
                f"{settings.meeting_future_tolerance:g}s ahead of its arrival {arrival.isoformat()}"
            )
    return None


# An event's own moments (a meeting's) that must not lie in the future either; an event's
# schedule (starts_at, ends_at) may.
FUTURE_CHECKED_FIELDS = ("started_at", "ended_at")


@dataclass
class _DurableConsumer(ABC):
    """Retries with backoff, dead letters and the subscription, shared by both kinds."""

    spec: ConsumerSpec
    unit_of_work: Callable[[], UnitOfWork]
    broker: NatsBroker
    settings: Settings
    service: str

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
    async def handle(self, msg: NatsMessage) -> None:
        """Handle one message delivered by the FastStream subscriber."""

    def subscribe(self) -> None:
        """A FastStream pull subscriber fetching one message at a time (FastStream runs a
        fetched batch concurrently, and order within a stream matters to projections)."""
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

    async def start(self) -> None:  # noqa: B027 - a hook: nothing to start by default
        """Start what FastStream does not run (batch fetch loops)."""

    async def stop(self) -> None:  # noqa: B027 - a hook: nothing to stop by default
        """Stop what `start` started."""


@dataclass
class MessageConsumer(_DurableConsumer):
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

    async def handle(self, msg: NatsMessage) -> None:
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


@dataclass
class EventConsumer(_DurableConsumer):
    """Consumes envelopes: parses them, claims the event ids in the inbox, applies; singly
    through FastStream, or in batches with a fetch loop of its own."""

    handlers: dict[type[Event], EventHandler] = field(default_factory=dict)
    lock: asyncio.Lock | None = None  # one transaction at a time, across a service's consumers
    # Handles a whole batch of new events at once (bulk writes); when set, it replaces the
    # per-type handlers for batches and for single messages alike.
    batch_handler: BatchHandler | None = None
    _task: asyncio.Task | None = field(default=None, init=False)
    _running: bool = field(default=False, init=False)
    _handling: bool = field(default=False, init=False)
    _subscription: Any = field(default=None, init=False)

    async def handle(self, msg: NatsMessage) -> None:
        await self._handle_one(msg.raw_message)

    async def handle_batch(self, messages: list[Msg]) -> None:
        """A fetched batch in one transaction (bulk writes); if anything in it fails, the
        batch is rolled back and its messages are handled one at a time, so that only the
        failing one is retried or dead-lettered."""
        readable: list[tuple[Msg, Envelope, Event]] = []
        for raw in messages:
            parsed = await self._parse(raw)
            if parsed is not None:
                readable.append((raw, *parsed))
        if not readable:
            return
        try:
            async with self._serialized(), self.unit_of_work() as uow:
                uow.hold_commits()  # the whole batch commits once, with its inbox rows
                applied = await self._claim_and_apply_all(
                    uow, [(event, envelope) for _, envelope, event in readable]
                )
                await uow.commit_all()
        except Exception as error:
            log.warning("batch of %s failed (%s); handling one by one", len(readable), error)
            for raw, _, _ in readable:
                await self._handle_one(raw)
            return
        for event_type in applied:
            EVENTS_HANDLED.labels(self.service, self.spec.durable, event_type).inc()
        skipped = len(readable) - len(applied)
        if skipped:
            DUPLICATES_SKIPPED.labels(self.service, self.spec.durable).inc(skipped)
        for raw, _, _ in readable:
            await raw.ack()

    async def _parse(self, raw: Msg) -> tuple[Envelope, Event] | None:
        try:
            envelope = Envelope.model_validate_json(raw.data)
            event = parse_event(envelope)
        except (ValidationError, UnknownEventType, ValueError) as error:
            await self.dead_letter(raw, f"unreadable message: {error}")
            return None
        reason = refusal(raw, envelope, event, self.settings)
        if reason is not None:
            await self.dead_letter(raw, reason)
            return None
        return envelope, event

    async def _handle_one(self, raw: Msg) -> None:
        parsed = await self._parse(raw)
        if parsed is None:
            return
        envelope, event = parsed
        try:
            async with self._serialized(), self.unit_of_work() as uow:
                uow.hold_commits()
                applied = bool(await self._claim_and_apply_all(uow, [(event, envelope)]))
                await uow.commit_all()
        except Unreadable as error:  # the handler says retrying cannot help
            await self.dead_letter(raw, f"refused: {error}")
            return
        except Exception as error:
            await self.retry_or_give_up(raw, error, f"{envelope.type} {envelope.id}")
            return
        if applied:
            EVENTS_HANDLED.labels(self.service, self.spec.durable, envelope.type).inc()
        else:
            DUPLICATES_SKIPPED.labels(self.service, self.spec.durable).inc()
        await raw.ack()

    def _serialized(self) -> contextlib.AbstractAsyncContextManager:
        return self.lock if self.lock is not None else contextlib.nullcontext()

    async def _claim_and_apply_all(
        self, uow: UnitOfWork, items: list[tuple[Event, Envelope]]
    ) -> list[str]:
        """Apply the events this consumer has not handled before; their types."""
        fresh = await uow.claim_many(self.spec.durable, [e.id for _, e in items])
        new: list[tuple[Event, Envelope]] = []
        for event, envelope in items:
            if envelope.id in fresh:
                fresh.discard(envelope.id)  # a duplicate inside the batch counts once
                new.append((event, envelope))
        if self.batch_handler is not None:
            if new:
                await self.batch_handler(new, uow)
        else:
            for event, envelope in new:
                handler = self.handlers.get(type(event))
                if handler is not None:
                    await handler(event, envelope, uow)
        return [envelope.type for _, envelope in new]

    def subscribe(self) -> None:
        """Single-message consumers are FastStream subscribers; batch consumers run their
        own fetch loop (`start`), which takes whatever is available up to the batch size at
        once (FastStream's batch subscriber waits to fill a batch, and loses its fetch task
        to the plain TimeoutError that nats-py raises when a fetch finds nothing)."""
        if self.spec.batch_size == 1:
            super().subscribe()

    async def start(self) -> None:
        if self.spec.batch_size > 1 and self._task is None:
            js = self.broker.connection.jetstream()
            self._subscription = await js.pull_subscribe_bind(
                durable=self.spec.durable, stream=self.spec.stream
            )
            self._running = True
            self._task = asyncio.create_task(
                self._fetch_loop(self._subscription), name=f"{self.spec.durable}-fetch"
            )

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
            # else the connection's drain waits for the abandoned fetch until it times out
            with contextlib.suppress(nats.errors.Error):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def _fetch_loop(self, subscription) -> None:
        while self._running:
            try:
                messages = await subscription.fetch(batch=self.spec.batch_size, timeout=1.0)
            except TimeoutError:  # nothing to fetch (nats-py raises either TimeoutError)
                continue
            except (
                nats.errors.ConnectionClosedError,
                nats.errors.ConnectionReconnectingError,
                nats.js.errors.ServiceUnavailableError,
            ) as error:
                log.warning("fetch on %s failed (%s); retrying", self.spec.durable, error)
                await asyncio.sleep(1.0)
                continue
            try:
                await self.handle_batch(messages)
            except Exception:  # e.g. the database is down: the messages are redelivered
                log.exception(
                    "batch on %s failed; its messages will be redelivered", self.spec.durable
                )
                await asyncio.sleep(1.0)
