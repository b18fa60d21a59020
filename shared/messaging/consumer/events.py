"""The consumer of envelopes (facts): parsed, checked, claimed in the inbox and applied in
one transaction, singly or in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from nats.aio.msg import Msg
from pydantic import ValidationError

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import UnknownEventType, parse_event
from shared.db import UnitOfWork
from shared.metrics import DUPLICATES_SKIPPED, EVENTS_HANDLED

from .durable import DurableConsumer, Unreadable
from .fact_checks import refusal

log = logging.getLogger(__name__)


EventHandler = Callable[[Event, Envelope, UnitOfWork], Awaitable[object]]
BatchHandler = Callable[[list[tuple[Event, Envelope]], UnitOfWork], Awaitable[object]]


@dataclass
class EventConsumer(DurableConsumer):
    """Consumes envelopes: parses them, claims the event ids in the inbox, applies; singly
    through FastStream, or in batches with a fetch loop of its own."""

    handlers: dict[type[Event], EventHandler] = field(default_factory=dict)
    lock: asyncio.Lock | None = None  # one transaction at a time, across a service's consumers
    # Handles a whole batch of new events at once (bulk writes); when set, it replaces the
    # per-type handlers for batches and for single messages alike.
    batch_handler: BatchHandler | None = None

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
