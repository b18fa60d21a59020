"""Raw-message consumers (webhook deliveries) fetching batches, against a real nats-server:
a batch is applied in one transaction, and a message that fails is isolated from the rest
of its batch."""

from __future__ import annotations

import nats
import pytest
from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.contracts.streams import ConsumerSpec
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine
from shared.messaging.consumer.durable import consumer_config
from shared.messaging.consumer.messages import HandleAlone, MessageConsumer
from tests.support import eventually, test_settings

SUBJECT = "rapport.webhooks.test"
SPEC = ConsumerSpec("test-raw-v1", "WEBHOOKS", "test", (), batch_size=50, subjects=(SUBJECT,))


class Poisoned(Exception):
    pass


@pytest.fixture
async def raw_consumer(clean_nats, database_factory):
    """A batched raw consumer whose effect is a row per message body; a body `poison`
    always fails, a body `alone` needs a transaction of its own."""
    settings = test_settings(clean_nats)
    nc = await nats.connect(clean_nats)
    await nc.jetstream().add_consumer("WEBHOOKS", consumer_config(SPEC, settings))
    await nc.close()

    metadata = MetaData()
    outbox, inbox, _ = messaging_tables(metadata)
    applied = Table("applied", metadata, Column("body", String(64)))
    engine = make_engine(await database_factory("raw"))
    await create_schema(engine, metadata)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def on_message(message: Msg, uow: UnitOfWork) -> None:
        body = message.data.decode()
        await uow.session.execute(insert(applied).values(body=body))
        if body == "poison":
            raise Poisoned("this message can never be handled")
        if body == "alone" and uow.holding:
            raise HandleAlone("needs its own transaction")
        await uow.commit()

    broker = NatsBroker(clean_nats)
    consumer = MessageConsumer(
        spec=SPEC,
        handler=on_message,
        unit_of_work=lambda: UnitOfWork(sessions, outbox=outbox, inbox=inbox, source="/test"),
        broker=broker,
        settings=settings,
        service="test",
    )
    consumer.subscribe()

    async def publish_all(bodies: list[str]) -> None:
        nc = await nats.connect(clean_nats)
        js = nc.jetstream()
        for i, body in enumerate(bodies):
            await js.publish(SUBJECT, body.encode(), headers={"Nats-Msg-Id": f"{i}"})
        await nc.close()

    async def applied_bodies() -> list[str]:
        async with sessions() as session:
            return list(await session.scalars(select(applied.c.body).order_by(applied.c.body)))

    async def drained() -> bool:
        nc = await nats.connect(clean_nats)
        try:
            info = await nc.jetstream().consumer_info("WEBHOOKS", SPEC.durable)
        finally:
            await nc.close()
        return info.num_pending == 0 and info.num_ack_pending == 0

    async def start() -> None:
        await broker.start()
        await consumer.start()

    yield publish_all, start, applied_bodies, drained
    await consumer.stop()
    await broker.stop()
    await engine.dispose()


async def dead_letters(url: str) -> list:
    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info("DEADLETTER")
    messages = [
        await js.get_msg("DEADLETTER", seq)
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
        if info.state.messages
    ]
    await nc.close()
    return messages


async def test_a_poison_message_in_a_batch_is_dead_lettered_alone(raw_consumer, clean_nats):
    publish_all, start, applied_bodies, drained = raw_consumer
    good = [f"good-{i:02}" for i in range(30)]
    await publish_all([*good[:15], "poison", *good[15:]])  # stored before the consumer runs
    await start()  # so that the first fetch takes them in one batch

    await eventually(drained, timeout=20)
    assert await applied_bodies() == good  # each once, and nothing of the poison
    letters = await dead_letters(clean_nats)
    assert [letter.data for letter in letters] == [b"poison"]
    assert letters[0].headers["Rapport-Deliveries"] == "3"  # retried up to max_deliveries
    assert "Poisoned" in letters[0].headers["Rapport-Error"]


async def test_a_message_needing_its_own_transaction_is_applied_once_with_its_batch(
    raw_consumer, clean_nats
):
    publish_all, start, applied_bodies, drained = raw_consumer
    good = [f"good-{i:02}" for i in range(20)]
    await publish_all([*good[:10], "alone", *good[10:]])
    await start()

    await eventually(drained, timeout=20)
    assert await applied_bodies() == ["alone", *good]
    assert await dead_letters(clean_nats) == []
