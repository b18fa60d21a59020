"""The transactional outbox against a real nats-server and real databases."""

from __future__ import annotations

import nats
import pytest
from faststream.nats import NatsBroker
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.contracts.events import MemberDeleted
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine
from shared.messaging.outbox import OutboxRelay


class RelayCrashed(Exception):
    pass


@pytest.fixture
async def outbox_db(database_factory):
    metadata = MetaData()
    outbox, inbox, _ = messaging_tables(metadata)
    engine = make_engine(await database_factory("outbox"))
    await create_schema(engine, metadata)
    yield async_sessionmaker(engine, expire_on_commit=False), outbox, inbox
    await engine.dispose()


@pytest.fixture
async def broker(clean_nats):
    broker = NatsBroker(clean_nats)
    await broker.connect()
    yield broker
    await broker.stop()


def relay_for(sessions, outbox, broker) -> OutboxRelay:
    async def publish(subject: str, payload: bytes, msg_id: str):
        return await broker.publish(
            payload, subject, headers={"Nats-Msg-Id": msg_id}, stream="PROFILES"
        )

    return OutboxRelay(sessions, outbox, publish, service="test", poll_interval=0.1)


async def record_events(sessions, outbox, inbox, count: int) -> list[str]:
    ids = []
    for n in range(count):
        async with UnitOfWork(sessions, outbox=outbox, inbox=inbox, source="/test") as uow:
            envelope = await uow.publish(MemberDeleted(member_id=f"m{n}"))
            await uow.commit()
            ids.append(envelope.id)
    return ids


async def stream_message_ids(url: str, stream: str) -> list[str]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info(stream)
    ids: list[str] = []
    if info.state.messages == 0:
        await nc.close()
        return ids
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, seq)
        ids.append(message.headers["Nats-Msg-Id"])
    await nc.close()
    return ids


async def test_every_event_is_published_exactly_once_when_the_relay_crashes_after_publishing(
    outbox_db, broker, clean_nats
):
    sessions, outbox, inbox = outbox_db
    event_ids = await record_events(sessions, outbox, inbox, 5)

    crashing = relay_for(sessions, outbox, broker)

    def crash_after_third(event_id: str) -> None:
        if event_id == event_ids[2]:
            raise RelayCrashed  # published and acknowledged, but never marked

    crashing.after_publish = crash_after_third
    with pytest.raises(RelayCrashed):
        await crashing.drain()

    restarted = relay_for(sessions, outbox, broker)
    await restarted.drain()

    assert await stream_message_ids(clean_nats, "PROFILES") == event_ids
    async with sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    assert pending == 0


async def test_an_event_is_not_recorded_when_its_transaction_rolls_back(outbox_db):
    sessions, outbox, inbox = outbox_db
    async with UnitOfWork(sessions, outbox=outbox, inbox=inbox, source="/test") as uow:
        await uow.publish(MemberDeleted(member_id="m1"))
        # leaving without commit: the state change failed, so must its event
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0


async def test_the_running_relay_publishes_as_soon_as_a_transaction_commits(
    outbox_db, broker, clean_nats
):
    from tests.support import eventually

    sessions, outbox, inbox = outbox_db
    relay = relay_for(sessions, outbox, broker)
    await relay.start()
    try:
        async with UnitOfWork(
            sessions, outbox=outbox, inbox=inbox, source="/test", after_commit=relay.wake
        ) as uow:
            envelope = await uow.publish(MemberDeleted(member_id="m1"))
            await uow.commit()

        async def published():
            return await stream_message_ids(clean_nats, "PROFILES") == [envelope.id]

        await eventually(published)
    finally:
        await relay.stop()
