"""Idempotent event consumers with bounded retries and a dead-letter stream.

Two kinds: `EventConsumer` for envelopes (facts), `MessageConsumer` for raw messages such as
webhook deliveries. Every durable consumer acks explicitly (AckPolicy.MANUAL in FastStream,
explicit in NATS):
- the envelope or payload does not parse: dead-lettered at once (retrying cannot help);
- the handler fails: nak with the configured backoff, until the last allowed attempt, then
  dead-lettered with the error and terminated, so the consumer moves on;
- the event was handled before (its id is in the inbox): acked and skipped.
The effect and the inbox row commit in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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
from shared.contracts.subjects import dead_letter_subject
from shared.db import UnitOfWork
from shared.metrics import DEAD_LETTERED, DUPLICATES_SKIPPED, EVENTS_HANDLED, HANDLER_FAILURES
from shared.settings import Settings

log = logging.getLogger(__name__)

EventHandler = Callable[[Event, Envelope, UnitOfWork], Awaitable[None]]
MessageHandler = Callable[[Msg, UnitOfWork], Awaitable[None]]


class Unreadable(Exception):
    """Raised by a message handler for a message that can never be handled (retrying
    cannot help): it is dead-lettered at once."""


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
class _DurableConsumer:
    """Retries with backoff, dead letters and the subscription, shared by both kinds."""

    spec: ConsumerSpec
    unit_of_work: Callable[[], UnitOfWork]
    broker: NatsBroker
    settings: Settings
    service: str

    async def retry_or_give_up(self, msg: NatsMessage, error: Exception, what: str) -> None:
        """A failed attempt: nak with the next backoff, or dead-letter after the last one."""
        attempt = msg.raw_message.metadata.num_delivered
        HANDLER_FAILURES.labels(self.service, self.spec.durable).inc()
        if attempt >= self.settings.max_deliveries:
            log.error("giving up on %s: %s", what, error, exc_info=error)
            await self.dead_letter(msg, f"{type(error).__name__}: {error}")
            return
        backoff = self.settings.retry_backoff
        delay = backoff[min(attempt - 1, len(backoff) - 1)] if backoff else 0
        log.warning(
            "handling %s failed (attempt %s), retrying in %ss: %s", what, attempt, delay, error
        )
        await msg.nack(delay=delay)

    async def dead_letter(self, msg: NatsMessage, error: str) -> None:
        raw = msg.raw_message
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
        await msg.reject()

    async def handle(self, msg: NatsMessage) -> None:
        raise NotImplementedError

    def subscribe(self) -> None:
        self.broker.subscriber(
            self.spec.filter_subjects[0]
            if len(self.spec.filter_subjects) == 1
            else f"rapport.{self.spec.stream.lower()}.>",
            stream=JStream(self.spec.stream, declare=False),
            durable=self.spec.durable,
            config=consumer_config(self.spec, self.settings),
            # One message at a time: FastStream runs a fetched batch concurrently, and order
            # within a stream matters to projections.
            pull_sub=PullSub(batch_size=1, timeout=2.0),
            ack_policy=AckPolicy.MANUAL,
            title=f"{self.spec.durable}",
            description=f"{self.service} consumes "
            + (", ".join(self.spec.event_types) or ", ".join(self.spec.subjects)),
        )(self.handle)


@dataclass
class EventConsumer(_DurableConsumer):
    """Consumes envelopes: parses them, claims the event id in the inbox, applies."""

    handlers: dict[type[Event], EventHandler] = field(default_factory=dict)

    async def handle(self, msg: NatsMessage) -> None:
        raw = msg.raw_message
        try:
            envelope = Envelope.model_validate_json(raw.data)
            event = parse_event(envelope)
        except (ValidationError, UnknownEventType, ValueError) as error:
            await self.dead_letter(msg, f"unreadable message: {error}")
            return

        handler = self.handlers.get(type(event))
        try:
            if handler is not None:
                await self._apply(handler, event, envelope)
        except Exception as error:
            await self.retry_or_give_up(msg, error, f"{envelope.type} {envelope.id}")
            return
        await msg.ack()

    async def _apply(self, handler: EventHandler, event: Event, envelope: Envelope) -> None:
        async with self.unit_of_work() as uow:
            if not await uow.claim(self.spec.durable, envelope.id):
                DUPLICATES_SKIPPED.labels(self.service, self.spec.durable).inc()
                return
            await handler(event, envelope, uow)
            await uow.commit()
        EVENTS_HANDLED.labels(self.service, self.spec.durable, envelope.type).inc()


@dataclass
class MessageConsumer(_DurableConsumer):
    """Consumes raw messages that are not envelopes (webhook deliveries). The handler gets
    the NATS message and a unit of work, commits itself and is idempotent on its own terms
    (an envelope's inbox does not apply: there is no event id)."""

    handler: MessageHandler | None = None

    async def handle(self, msg: NatsMessage) -> None:
        raw = msg.raw_message
        assert self.handler is not None
        try:
            async with self.unit_of_work() as uow:
                await self.handler(raw, uow)
        except Unreadable as error:
            await self.dead_letter(msg, f"unreadable message: {error}")
            return
        except Exception as error:
            await self.retry_or_give_up(
                msg, error, f"{raw.subject} seq {raw.metadata.sequence.stream}"
            )
            return
        await msg.ack()
