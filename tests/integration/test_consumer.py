"""Idempotent consumers, bounded retries and dead letters against a real nats-server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import nats
import pytest
from faststream.nats import NatsBroker
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.contracts.envelope import Envelope
from shared.contracts.events import MemberDeleted
from shared.contracts.streams import ConsumerSpec
from shared.contracts.subjects import event_subject
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine
from shared.messaging.consumer.durable import consumer_config
from shared.messaging.consumer.events import EventConsumer
from tests.support import eventually, test_settings

SPEC = ConsumerSpec("test-members-v1", "PROFILES", "test", ("member.deleted",), batch_size=1)
BATCHED = ConsumerSpec("test-batched-v1", "PROFILES", "test", ("member.deleted",), batch_size=20)


class Flaky(Exception):
    pass


@pytest.fixture(params=[SPEC, BATCHED], ids=["one-at-a-time", "batched"])
async def consumer_setup(request, clean_nats, database_factory):
    """A consumer whose effect is a row per handled member; `failures` makes it fail.
    Every test runs against a consumer handling messages singly and one handling batches."""
    spec = request.param
    settings = test_settings(clean_nats)
    nc = await nats.connect(clean_nats)
    await nc.jetstream().add_consumer("PROFILES", consumer_config(spec, settings))
    await nc.close()

    metadata = MetaData()
    outbox, inbox, _ = messaging_tables(metadata)
    applied = Table("applied", metadata, Column("member_id", String(64)))
    engine = make_engine(await database_factory("consumer"))
    await create_schema(engine, metadata)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    failures: dict[str, int] = {}  # member id -> attempts left that fail

    async def on_deleted(event: MemberDeleted, _: Envelope, uow: UnitOfWork) -> None:
        await uow.session.execute(insert(applied).values(member_id=event.member_id))
        if failures.get(event.member_id, 0) > 0:
            failures[event.member_id] -= 1
            raise Flaky(f"cannot handle {event.member_id} yet")

    broker = NatsBroker(clean_nats)
    consumer = EventConsumer(
        spec=spec,
        handlers={MemberDeleted: on_deleted},
        unit_of_work=lambda: UnitOfWork(sessions, outbox=outbox, inbox=inbox, source="/test"),
        broker=broker,
        settings=settings,
        service="test",
    )
    consumer.subscribe()
    await broker.start()
    await consumer.start()

    async def applied_for(member_id: str) -> int:
        async with sessions() as session:
            return await session.scalar(
                select(func.count()).select_from(applied).where(applied.c.member_id == member_id)
            )

    yield broker, failures, applied_for, spec
    await consumer.stop()
    await broker.stop()
    await engine.dispose()


async def publish(broker: NatsBroker, envelope: Envelope, msg_id: str | None = None) -> None:
    await broker.publish(
        envelope.model_dump_json().encode(),
        event_subject(MemberDeleted),
        headers={"Nats-Msg-Id": msg_id or envelope.id},
        stream="PROFILES",
    )


def deleted(member_id: str) -> Envelope:
    return Envelope.wrap(MemberDeleted(member_id=member_id), source="/rapport/profiles")


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


async def test_an_event_delivered_twice_is_applied_once(consumer_setup):
    broker, _, applied_for, _ = consumer_setup
    envelope = deleted("m1")
    await publish(broker, envelope)
    # the same event again, as a replay or a publish after the duplicate window would bring it
    await publish(broker, envelope, msg_id=f"{envelope.id}-again")
    await publish(broker, deleted("marker"))

    await eventually(lambda: applied_for("marker"))
    assert await applied_for("m1") == 1


async def test_a_failed_attempt_leaves_no_effect_and_the_redelivery_applies_it_once(
    consumer_setup,
):
    broker, failures, applied_for, _ = consumer_setup
    failures["m2"] = 1
    await publish(broker, deleted("m2"))

    await eventually(lambda: applied_for("m2"))
    await publish(broker, deleted("marker"))
    await eventually(lambda: applied_for("marker"))
    assert await applied_for("m2") == 1


async def test_a_message_that_keeps_failing_is_dead_lettered_and_the_next_is_processed(
    consumer_setup, clean_nats
):
    broker, failures, applied_for, spec = consumer_setup
    failures["poison"] = 1_000
    poison = deleted("poison")
    await publish(broker, poison)
    await publish(broker, deleted("next"))

    await eventually(lambda: applied_for("next"))
    letters = await eventually(lambda: dead_letters(clean_nats))
    assert len(letters) == 1
    headers = letters[0].headers
    assert headers["Rapport-Consumer"] == spec.durable
    assert "Flaky: cannot handle poison yet" in headers["Rapport-Error"]
    assert headers["Rapport-Deliveries"] == "3"  # max_deliveries in the test settings
    assert Envelope.model_validate_json(letters[0].data).id == poison.id
    assert await applied_for("poison") == 0


async def test_a_malformed_message_is_dead_lettered_at_once_and_never_stops_the_consumer(
    consumer_setup, clean_nats
):
    broker, _, applied_for, _ = consumer_setup
    await broker.publish(b"{not json", event_subject(MemberDeleted), stream="PROFILES")
    await publish(broker, deleted("after-garbage"))

    await eventually(lambda: applied_for("after-garbage"))
    letters = await eventually(lambda: dead_letters(clean_nats))
    assert letters[0].data == b"{not json"
    assert letters[0].headers["Rapport-Deliveries"] == "1"
    assert "unreadable message" in letters[0].headers["Rapport-Error"]


async def test_a_fact_whose_source_does_not_own_its_subject_is_dead_lettered_with_the_reason(
    consumer_setup, clean_nats
):
    broker, _, applied_for, _ = consumer_setup
    claimed = Envelope.wrap(MemberDeleted(member_id="victim"), source="/rapport/content")
    await publish(broker, claimed)
    await publish(broker, deleted("after-forgery"))

    await eventually(lambda: applied_for("after-forgery"))
    letters = await eventually(lambda: dead_letters(clean_nats))
    assert Envelope.model_validate_json(letters[0].data).id == claimed.id
    assert "source /rapport/content" in letters[0].headers["Rapport-Error"]
    assert "does not own rapport.profiles.member.deleted" in letters[0].headers["Rapport-Error"]
    assert await applied_for("victim") == 0


async def test_a_fact_dated_beyond_the_future_tolerance_is_dead_lettered_with_the_reason(
    consumer_setup, clean_nats
):
    broker, _, applied_for, _ = consumer_setup
    ahead = Envelope.wrap(
        MemberDeleted(member_id="from-the-future"),
        source="/rapport/profiles",
        time=datetime.now(UTC) + timedelta(hours=10),
    )
    await publish(broker, ahead)
    # within the tolerance (clock skew) a fact is applied
    skewed = Envelope.wrap(
        MemberDeleted(member_id="slightly-ahead"),
        source="/rapport/profiles",
        time=datetime.now(UTC) + timedelta(seconds=30),
    )
    await publish(broker, skewed)

    await eventually(lambda: applied_for("slightly-ahead"))
    letters = await eventually(lambda: dead_letters(clean_nats))
    assert [Envelope.model_validate_json(letter.data).id for letter in letters] == [ahead.id]
    assert "ahead of its arrival" in letters[0].headers["Rapport-Error"]
    assert await applied_for("from-the-future") == 0
