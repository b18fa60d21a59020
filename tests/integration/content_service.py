"""The content service as its own process(es) against a real nats-server and a real
database (SQLite or PostgreSQL), and a client that talks to it as the gateway and the other
services do: declared operations over NATS, facts published to its streams."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import nats
import pytest
from faststream.nats import NatsBroker

from shared.contracts.api import content as api
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import ConnectionAccepted, MemberRegistered, parse_event
from shared.contracts.operations import Operation
from shared.contracts.streams import stream_for_domain
from shared.contracts.subjects import event_subject
from shared.messaging.provisioning import provision
from shared.messaging.rpc import RemoteProblem, call
from shared.natsserver import free_port, start_nats_server
from shared.runtime import command
from shared.settings import normalise_database_url
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.support import (
    HARNESS,
    ProfilesStandIn,
    bus_config,
    eventually,
    identity_env,
    test_settings,
    url_as,
)


class Service:
    """Where the content process of this module runs."""

    def __init__(self, nats_url: str, database_url: str) -> None:
        self.nats_url = nats_url
        self.database_url = database_url


@contextmanager
def running_content(backend: str, root: Path, *, replicas: int = 1) -> Iterator[Service]:
    """Content's processes (`replicas` of them, sharing the database and the queue group),
    as `make run` starts one, on a fresh nats-server and database."""
    server = start_nats_server(root / "nats", config=bus_config(root / "secrets"))
    settings = test_settings(server.url)
    harness_url = url_as(server.url, HARNESS)

    async def provisioned() -> None:
        nc = await nats.connect(harness_url)
        await provision(nc.jetstream(), settings)
        await nc.close()

    asyncio.run(provisioned())
    if backend == "sqlite":
        database_url = f"sqlite+aiosqlite:///{root / 'content.sqlite3'}"
    else:
        database_url = normalise_database_url(asyncio.run(create_postgres_database()))
    env = dict(
        os.environ,
        RAPPORT_NATS_URL=server.url,
        **identity_env("content"),
        RAPPORT_DATA_DIR=str(root / "var"),
        RAPPORT_CONTENT_DATABASE_URL=database_url,
        RAPPORT_LOG_FORMAT="text",
        RAPPORT_LOG_LEVEL="WARNING",
        RAPPORT_MAX_DELIVERIES=str(settings.max_deliveries),
        RAPPORT_RETRY_BACKOFF="[0.05, 0.1]",
        RAPPORT_OUTBOX_POLL_INTERVAL="0.2",
    )
    processes: list[subprocess.Popen] = []
    service = Service(harness_url, database_url)
    try:
        for replica in range(replicas):
            port = free_port()
            with open(root / f"content-{replica}.log", "wb") as log:
                processes.append(
                    subprocess.Popen(
                        command("content"),
                        env=env | {"RAPPORT_CONTENT_PORT": str(port)},
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                )
            # the next replica starts once this one has created the schema and serves
            asyncio.run(eventually(lambda port=port: _healthy(port), timeout=30))
        yield service
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        server.stop()
        if backend == "postgres":
            asyncio.run(drop_postgres_database(database_url))


async def _healthy(port: int) -> bool:
    """The replica has started: its schema exists and its broker takes requests."""
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
    except httpx.TransportError:
        return False


class Content:
    """The content service as the gateway and the other services see it."""

    def __init__(self, broker: NatsBroker, js, profiles: ProfilesStandIn) -> None:
        self.broker = broker
        self.js = js
        self.handles: dict[str, str] = {}
        # profiles' part: the names content asks for when it learns of a member
        self.profiles = profiles

    async def ask(self, operation: Operation, payload: dict) -> dict:
        """Call a declared operation as the gateway does; the reply as JSON (a dict)."""
        request = operation.request.model_validate(payload)
        reply = await call(self.broker, operation, request, timeout=10)
        return reply.model_dump(mode="json")

    async def problem(self, operation: Operation, payload: dict):
        with pytest.raises(RemoteProblem) as refused:
            await self.ask(operation, payload)
        return refused.value.problem

    async def publish(self, event: Event, *, time: datetime | None = None) -> Envelope:
        # as the service that owns the fact (consumers check the source)
        envelope = Envelope.wrap(event, source=f"/rapport/{event.domain}", time=time)
        await self.js.publish(
            event_subject(event),
            envelope.model_dump_json().encode(),
            stream=stream_for_domain(event.domain),
            headers={"Nats-Msg-Id": envelope.id},
        )
        return envelope

    async def knows(self, member_id: str) -> bool:
        try:
            await self.ask(api.content_stats, {"member_id": member_id})
        except RemoteProblem:
            return False
        return True

    async def members(self, *handles: str) -> list[str]:
        """Register members (through their events) and wait until content knows them."""
        ids = []
        for handle in handles:
            member_id = str(uuid.uuid4())
            unique = f"{handle}-{member_id[:8]}"
            self.profiles.hold(member_id, name=handle.title())
            await self.publish(MemberRegistered(member_id=member_id, handle=unique))
            ids.append(member_id)
            self.handles[member_id] = unique
        await eventually(lambda: self.knows(ids[-1]), timeout=15)
        return ids

    async def connect(self, one: str, other: str, time: datetime | None = None) -> None:
        await self.publish(
            ConnectionAccepted(request_id=str(uuid.uuid4()), requester_id=one, addressee_id=other),
            time=time,
        )

    async def events_about(self, ids: set[str]) -> list[Event]:
        """Every CONTENT event whose payload names one of `ids`, in stream order."""
        info = await self.js.stream_info("CONTENT")
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if not info.state.messages:
                break
            raw = await self.js.get_msg("CONTENT", seq)
            event = parse_event(Envelope.model_validate_json(raw.data))
            if ids & set(strings(event.model_dump())):
                found.append(event)
        return found

    async def feed(self, member_id: str, **query) -> list[dict]:
        page = await self.ask(api.feed, {"member_id": member_id} | query)
        return page["items"]


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


async def connected(service: Service):
    """A client of the running service (an async generator for a fixture)."""
    broker = NatsBroker(service.nats_url)
    await broker.connect()
    nc = await nats.connect(service.nats_url)
    profiles = await ProfilesStandIn().start(service.nats_url)
    client = Content(broker, nc.jetstream(), profiles)
    await eventually(lambda: _answers(client), timeout=30)
    yield client
    await profiles.stop()
    await nc.close()
    await broker.stop()


async def _answers(client: Content) -> bool:
    try:
        await client.ask(api.ping, {})
    except Exception:
        return False
    return True
