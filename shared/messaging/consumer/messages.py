"""The consumer of raw messages that are not envelopes (webhook deliveries), singly or in
batches of one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.msg import Msg

from shared.db import UnitOfWork

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
