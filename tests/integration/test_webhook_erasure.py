"""Raw webhook deliveries kept only as long as needed, and erased with the member they name:
the events service's records, the WEBHOOKS stream and the webhook consumer's dead letters,
against a real nats-server (the events service's own identity and permissions) and both
databases."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.events.app import metadata
from services.events.erasure import RawDeliveries, erase_deliveries
from services.events.retention import forget_old_deliveries
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine
from shared.messaging.credentials import connect_options, pull_inbox_prefix
from tests.integration.test_webhook_ingestion import (  # noqa: F401 - the issuer fixture
    Harness,
    _issuer,
    check_in,
    make_harness,
    upsert,
)
from tests.support import as_identity, eventually


@pytest.fixture
async def harness(clean_nats, database_factory) -> AsyncIterator[Harness]:
    harness = await make_harness(clean_nats, database_factory)
    async with harness.gateway.router.lifespan_context(harness.gateway):
        yield harness
    await harness.http.aclose()


@contextlib.asynccontextmanager
async def events_database(harness: Harness) -> AsyncIterator[async_sessionmaker]:
    engine = make_engine(harness.settings.database_url("events"))
    await create_schema(engine, metadata)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


def unit_of_work(sessions: async_sessionmaker) -> UnitOfWork:
    outbox, inbox, idempotency = messaging_tables(metadata)
    return UnitOfWork(
        sessions, outbox=outbox, inbox=inbox, source="/rapport/events", idempotency=idempotency
    )


@contextlib.asynccontextmanager
async def as_events(harness: Harness) -> AsyncIterator[RawDeliveries]:
    """The raw deliveries as the events service's identity reaches them."""
    settings = as_identity(harness.settings, "events")
    nc = await nats.connect(**connect_options(settings, "events"))
    try:
        yield RawDeliveries(nc.jetstream, pull_inbox_prefix(settings, "events"))
    finally:
        await nc.close()


async def stream_bodies(harness: Harness, stream: str) -> list[bytes]:
    nc = await nats.connect(harness.nats_url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info(stream)).state
        found = []
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            with contextlib.suppress(NotFoundError):  # deleted
                found.append((await js.get_msg(stream, seq)).data)
        return found
    finally:
        await nc.close()


async def dead_letter(harness: Harness, body: bytes) -> None:
    """A raw message the gateway did not store (no headers): dead-lettered by events."""
    nc = await nats.connect(harness.nats_url)
    try:
        await nc.jetstream().publish(
            "rapport.webhooks.rapport", body, headers={"Nats-Msg-Id": uuid.uuid4().hex}
        )
    finally:
        await nc.close()


async def test_an_erasure_deletes_the_deliveries_naming_the_member_everywhere(harness: Harness):
    marker = f"zq{uuid.uuid4().hex[:10]}"
    email = f"{marker}@example.org"
    async with harness.events_running():
        await harness.deliver(upsert())
        await eventually(harness.drained)
        mine = [
            await harness.deliver(check_in(email.upper())),  # normalised, pending attendance
            await harness.deliver({"type": "badge.printed", "data": {"who": email}}),  # failed
        ]
        kept = await harness.deliver(check_in("someone.else@example.org"))
        await dead_letter(harness, f'{{"data": {{"email": "{email}"}}}}'.encode())
        await eventually(harness.drained)
        assert any(marker.encode() in b for b in await stream_bodies(harness, "DEADLETTER"))

    async with (
        events_database(harness) as sessions,
        as_events(harness) as raw,
        unit_of_work(sessions) as uow,
    ):
        await erase_deliveries(uow, raw, member_id="member-1", email=email)
        await uow.commit()

    for stream in ("WEBHOOKS", "DEADLETTER"):
        bodies = await stream_bodies(harness, stream)
        assert not any(marker.encode() in b.lower() for b in bodies), stream
    assert any(b"someone.else@example.org" in b for b in await stream_bodies(harness, "WEBHOOKS"))
    async with harness.events_running():
        recorded = {
            d["webhook_id"]
            for status in ("normalised", "failed")
            for d in await harness.deliveries(status)
        }
    assert not recorded & {m.json()["webhook_id"] for m in mine}
    assert kept.json()["webhook_id"] in recorded


async def test_delivery_records_older_than_the_retention_are_forgotten(harness: Harness):
    async with harness.events_running(), events_database(harness) as sessions:
        await harness.deliver(upsert())
        await harness.deliver(check_in("guest@example.org"))
        await harness.deliver({"type": "badge.printed", "data": {}})
        await eventually(harness.drained)

        now = datetime.now(UTC)
        async with unit_of_work(sessions) as uow:
            assert await forget_old_deliveries(uow, now=now, retention_days=7) == 0
        assert len(await harness.deliveries("normalised")) == 2
        async with unit_of_work(sessions) as uow:
            later = now + timedelta(days=7, minutes=1)
            assert await forget_old_deliveries(uow, now=later, retention_days=7) == 3
        assert await harness.deliveries("normalised") == []
        assert await harness.deliveries("failed") == []


async def test_the_webhooks_stream_keeps_messages_for_the_retention(harness: Harness):
    nc = await nats.connect(harness.nats_url)
    try:
        info = await nc.jetstream().stream_info("WEBHOOKS")
    finally:
        await nc.close()
    assert info.config.max_age == harness.settings.webhook.retention_days * 86400
