"""Erasure of a member's webhook deliveries: the events service's records of them and their
raw messages in JetStream (the WEBHOOKS stream, and the dead letters of its consumer).

JetStream's message delete overwrites the message in the store (unless `no_erase` is asked,
which this never does), so the member's email does not stay on disk in the stream files.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from shared.contracts.envelope import Envelope
from shared.contracts.events import MemberDeleted
from shared.contracts.streams import WEBHOOK_CONSUMER, WEBHOOK_DEAD_LETTER_READER
from shared.contracts.subjects import dead_letter_subject
from shared.db import UnitOfWork
from shared.metrics import WEBHOOK_DELIVERIES_FORGOTTEN

from . import handlers
from .deliveries import email_digest, emails_named
from .store import Deliveries, Members

log = logging.getLogger(__name__)

WEBHOOKS_STREAM, DEAD_LETTERS = "WEBHOOKS", "DEADLETTER"
DEAD_LETTER_BATCH = 100
# headers of a dead letter (shared.messaging.consumer.durable)
ORIGINAL_STREAM, ORIGINAL_SEQUENCE = "Rapport-Original-Stream", "Rapport-Original-Sequence"


class RawDeliveries:
    """The raw deliveries in JetStream, as the events service's identity may touch them:
    delete messages of WEBHOOKS, read and delete its own consumer's dead letters."""

    def __init__(self, jetstream: Callable[[], JetStreamContext], inbox_prefix: bytes) -> None:
        self.jetstream = jetstream
        self.inbox_prefix = inbox_prefix

    async def erase(self, sequences: list[int]) -> None:
        js = self.jetstream()
        for sequence in sequences:
            with contextlib.suppress(NotFoundError):  # gone already (aged out, a retry)
                await js.delete_msg(WEBHOOKS_STREAM, sequence)

    async def erase_dead_letters(self, naming: Callable[[bytes, dict[str, str]], bool]) -> int:
        """Delete every dead letter of the webhook consumer for which `naming(body, headers)`
        holds, and its original in WEBHOOKS (a dead-lettered delivery has no record that
        would name it); how many."""
        js = self.jetstream()
        with contextlib.suppress(NotFoundError):  # left by an erasure that stopped midway
            await js.delete_consumer(DEAD_LETTERS, WEBHOOK_DEAD_LETTER_READER)
        await js.add_consumer(
            DEAD_LETTERS,
            ConsumerConfig(
                name=WEBHOOK_DEAD_LETTER_READER,
                filter_subject=dead_letter_subject(WEBHOOK_CONSUMER),
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=60.0,
                mem_storage=True,
            ),
        )
        erased = 0
        subscription = await js.pull_subscribe_bind(
            WEBHOOK_DEAD_LETTER_READER, DEAD_LETTERS, inbox_prefix=self.inbox_prefix
        )
        try:
            while True:
                try:
                    messages = await subscription.fetch(DEAD_LETTER_BATCH, timeout=1.0)
                except TimeoutError:
                    break
                for message in messages:
                    headers = dict(message.headers or {})
                    if not naming(message.data, headers):
                        continue
                    with contextlib.suppress(NotFoundError):
                        await js.delete_msg(DEAD_LETTERS, message.metadata.sequence.stream)
                    if headers.get(ORIGINAL_STREAM) == WEBHOOKS_STREAM:
                        await self.erase([int(headers[ORIGINAL_SEQUENCE])])
                    erased += 1
                if not messages or messages[-1].metadata.num_pending == 0:
                    break
        finally:
            # a subscription left behind would hold the connection's drain at shutdown
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(DEAD_LETTERS, WEBHOOK_DEAD_LETTER_READER)
        return erased


async def erase_deliveries(
    uow: UnitOfWork, raw: RawDeliveries, *, member_id: str, email: str | None
) -> None:
    """Delete the deliveries naming the member: their raw messages first (idempotent: a
    retry after a failed commit finds them gone), then the records, in the caller's
    transaction."""
    deliveries = Deliveries(uow.session)
    found = await deliveries.naming(
        member_id=member_id, email_digest=email_digest(email) if email else None
    )
    sequences = await deliveries.messages_of(found)
    await raw.erase(sequences)
    originals = {str(s) for s in sequences}

    def names_the_member(body: bytes, headers: dict[str, str]) -> bool:
        if headers.get(ORIGINAL_SEQUENCE) in originals:
            return True
        return email is not None and email in emails_named(body)

    dead = await raw.erase_dead_letters(names_the_member)
    await deliveries.erase(found)
    WEBHOOK_DELIVERIES_FORGOTTEN.labels("erasure").inc(len(found))
    log.info(
        "erased member %s's webhook deliveries: %s records, %s stream messages, %s dead letters",
        member_id,
        len(found),
        len(sequences),
        dead,
    )


def member_deleted_handler(
    raw: RawDeliveries,
) -> Callable[[MemberDeleted, Envelope, UnitOfWork], Awaitable[None]]:
    async def on_member_deleted(event: MemberDeleted, envelope: Envelope, uow: UnitOfWork) -> None:
        """Erasure: the member's attendances and meetings (handlers.on_member_deleted), and
        the webhook deliveries that name them, found by the email the copy still holds."""
        uow.after_erasure(event.member_id)
        known = await Members(uow.session).active(event.member_id)
        email = known.email if known is not None else None
        await handlers.on_member_deleted(event, envelope, uow)
        await erase_deliveries(uow, raw, member_id=event.member_id, email=email)

    return on_member_deleted
